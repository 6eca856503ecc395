/* cli/cmd_cp: `berth cp` as docker's: a container path to a local path or to stdout (tar),
 * a local path or stdin (tar) into a container. The archive endpoint speaks tar; on the
 * local side GNU tar packs and unpacks it, so the lean CLI links no archive library. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/stream.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/spawn.h"
#include "util/str.h"

/* One copy: the connection, docker's -a and -L, and the tar bytes moved (for its report). */
struct cp_job {
	struct cli_http *h;
	bool archive, follow;
	int fd;
	uint64_t bytes;
};

static int fd_sink(const char *buf, size_t n, void *ud)
{
	struct cp_job *j = ud;
	j->bytes += buf ? n : 0;
	return buf ? fs_write_all(j->fd, buf, n) : 0;
}

static long fd_source(char *buf, size_t n, void *ud)
{
	struct cp_job *j = ud;
	ssize_t r = read(j->fd, buf, n);
	j->bytes += r > 0 ? (uint64_t)r : 0;
	return r < 0 ? -1 : (long)r;
}

/* tar with argv, its stdin (writing) or stdout (reading) on *fd; the child's pid. */
static pid_t spawn_tar(char **argv, bool extract, int *fd, struct err *e)
{
	int p[2];
	pid_t pid = spawn_fork_pipe(p, e);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(extract ? p[0] : p[1], extract ? 0 : 1);
		execvp("tar", argv);
		fprintf(stderr, "berth: cannot run tar: %s\n", strerror(errno));
		_exit(127);
	}
	close(extract ? p[0] : p[1]);
	*fd = extract ? p[1] : p[0];
	return pid;
}

static int tar_wait(pid_t pid, struct err *e)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return err_set(e, ERR_INTERNAL, 0, "tar failed (status %d)",
			       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

/* The container path's stat (HEAD): 1 a directory, 0 something else, -1 absent or error;
 * *link (optional) gets a symbolic link's target. */
static int ctr_stat(struct cli_http *h, const char *ctr, const char *path, char **link,
		    struct err *e)
{
	_cleanup_free_ char *ec = cli_http_escape(ctr), *ep = cli_http_escape(path);
	_cleanup_free_ char *p = str_printf("/containers/%s/archive?path=%s", ec, ep);
	struct cli_resp r = {0};
	int rc = cli_http_do(h, "HEAD", p, NULL, &r, e);
	_cleanup_json_ json_t *j = rc == 0 && r.path_stat ? json_loads(r.path_stat, 0, NULL) : NULL;
	cli_resp_release(&r);
	if (rc < 0)
		return -1;
	const char *lt = json_string_value(json_object_get(j, "linkTarget"));
	if (link)
		*link = lt && *lt ? str_dup(lt) : NULL;
	/* Go's os.FileMode: the directory bit is 1 << 31 */
	return (json_integer_value(json_object_get(j, "mode")) & (1LL << 31)) ? 1 : 0;
}

/* GET the container's path as tar into `tar -x -C dir` (owners kept only with -a, as
 * docker's CLI chowns to the caller otherwise). */
static int get_into(struct cp_job *j, const char *ctr, const char *src, const char *dir,
		    struct err *e)
{
	_cleanup_free_ char *ec = cli_http_escape(ctr), *es = cli_http_escape(src);
	_cleanup_free_ char *p = str_printf("/containers/%s/archive?path=%s", ec, es);
	char *argv[] = {"tar", "-x",	    j->archive ? "--same-owner" : "--no-same-owner",
			"-C",  (char *)dir, "-f",
			"-",   NULL};
	pid_t pid = spawn_tar(argv, true, &j->fd, e);
	if (pid < 0)
		return -1;
	int rc = cli_http_stream(j->h, "GET", p, NULL, NULL, NULL, fd_sink, j, NULL, e);
	close(j->fd);
	struct err te = ERR_INIT;
	int trc = tar_wait(pid, &te);
	if (rc == 0 && trc < 0)
		*e = te;
	return rc < 0 || trc < 0 ? -1 : 0;
}

/* ctr:src to a local dest: into dest when it is a directory, else as dest (renamed). */
static int copy_from(struct cp_job *j, const char *ctr, const char *src, const char *dest,
		     struct err *e)
{
	struct cli_http *h = j->h;
	struct stat st;
	_cleanup_free_ char *link = NULL;
	/* a missing source is the daemon's error, before any tar runs */
	int kind = ctr_stat(h, ctr, src, j->follow ? &link : NULL, e);
	if (kind >= 0 && link) { /* -L: what the link points to, under the link's name */
		_cleanup_free_ char *sd = str_dup(src);
		_cleanup_free_ char *target =
		    link[0] == '/' ? str_dup(link) : str_printf("%s/%s", dirname(sd), link);
		_cleanup_free_ char *b = str_dup(src);
		_cleanup_free_ char *as = str_dup(dest);
		struct stat dst;
		if (stat(dest, &dst) == 0 && S_ISDIR(dst.st_mode)) {
			free(as);
			as = str_printf("%s/%s", dest, basename(b));
		}
		j->follow = false;
		return copy_from(j, ctr, target, as, e);
	}
	if (kind < 0 && e->kind == ERR_NOT_FOUND) { /* HEAD has no body: which 404? */
		_cleanup_free_ char *ec = cli_http_escape(ctr);
		_cleanup_free_ char *p = str_printf("/containers/%s/json", ec);
		if (cli_http_do(h, "GET", p, NULL, NULL, e) < 0)
			return -1;
		return err_notfound(e,
				    "Error response from daemon: Could not find the file %s in "
				    "container %s",
				    src, ctr);
	}
	if (kind < 0)
		return -1;
	if (kind == 1 && stat(dest, &st) == 0 && !S_ISDIR(st.st_mode))
		return err_invalid(e, "cannot copy directory to a file: %s", dest);
	if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode))
		return get_into(j, ctr, src, dest, e);
	_cleanup_free_ char *d = str_dup(dest), *s = str_dup(src);
	_cleanup_free_ char *tmp = str_printf("%s/.berth-cp-XXXXXX", dirname(d));
	if (!mkdtemp(tmp))
		return err_sys(e, "mkdir %s", tmp);
	int rc = get_into(j, ctr, src, tmp, e);
	_cleanup_free_ char *got = str_printf("%s/%s", tmp, basename(s));
	if (rc == 0 && rename(got, dest) < 0)
		rc = err_sys(e, "rename to %s", dest);
	struct err ignore = ERR_INIT;
	fs_rm_rf(tmp, &ignore);
	return rc;
}

