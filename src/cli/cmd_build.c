/* cli/cmd_build: `berth build` as docker's classic builder client: the context directory's
 * files minus .dockerignore's (the Dockerfile and .dockerignore always sent, a Dockerfile
 * from outside the context added as .dockerfile.<random>) packed by GNU tar, a Dockerfile or
 * a tar on stdin, or a URL the daemon fetches; the daemon's messages shown as docker does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/run_opts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/ignore.h"
#include "util/json.h"
#include "util/str.h"

struct build_args {
	char **tags, **build_args, **labels, **hosts, **cache_from;
	const char *file, *target, *network, *platform, *iidfile, *memory, *shm_size;
	long long mem, shm;
	bool quiet, no_cache, pull, force_rm, rm;
};

/* The files of dir (relative names) not excluded, into list (NUL-separated). */
static void walk(const char *dir, const char *rel, char *const *pats, bool exc, FILE *list)
{
	_cleanup_free_ char *path = *rel ? str_printf("%s/%s", dir, rel) : str_dup(dir);
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (strcmp(name, ".") && strcmp(name, "..")) {
			_cleanup_free_ char *r =
			    *rel ? str_printf("%s/%s", rel, name) : str_dup(name);
			_cleanup_free_ char *full = str_printf("%s/%s", dir, r);
			struct stat st;
			bool is_dir = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
			bool ex = ignore_match(pats, r);
			if (!ex)
				fprintf(list, "%s%c", r, 0);
			if (is_dir && (!ex || exc))
				walk(dir, r, pats, exc, list);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* tar -c of the listed names (and, from xdir, the names in xnames) to a pipe; its read end. */
static int spawn_tar(const char *dir, const char *list, const char *xdir, char *const *xnames,
		     pid_t *pid)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		dup2(p[1], 1);
		_cleanup_strv_ char **argv = xcalloc(1, sizeof(char *));
		const char *fixed[] = {"tar", "-c", "--no-recursion", "--numeric-owner",
				       "-C",  dir,  "--null",	      "-T",
				       list};
		for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
			strv_push(&argv, fixed[i]);
		if (xdir) {
			strv_push(&argv, "-C");
			strv_push(&argv, xdir);
			for (char *const *x = xnames; *x; x++)
				strv_push(&argv, *x);
		}
		execvp("tar", argv);
		fprintf(stderr, "berth: cannot run tar: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (*pid < 0) {
		close(p[0]);
		return -1;
	}
	return p[0];
}

static char *query(const struct build_args *a, const char *dockerfile, const char *remote)
{
	char *q = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	fprintf(f, "/build?rm=%d&forcerm=%d&nocache=%d&q=%d&pull=%d", a->rm, a->force_rm,
		a->no_cache, a->quiet, a->pull);
	const struct {
		const char *k, *v;
	} s[] = {{"dockerfile", dockerfile},
		 {"target", a->target},
		 {"networkmode", a->network},
		 {"platform", a->platform},
		 {"remote", remote}};
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		cli_http_query_add(f, s[i].k, s[i].v);
	cli_http_query_add_all(f, "t", a->tags);
	if (a->mem)
		fprintf(f, "&memory=%lld", a->mem);
	if (a->shm)
		fprintf(f, "&shmsize=%lld", a->shm);
	if (a->cache_from) {
		json_t *cf = cli_json_strv(a->cache_from);
		_cleanup_free_ char *cfs = jx_dumps(cf);
		cli_http_query_add(f, "cachefrom", cfs);
		json_decref(cf);
	}
	cli_http_query_add_all(f, "extrahosts", a->hosts);
	/* KEY=VALUE; a bare KEY takes the value of the CLI's environment, as docker's */
	json_t *ba = json_object(), *lb = cli_json_kv(a->labels, '=');
	for (char **p = a->build_args; p && *p; p++) {
		char *eq = strchr(*p, '=');
		_cleanup_free_ char *k = eq ? str_ndup(*p, (size_t)(eq - *p)) : str_dup(*p);
		const char *v = eq ? eq + 1 : getenv(k);
		json_object_set_new(ba, k, v ? json_string(v) : json_null());
	}
	_cleanup_free_ char *bas = jx_dumps(ba), *lbs = jx_dumps(lb);
	cli_http_query_add(f, "buildargs", bas);
	cli_http_query_add(f, "labels", lbs);
	json_decref(ba);
	json_decref(lb);
	fclose(f);
	return q;
}

static long fd_source(char *buf, size_t n, void *ud)
{
	ssize_t r = read(*(int *)ud, buf, n);
	return r < 0 ? -1 : (long)r;
}

/* The messages shown as docker shows them; the last aux ID kept (for --iidfile). */
struct build_sink {
	struct progress pr;
	char *line; /* a message not yet complete */
	char id[80];
};

static int sink(const char *buf, size_t n, void *ud)
{
	struct build_sink *s = ud;
	if (!buf)
		return progress_feed(buf, n, &s->pr);
	char *all = str_printf("%s%.*s", s->line ? s->line : "", (int)n, buf);
	free(s->line);
	char *p = all, *nl;
	while ((nl = strchr(p, '\n'))) {
		*nl = '\0';
		_cleanup_json_ json_t *j = json_loads(p, 0, NULL);
		const char *id =
		    json_string_value(json_object_get(json_object_get(j, "aux"), "ID"));
		if (id)
			snprintf(s->id, sizeof(s->id), "%s", id);
		p = nl + 1;
	}
	s->line = str_dup(p);
	free(all);
	return progress_feed(buf, n, &s->pr);
}

/* POST /build with the body from fd (-1: none); the messages shown; exit status. */
static int post(struct cli *c, const char *path, int fd, const char *iidfile)
{
	struct err e = ERR_INIT;
	struct build_sink s = {0};
	progress_init(&s.pr, stdout, false);
	struct cli_http *h = cli_api(c, &e);
	int rc = h ? cli_http_stream(h, "POST", path, "application/x-tar",
				     fd >= 0 ? fd_source : NULL, &fd, sink, &s, NULL, &e)
		   : -1;
	progress_finish(&s.pr);
	free(s.line);
	if (rc < 0)
		return cli_report(&e, 1);
	if (s.pr.err[0]) {
		fprintf(stderr, "%s\n", s.pr.err);
		return 1;
	}
	if (iidfile && fs_write_atomic(iidfile, s.id, strlen(s.id), 0644, &e) < 0)
		return cli_report(&e, 1);
	return 0;
}

static bool is_tar(const char *head, size_t n)
{
	static const unsigned char gz[] = {0x1f, 0x8b}, bz[] = {'B', 'Z', 'h'},
				   xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
	return (n >= 262 && !memcmp(head + 257, "ustar", 5)) || (n >= 2 && !memcmp(head, gz, 2)) ||
	       (n >= 3 && !memcmp(head, bz, 3)) || (n >= 6 && !memcmp(head, xz, 6));
}

/* Context and Dockerfile packed: the tar's read end, *pid the tar process, *df the name
 * the daemon is to read (malloc'd). tmp gets the list file and a copied Dockerfile. */
static int pack_dir(const char *ctx, const char *file, const char *tmp, pid_t *pid, char **df,
		    struct err *e)
{
	char rctx[4096];
	if (!realpath(ctx, rctx))
		return err_sys(e, "unable to prepare context: path \"%s\" not found", ctx);
	_cleanup_free_ char *given = file ? str_dup(file) : str_printf("%s/Dockerfile", rctx);
	bool from_stdin = !strcmp(given, "-"); /* -f -: the Dockerfile on stdin, beside a context */
	char rdf[4096] = "/dev/stdin";
	if (!from_stdin && !realpath(given, rdf))
		return err_invalid(e,
				   "unable to prepare context: unable to evaluate symlinks in "
				   "Dockerfile path: lstat %s: no such file or directory",
				   given);
	size_t cl = strlen(rctx);
	bool inside = !from_stdin && !strncmp(rdf, rctx, cl) && rdf[cl] == '/';
	_cleanup_free_ char *xname = NULL;
	if (inside) {
		*df = str_dup(rdf + cl + 1);
	} else {
		char rnd[ID_HEX_LEN + 1];
		if (id_generate(rnd, e) < 0)
			return -1;
		xname = str_printf(".dockerfile.%.20s", rnd);
		_cleanup_free_ char *text = fs_read_file(rdf, NULL, e);
		_cleanup_free_ char *copy = str_printf("%s/%s", tmp, xname);
		if (!text || fs_write_atomic(copy, text, strlen(text), 0644, e) < 0)
			return -1;
		*df = str_dup(xname);
	}
	_cleanup_strv_ char **xnames = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *ipath = str_printf("%s/.dockerignore", rctx);
	_cleanup_free_ char *itext = fs_exists(ipath) ? fs_read_file(ipath, NULL, NULL) : NULL;
	_cleanup_strv_ char **pats = ignore_patterns(itext);
	strv_push_take(&pats, str_printf("!%s", *df));
	strv_push(&pats, "!.dockerignore");
	if (xname) {
		/* as docker's CLI: the daemon is told to drop the added file and the list */
		_cleanup_free_ char *ign =
		    str_printf("%s\n.dockerignore\n%s\n", itext ? itext : "", xname);
		_cleanup_free_ char *ip = str_printf("%s/.dockerignore", tmp);
		if (fs_write_atomic(ip, ign, strlen(ign), 0644, e) < 0)
			return -1;
		strv_push(&pats, ".dockerignore"); /* the context's copy is replaced */
		strv_push(&xnames, xname);
		strv_push(&xnames, ".dockerignore");
	}
	_cleanup_free_ char *list = str_printf("%s/list", tmp);
	FILE *lf = fopen(list, "we");
	if (!lf)
		return err_sys(e, "open %s", list);
	walk(rctx, "", pats, ignore_has_exceptions(pats), lf);
	fclose(lf);
	int fd = spawn_tar(rctx, list, xname ? tmp : NULL, xnames, pid);
	return fd < 0 ? err_sys(e, "run tar") : fd;
}

/* stdin: a tar as it is, else a Dockerfile alone (packed from tmp). */
static int pack_stdin(const char *tmp, pid_t *pid, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/Dockerfile", tmp);
	_cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || fs_copy_fd(0, out, e) < 0)
		return out < 0 ? err_sys(e, "open %s", path) : -1;
	char head[512];
	_cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = in >= 0 ? read(in, head, sizeof(head)) : -1;
	if (n >= 0 && is_tar(head, (size_t)n)) {
		lseek(in, 0, SEEK_SET);
		*pid = 0;
		return TAKE_FD(in);
	}
	_cleanup_free_ char *list = str_printf("%s/list", tmp);
	if (fs_write_atomic(list, "Dockerfile", sizeof("Dockerfile"), 0644, e) < 0)
		return -1;
	int fd = spawn_tar(tmp, list, NULL, NULL, pid);
	return fd < 0 ? err_sys(e, "run tar") : fd;
}

