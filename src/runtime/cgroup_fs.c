/* cgroup_fs: kernel file helpers and the directory lifecycle: create (remembering what
 * berth made), enter, list members, destroy (only what berth made, deepest first). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cg_write(const char *dir, const char *file, const char *val, struct err *e)
{
	_cleanup_free_ char *p = path_join(dir, file);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "write %s to %s", val, p);
	ssize_t n;
	do
		n = write(fd, val, strlen(val));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, "write %s to %s", val, p);
	return 0;
}

int cg_writef(const char *dir, const char *file, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *val = NULL;
	if (vasprintf(&val, fmt, ap) < 0)
		abort();
	va_end(ap);
	return cg_write(dir, file, val, e);
}

char *cg_read(const char *dir, const char *file, struct err *e)
{
	_cleanup_free_ char *p = path_join(dir, file);
	size_t len = 0;
	char *s = fs_read_file(p, &len, e);
	if (s && len && s[len - 1] == '\n')
		s[len - 1] = '\0';
	return s;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct err *e)
{
	_cleanup_free_ char *s = cg_read(dir, file, e);
	if (!s)
		return -1;
	if (!strcmp(s, "max")) {
		*out = UINT64_MAX;
		return 0;
	}
	_cleanup_free_ char *what = path_join(dir, file);
	return str_to_u64(s, out, what, e);
}

int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *out, struct err *e)
{
	_cleanup_strv_ char **lines = cg_read_lines(dir, file, e);
	if (!lines)
		return -1;
	size_t kl = strlen(key);
	for (char **l = lines; *l; l++) {
		if (strncmp(*l, key, kl) || (*l)[kl] != ' ')
			continue;
		_cleanup_free_ char *what = path_join(dir, file);
		return str_to_u64(*l + kl + 1, out, what, e);
	}
	return err_set(e, ERR_NOT_FOUND, ENOENT, "%s/%s: no key %s", dir, file, key);
}

char **cg_read_lines(const char *dir, const char *file, struct err *e)
{
	_cleanup_free_ char *s = cg_read(dir, file, e);
	if (!s)
		return NULL;
	char **v = strv_split(s, "\n");
	return v ? v : xcalloc(1, sizeof(char *));
}

bool cg_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *p = path_join(dir, file);
	return access(p, F_OK) == 0;
}

static bool cg_created(const struct cgroup *cg, const char *path)
{
	for (char **c = cg->created; c && *c; c++)
		if (!strcmp(*c, path))
			return true;
	return false;
}

/* mkdir -p below the hierarchy root, recording every directory this call made. */
static int hier_mkdir(struct cgroup *cg, const struct cgroup_hier *h, struct err *e)
{
	size_t ml = strlen(h->mountpoint);
	if (strncmp(h->path, h->mountpoint, ml))
		return err_invalid(e, "cgroup path %s is not under %s", h->path, h->mountpoint);
	_cleanup_free_ char *p = str_dup(h->path);
	for (char *s = p + ml;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (strlen(p) > ml) {
			if (mkdir(p, 0755) == 0)
				strv_push(&cg->created, p);
			else if (errno != EEXIST)
				return err_sys(e, "mkdir %s", p);
		}
		if (!c)
			break;
		*s = c;
	}
	return 0;
}

bool cgroup_is_fresh(const struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (!cg_created(cg, cg->hiers[i].path))
			return false;
	return cg->n_hiers > 0;
}

/* Removes what cgroup_create made so far (its failure path). A directory still in use
 * (the unified one a process was cloned into) stays listed for cgroup_undo_create. */
static void created_rollback(struct cgroup *cg)
{
	size_t n = strv_len(cg->created), kept = 0;
	char **left = xcalloc(n + 1, sizeof(char *));
	while (n--) {
		if (rmdir(cg->created[n]) == 0 || errno == ENOENT)
			free(cg->created[n]);
		else
			left[kept++] = cg->created[n];
	}
	free(cg->created);
	cg->created = NULL;
	while (kept--)
		strv_push_take(&cg->created, left[kept]);
	free(left);
}

int cgroup_create(struct cgroup *cg, struct err *e)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		const struct cgroup_hier *h = &cg->hiers[i];
		int r = hier_mkdir(cg, h, e);
		if (r == 0 && cg->mode == CGROUP_MODE_V2)
			r = cg_v2_enable_controllers(h->mountpoint, h->path, e);
		/* Tasks can't join a v1 cpuset whose cpus or mems are empty. */
		if (r == 0 && *h->controllers && cg_hier(cg, "cpuset") == h)
			r = cg_v1_cpuset_inherit(h->mountpoint, h->path, e);
		if (r < 0) {
			created_rollback(cg);
			return err_wrap(e, "create cgroup");
		}
	}
	return 0;
}