/* A tar pattern matching name literally (GNU tar --transform's sed syntax). */
static char *sed_escape(const char *s)
{
	char *out = xmalloc(strlen(s) * 2 + 1), *o = out;
	for (; *s; s++) {
		if (strchr("\\.[]*^$,&", *s))
			*o++ = '\\';
		*o++ = *s;
	}
	*o = 0;
	return out;
}

/* A local src into ctr:dest: into dest when it is a directory there, else as dest. */
static int copy_to(struct cp_job *j, const char *src, const char *ctr, const char *dest,
		   struct err *e)
{
	struct cli_http *h = j->h;
	struct stat st;
	if (lstat(src, &st) < 0)
		return err_sys(e, "lstat %s", src);
	_cleanup_free_ char *s1 = str_dup(src), *s2 = str_dup(src), *d1 = str_dup(dest),
			    *d2 = str_dup(dest);
	char *sdir = dirname(s1), *sbase = basename(s2);
	int kind = ctr_stat(h, ctr, dest, NULL, e);
	if (kind < 0 && e->kind != ERR_NOT_FOUND)
		return -1;
	if (kind < 0 && str_has_suffix(dest, "/"))
		return err_notfound(e, "destination directory %s does not exist in the container",
				    dest);
	if (kind == 0 && S_ISDIR(st.st_mode))
		return err_invalid(e, "cannot copy a directory to a file: %s", dest);
	err_clear(e);
	/* into dest, or into its parent under dest's name */
	const char *target = kind == 1 ? dest : dirname(d1);
	_cleanup_free_ char *from = sed_escape(sbase);
	_cleanup_free_ char *xf = kind == 1 ? NULL : str_printf("s,^%s,%s,S", from, basename(d2));
	/* -L: links in the source followed (tar -h) */
	char *argv[] = {"tar",
			"-c",
			"-f",
			"-",
			"-C",
			sdir,
			j->follow ? "-h" : "-C",
			j->follow ? sdir : ".",
			xf ? "--transform" : sbase,
			xf ? xf : NULL,
			xf ? sbase : NULL,
			NULL};
	pid_t pid = spawn_tar(argv, false, &j->fd, e);
	if (pid < 0)
		return -1;
	_cleanup_free_ char *ec = cli_http_escape(ctr), *et = cli_http_escape(target);
	_cleanup_free_ char *p = str_printf("/containers/%s/archive?path=%s%s", ec, et,
					    j->archive ? "&copyUIDGID=1" : "");
	int rc =
	    cli_http_stream(h, "PUT", p, "application/x-tar", fd_source, j, NULL, NULL, NULL, e);
	close(j->fd);
	if (rc < 0)
		kill(pid, SIGTERM);
	struct err te = ERR_INIT;
	int trc = tar_wait(pid, &te);
	if (rc == 0 && trc < 0)
		*e = te;
	return rc < 0 || trc < 0 ? -1 : 0;
}