static int run_build(struct cli *c, const struct build_args *a, const char *ctx)
{
	struct err e = ERR_INIT;
	if (str_has_prefix(ctx, "http://") || str_has_prefix(ctx, "https://")) {
		_cleanup_free_ char *q = query(a, a->file, ctx);
		return post(c, q, -1, a->iidfile);
	}
	char tmp[] = "/tmp/berth-build-XXXXXX";
	if (!mkdtemp(tmp))
		return cli_report(&(struct err){ERR_INTERNAL, errno, "mkdtemp failed"}, 1);
	pid_t pid = 0;
	_cleanup_free_ char *df = NULL;
	int fd = !strcmp(ctx, "-") ? pack_stdin(tmp, &pid, &e)
				   : pack_dir(ctx, a->file, tmp, &pid, &df, &e);
	int rc = 1;
	if (fd >= 0) {
		_cleanup_free_ char *q = query(a, df ? df : a->file, NULL);
		rc = post(c, q, fd, a->iidfile);
		close(fd);
	} else {
		cli_report(&e, 1);
	}
	int ws = 0;
	if (pid > 0)
		waitpid(pid, &ws, 0);
	fs_rm_rf(tmp, NULL);
	return rc;
}

int cmd_build(struct cli *c, int argc, char **argv)
{
	struct build_args a = {.rm = true};
	const struct cli_opt opts[] = {
	    {'t', "tag", OPT_LIST, &a.tags,
	     "list\tName and optionally a tag in the \"name:tag\" format"},
	    {'f', "file", OPT_STR, &a.file,
	     "string\tName of the Dockerfile (Default is \"PATH/Dockerfile\")"},
	    {0, "build-arg", OPT_LIST, &a.build_args, "list\tSet build-time variables"},
	    {0, "label", OPT_LIST, &a.labels, "list\tSet metadata for an image"},
	    {0, "target", OPT_STR, &a.target, "string\tSet the target build stage to build."},
	    {0, "network", OPT_STR, &a.network,
	     "string\tSet the networking mode for the RUN instructions during build"},
	    {0, "add-host", OPT_LIST, &a.hosts,
	     "list\tAdd a custom host-to-IP mapping (\"host:ip\")"},
	    {0, "platform", OPT_STR, &a.platform,
	     "string\tSet platform if server is multi-platform capable"},
	    {0, "cache-from", OPT_LIST, &a.cache_from, "list\tImages to consider as cache sources"},
	    {0, "iidfile", OPT_STR, &a.iidfile, "string\tWrite the image ID to the file"},
	    {'m', "memory", OPT_STR, &a.memory, "bytes\tMemory limit"},
	    {0, "shm-size", OPT_STR, &a.shm_size, "bytes\tSize of \"/dev/shm\""},
	    {0, "no-cache", OPT_BOOL, &a.no_cache, "Do not use cache when building the image"},
	    {0, "pull", OPT_BOOL, &a.pull, "Always attempt to pull a newer version of the image"},
	    {'q', "quiet", OPT_BOOL, &a.quiet,
	     "Suppress the build output and print image ID on success"},
	    {0, "rm", OPT_BOOL, &a.rm,
	     "Remove intermediate containers after a successful build (default true)"},
	    {0, "force-rm", OPT_BOOL, &a.force_rm, "Always remove intermediate containers"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "build", "[OPTIONS] PATH | URL | -", "Build an image from a Dockerfile", 1, 1, false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	if ((a.memory && run_parse_memory(a.memory, &a.mem, &e) < 0) ||
	    (a.shm_size && run_parse_memory(a.shm_size, &a.shm, &e) < 0))
		return cli_report(&e, 125);
	int rc = run_build(c, &a, pos[0]);
	strv_free(a.tags);
	strv_free(a.build_args);
	strv_free(a.labels);
	strv_free(a.hosts);
	strv_free(a.cache_from);
	return rc;
}
