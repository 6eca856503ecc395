/* state: container records and derived status. */
#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

struct container_state *state_new(void)
{
	return xcalloc(1, sizeof(struct container_state));
}

void state_free(struct container_state *s)
{
	free(s->root);
	free(s->dir);
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->owner);
	json_decref(s->config);
	json_decref(s->cgroup);
	free(s);
}

char *state_now_rfc3339(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	return str_printf("%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
			  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

uint64_t state_pid_start(pid_t pid, bool *dead)
{
	*dead = true;
	if (pid <= 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *buf = fs_read_file(path, NULL, NULL);
	if (!buf)
		return 0;
	/* comm may contain spaces and parens: fields resume after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	char st = p[2];
	p += 2;
	unsigned long long start = 0;
	for (int field = 3; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (sscanf(p, "%llu", &start) != 1)
		return 0;
	*dead = st == 'Z' || st == 'X';
	return start;
}

struct container_state *state_load(const char *root, const char *id, struct err *e)
{
	if (!id_valid_runtime(id)) {
		err_invalid(e, "invalid container id '%s'", id);
		return NULL;
	}
	_cleanup_free_ char *dir = path_join(root, id);
	_cleanup_free_ char *path = path_join(dir, STATE_FILE);
	if (!fs_exists(path)) {
		err_notfound(e, "container does not exist");
		return NULL;
	}
	_cleanup_json_ json_t *j = jx_load_file(path, e);
	if (!j)
		return NULL;
	_cleanup_state_ struct container_state *s = state_new();
	const char *bundle = NULL, *rootfs = NULL, *created = NULL, *owner = "";
	json_int_t pid = 0, start = 0;
	int userns = 0;
	if (json_unpack_ex(j, NULL, 0, "{s:I, s?I, s:s, s?s, s:s, s?s, s?b}", "pid", &pid,
			   "pid_start", &start, "bundle", &bundle, "rootfs", &rootfs, "created",
			   &created, "owner", &owner, "userns", &userns) < 0) {
		err_set(e, ERR_INTERNAL, 0, "corrupt state file %s", path);
		return NULL;
	}
	s->root = str_dup(root);
	s->dir = TAKE_PTR(dir);
	s->id = str_dup(id);
	s->pid = (pid_t)pid;
	s->pid_start = (uint64_t)start;
	s->bundle = str_dup(bundle);
	s->rootfs = str_dup(rootfs ? rootfs : "");
	s->created = str_dup(created);
	s->owner = str_dup(owner);
	s->userns = userns;
	s->config = json_incref(json_object_get(j, "config"));
	s->cgroup = json_incref(json_object_get(j, "cgroup"));
	return TAKE_PTR(s);
}

int state_save(const struct container_state *s, struct err *e)
{
	_cleanup_json_ json_t *j =
	    json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:O?, s:O?}", "ociVersion",
		      OCI_VERSION, "id", s->id, "pid", (json_int_t)s->pid, "pid_start",
		      (json_int_t)s->pid_start, "bundle", s->bundle, "rootfs", s->rootfs, "created",
		      s->created, "owner", s->owner ? s->owner : "", "userns", s->userns, "config",
		      s->config, "cgroup", s->cgroup);
	if (!j)
		return err_set(e, ERR_INTERNAL, 0, "encode state of %s", s->id);
	/* The runtime's state lives in a run directory: replaced atomically, not fsynced. */
	_cleanup_free_ char *path = path_join(s->dir, STATE_FILE);
	_cleanup_free_ char *text = jx_dumps(j);
	return fs_write_replace(path, text, strlen(text), 0600, e);
}

struct cgroup *state_cgroup(const struct container_state *s, struct err *e)
{
	if (!s->cgroup) {
		err_notfound(e, "container %s has no cgroup", s->id);
		return NULL;
	}
	return cgroup_from_json(s->cgroup, e);
}

enum container_status state_status(const struct container_state *s)
{
	bool dead = true;
	uint64_t start = state_pid_start(s->pid, &dead);
	if (dead || (s->pid_start && start != s->pid_start))
		return STATUS_STOPPED;
	_cleanup_free_ char *fifo = path_join(s->dir, EXEC_FIFO);
	if (fs_exists(fifo))
		return STATUS_CREATED;
	struct err e = ERR_INIT;
	struct cgroup *cg = s->cgroup ? cgroup_from_json(s->cgroup, &e) : NULL;
	int frozen = cg ? cgroup_is_frozen(cg, &e) : 0;
	if (cg)
		cgroup_free(cg);
	return frozen == 1 ? STATUS_PAUSED : STATUS_RUNNING;
}

const char *state_status_name(enum container_status st)
{
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
	return names[st];
}

json_t *state_to_oci(const struct container_state *s, enum container_status st)
{
	json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "ociVersion", OCI_VERSION,
			      "id", s->id, "pid", (json_int_t)(st == STATUS_STOPPED ? 0 : s->pid),
			      "status", state_status_name(st), "bundle", s->bundle, "rootfs",
			      s->rootfs, "created", s->created, "owner", s->owner ? s->owner : "");
	json_t *ann = s->config ? json_object_get(s->config, "annotations") : NULL;
	if (j && json_is_object(ann) && json_object_size(ann) > 0)
		json_object_set(j, "annotations", ann);
	return j;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **state_list_ids(const char *root, struct err *e)
{
	char **ids = xcalloc(1, sizeof(char *));
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return ids;
		strv_free(ids);
		err_sys(e, "open %s", root);
		return NULL;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = str_printf("%s/%s/%s", root, de->d_name, STATE_FILE);
		if (fs_exists(p))
			strv_push(&ids, de->d_name);
	}
	qsort(ids, strv_len(ids), sizeof(char *), cmp_str);
	return ids;
}