/* A task still in TASK_NEW makes cgroup.procs say EINVAL for a moment; runc retries. */
static int procs_write(const char *dir, pid_t pid, struct err *e)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	struct err tmp = ERR_INIT;
	for (int i = 0;; i++) {
		if (cg_write(dir, "cgroup.procs", buf, &tmp) == 0)
			return 0;
		if (tmp.errnum != EINVAL || i == 4)
			break;
		sleep_ms(30);
	}
	if (e)
		*e = tmp;
	return -1;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct err *e)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (procs_write(cg->hiers[i].path, pid, e) < 0)
			return -1;
	return 0;
}

int cgroup_open_unified(struct cgroup *cg, int *fd, struct err *e)
{
	*fd = -1;
	const struct cgroup_hier *h = cg->mode == CGROUP_MODE_HYBRID ? cg_hier(cg, "") : NULL;
	if (!h)
		return 0;
	if (hier_mkdir(cg, h, e) < 0)
		return err_wrap(e, "create cgroup");
	*fd = open(h->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_sys(e, "open %s", h->path);
	return 0;
}

int cgroup_enter_self_v1(struct cgroup *cg, struct err *e)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (*cg->hiers[i].controllers && cg_write(cg->hiers[i].path, "tasks", "0", e) < 0)
			return err_wrap(e, "join cgroup");
	return 0;
}

int cgroup_enter_unified(struct cgroup *cg, pid_t pid, struct err *e)
{
	const struct cgroup_hier *h = cg_hier(cg, "");
	return h ? procs_write(h->path, pid, e) : 0;
}

/* runc exec --cgroup: "path" for every hierarchy, or "ctl[,ctl]:path" per controller. */
static int sub_paths(const struct cgroup *cg, char *const *sub, char **paths, struct err *e)
{
	size_t nsub = strv_len(sub);
	for (size_t s = 0; s < nsub; s++) {
		const char *arg = sub[s], *colon = strchr(arg, ':');
		if (colon && strchr(colon + 1, ':'))
			return err_invalid(e, "invalid --cgroup argument: %s", arg);
		if (!colon && nsub != 1)
			return err_invalid(
			    e, "invalid --cgroup argument: %s (missing <controller>: prefix)", arg);
		const char *rel = colon ? colon + 1 : arg;
		_cleanup_free_ char *ctls = colon ? str_ndup(arg, (size_t)(colon - arg)) : NULL;
		_cleanup_strv_ char **list = ctls ? strv_split(ctls, ",") : NULL;
		for (size_t i = 0; i < cg->n_hiers; i++) {
			const struct cgroup_hier *h = &cg->hiers[i];
			bool match = !colon;
			for (char **c = list; !match && c && *c; c++)
				match = cg_hier(cg, *c) == h;
			if (!match)
				continue;
			char *np = path_join(h->path, rel);
			size_t hl = strlen(h->path);
			if (strncmp(np, h->path, hl) || (np[hl] && np[hl] != '/')) {
				free(np);
				return err_invalid(e, "%s is not a sub cgroup path", rel);
			}
			free(paths[i]);
			paths[i] = np;
		}
		for (char **c = list; c && *c; c++)
			if (!cg_hier(cg, *c))
				return err_invalid(e, "unknown controller %s in SubCgroupPaths",
						   *c);
	}
	return 0;
}

/* v2 + nesting + domain controllers: the container's cgroup may refuse new members
 * (EBUSY); then join the init process's cgroup, as runc does. */
static int enter_init_cgroup(const struct cgroup *cg, pid_t pid, pid_t init_pid, struct err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)init_pid);
	_cleanup_free_ char *s = fs_read_file(p, NULL, e);
	if (!s)
		return -1;
	char *line = strstr(s, "0::");
	if (!line || (line != s && line[-1] != '\n'))
		return err_notfound(e, "%s: no cgroup v2 entry", p);
	line += 3;
	line[strcspn(line, "\n")] = '\0';
	_cleanup_free_ char *dir = path_join(cg_hier(cg, "")->mountpoint, line);
	return procs_write(dir, pid, e);
}