/* docker's splitCpArg: "/x" and "./x" are local, "ctr:path" is in a container. */
static char *split_arg(const char *arg, const char **path)
{
	const char *colon = strchr(arg, ':');
	*path = arg;
	if (arg[0] == '/' || arg[0] == '.' || !colon)
		return NULL;
	*path = colon + 1;
	return str_ndup(arg, (size_t)(colon - arg));
}

int cmd_cp(struct cli *c, int argc, char **argv)
{
	bool archive = false, follow = false, quiet = false;
	const struct cli_opt opts[] = {
	    {'a', "archive", OPT_BOOL, &archive, "Archive mode (copy all uid/gid information)"},
	    {'L', "follow-link", OPT_BOOL, &follow, "Always follow symbol link in SRC_PATH"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Suppress progress output during copy"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "cp",
	    "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- "
	    "CONTAINER:DEST_PATH",
	    "Copy files/folders between a container and the local filesystem\n\n"
	    "Use '-' as the source to read a tar archive from stdin and extract it to a "
	    "directory\ndestination in a container. Use '-' as the destination to stream a tar "
	    "archive of a\ncontainer source to stdout.",
	    2,
	    2,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	const char *src, *dst;
	_cleanup_free_ char *sc = split_arg(pos[0], &src), *dc = split_arg(pos[1], &dst);
	if (sc && dc) {
		fprintf(stderr, "copying between containers is not supported\n");
		return 1;
	}
	if (!sc && !dc) {
		fprintf(stderr, "must specify at least one container source\n");
		return 1;
	}
	struct err e = ERR_INIT;
	struct cli_http *h = cli_api(c, &e);
	if (!h)
		return cli_report(&e, 1);
	struct cp_job j = {.h = h, .archive = archive, .follow = follow, .fd = sc ? 1 : 0};
	int rc;
	_cleanup_free_ char *ec = cli_http_escape(sc ? sc : dc);
	_cleanup_free_ char *ep = cli_http_escape(sc ? src : dst);
	_cleanup_free_ char *p = str_printf("/containers/%s/archive?path=%s", ec, ep);
	if (sc && !strcmp(dst, "-"))
		rc = cli_http_stream(h, "GET", p, NULL, NULL, NULL, fd_sink, &j, NULL, &e);
	else if (sc)
		rc = copy_from(&j, sc, src, dst, &e);
	else if (!strcmp(src, "-"))
		rc = cli_http_stream(h, "PUT", p, "application/x-tar", fd_source, &j, NULL, NULL,
				     NULL, &e);
	else
		rc = copy_to(&j, src, dc, dst, &e);
	if (rc < 0)
		return cli_report(&e, 1);
	/* docker's report, for a person watching */
	if (!quiet && isatty(2) && strcmp(sc ? dst : src, "-")) {
		_cleanup_free_ char *sz = fmt_size4((double)j.bytes);
		fprintf(stderr, "Successfully copied %s to %s\n", sz, pos[1]);
	}
	return 0;
}