int cgroup_enter_exec(struct cgroup *cg, pid_t pid, pid_t init_pid, char *const *sub, struct err *e)
{
	_cleanup_strv_ char **paths = xcalloc(cg->n_hiers + 1, sizeof(char *));
	for (size_t i = 0; i < cg->n_hiers; i++)
		paths[i] = str_dup(cg->hiers[i].path);
	if (sub_paths(cg, sub, paths, e) < 0)
		return -1;
	bool fallback = cg->mode == CGROUP_MODE_V2 && init_pid > 0 && !strv_len(sub);
	for (size_t i = 0; i < cg->n_hiers; i++) {
		struct err tmp = ERR_INIT;
		if (procs_write(paths[i], pid, &tmp) == 0)
			continue;
		if (fallback && enter_init_cgroup(cg, pid, init_pid, e) == 0)
			continue;
		/* runc's wording, with Go's lower-case errno text. */
		return err_set(e, tmp.kind, tmp.errnum, "adding pid %d to %s/cgroup.procs: %s",
			       (int)pid, paths[i],
			       tmp.errnum == ENOENT ? "no such file or directory" : tmp.msg);
	}
	return 0;
}

static int procs_read(const char *dir, pid_t **pids, size_t *n, struct err *e)
{
	_cleanup_strv_ char **lines = cg_read_lines(dir, "cgroup.procs", e);
	if (!lines)
		return -1;
	for (char **l = lines; *l; l++) {
		int pid;
		if (str_to_int(*l, &pid, "pid in cgroup.procs", e) < 0)
			return -1;
		*pids = xrealloc(*pids, (*n + 1) * sizeof(pid_t));
		(*pids)[(*n)++] = pid;
	}
	return 0;
}

static int pids_walk(const char *dir, pid_t **pids, size_t *n, struct err *e)
{
	if (procs_read(dir, pids, n, e) < 0)
		return -1;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, "open %s", dir);
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = path_join(dir, de->d_name);
		if (pids_walk(sub, pids, n, e) < 0)
			return -1;
	}
	return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct err *e)
{
	*pids = NULL;
	*n = 0;
	const char *dir = cg_members_dir(cg);
	if (!dir || access(dir, F_OK) < 0)
		return 0; /* no cgroup left: no members */
	if (pids_walk(dir, pids, n, e) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* rmdir a cgroup, its sub-cgroups first. Returns the errno of the failure, 0 when gone. */
static int remove_tree(const char *dir)
{
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	int err = errno;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = path_join(dir, de->d_name);
		if ((err = remove_tree(sub)))
			return err;
	}
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	return errno;
}

/* The container's own directories, retried while members are still leaving; with
 * only_created, those that existed before cgroup_create are left alone. */
static int destroy_leaves(struct cgroup *cg, bool only_created, struct err *e)
{
	long delay = 10;
	const char *busy = NULL;
	int err = 0;
	for (int attempt = 0; attempt < 7; attempt++, delay *= 2) {
		if (attempt)
			sleep_ms(delay);
		busy = NULL;
		for (size_t i = 0; i < cg->n_hiers; i++) {
			const char *p = cg->hiers[i].path;
			/* As runc, the container's own directory goes even when it existed
			 * before; one that others still use (shared cgroupsPath) stays. */
			if (only_created && !cg_created(cg, p))
				continue;
			int r = remove_tree(p);
			if (r == EBUSY && !cg_created(cg, p))
				r = 0;
			if (r) {
				busy = p;
				err = r;
			}
		}
		if (!busy)
			return 0;
	}
	return err_errno(e, err, "remove cgroup %s", busy);
}

static bool is_leaf(const struct cgroup *cg, const char *p)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (!strcmp(cg->hiers[i].path, p))
			return true;
	return false;
}

static int destroy(struct cgroup *cg, bool only_created, struct err *e)
{
	if (destroy_leaves(cg, only_created, e) < 0)
		return -1;
	/* Parents berth made go too, unless someone else uses them by now. */
	size_t n = strv_len(cg->created);
	while (n--)
		if (!is_leaf(cg, cg->created[n]) && rmdir(cg->created[n]) < 0 && errno != ENOENT &&
		    errno != EBUSY && errno != ENOTEMPTY)
			return err_sys(e, "remove cgroup %s", cg->created[n]);
	return 0;
}

int cgroup_destroy(struct cgroup *cg, struct err *e)
{
	return destroy(cg, false, e);
}

int cgroup_undo_create(struct cgroup *cg, struct err *e)
{
	return destroy(cg, true, e);
}
