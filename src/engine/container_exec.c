/* engine/container_exec: exec instances: created on a running container, started through
 * `berth-monitor exec` (process.json from the container's own OCI process with the exec's
 * args, env, user, workdir, tty), attached like a container, inspected until removed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/ocispec.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

struct exec_inst {
	struct exec_inst *next;
	char id[ID_HEX_LEN + 1];
	char cid[ID_HEX_LEN + 1];
	json_t *cfg; /* the create body */
	bool running, started, done;
	int exit_code;
	pid_t pid, monitor;
};

static struct exec_inst *execs; /* guarded by the container store's mutex */

static struct exec_inst *exec_find_locked(const char *id)
{
	for (struct exec_inst *x = execs; x; x = x->next)
		if (!strcmp(x->id, id))
			return x;
	return NULL;
}

/* Go's encoding/json matches field names case-insensitively (docker-py sends "detachKeys"). */
static json_t *exec_body_canonical(const json_t *body)
{
	static const char *const fields[] = {
	    "AttachStdin", "AttachStdout", "AttachStderr", "DetachKeys", "Tty",		"Env",
	    "Cmd",	   "Privileged",   "User",	   "WorkingDir", "ConsoleSize", NULL};
	json_t *out = json_object(), *v;
	const char *k;
	json_object_foreach ((json_t *)body, k, v) {
		const char *name = k;
		for (const char *const *f = fields; *f; f++)
			if (!strcasecmp(*f, k))
				name = *f;
		if (name == k || !json_object_get(out, name))
			json_object_set(out, name, v);
	}
	return out;
}

char *engine_exec_create(struct engine *eng, const char *name, const json_t *raw, struct err *e)
{
	_cleanup_json_ json_t *body = exec_body_canonical(raw);
	json_t *cmd = json_object_get(body, "Cmd");
	if (json_is_string(cmd))
		cmd = NULL;
	if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		err_invalid(e, "No exec command specified");
		return NULL;
	}
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, e);
	if (!c) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	c->refs--;
	if (!container_running(c)) {
		pthread_mutex_unlock(&s->mu);
		err_conflict(e, "Container %s is not running", c->id);
		return NULL;
	}
	if (container_paused(c)) {
		pthread_mutex_unlock(&s->mu);
		err_conflict(e, "Container %s is paused, unpause the container before exec", name);
		return NULL;
	}
	struct exec_inst *x = xcalloc(1, sizeof(*x));
	if (id_generate(x->id, e) < 0) {
		pthread_mutex_unlock(&s->mu);
		free(x);
		return NULL;
	}
	snprintf(x->cid, sizeof(x->cid), "%s", c->id);
	x->cfg = json_deep_copy(body);
	x->exit_code = -1;
	x->next = execs;
	execs = x;
	char cid[ID_HEX_LEN + 1], xid[ID_HEX_LEN + 1]; /* x may be forgotten once unlocked */
	snprintf(cid, sizeof(cid), "%s", c->id);
	snprintf(xid, sizeof(xid), "%s", x->id);
	pthread_mutex_unlock(&s->mu);
	_cleanup_free_ char *desc = NULL;
	{
		_cleanup_strv_ char **v = NULL;
		size_t i;
		json_t *a;
		json_array_foreach (cmd, i, a)
			strv_push(&v, json_string_value(a) ? json_string_value(a) : "");
		desc = strv_join(v, " ");
	}
	_cleanup_free_ char *action = str_printf("exec_create: %s", desc);
	container_emit_id(eng, cid, action, json_pack("{s:s}", "execID", xid));
	return str_dup(xid);
}

json_t *engine_exec_inspect(struct engine *eng, const char *id, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct exec_inst *x = exec_find_locked(id);
	json_t *j = NULL;
	if (!x) {
		err_notfound(e, "No such exec instance: %s", id);
	} else {
		const json_t *c = x->cfg;
		json_t *cmd = json_object_get(c, "Cmd");
		json_t *args = json_deep_copy(cmd);
		json_t *ep = json_incref(json_array_get(args, 0));
		json_array_remove(args, 0);
		const char *user = json_string_value(json_object_get(c, "User"));
		const char *keys = json_string_value(json_object_get(c, "DetachKeys"));
		j = json_pack(
		    "{s:s, s:b, s:o, s:{s:b, s:o, s:o, s:b, s:s}, s:b, s:b, s:b, s:b, "
		    "s:s, s:s, s:i}",
		    "ID", x->id, "Running", x->running, "ExitCode",
		    x->done ? json_integer(x->exit_code) : json_null(), "ProcessConfig", "tty",
		    json_is_true(json_object_get(c, "Tty")), "entrypoint", ep, "arguments", args,
		    "privileged", json_is_true(json_object_get(c, "Privileged")), "user",
		    user ? user : "", "OpenStdin", json_is_true(json_object_get(c, "AttachStdin")),
		    "OpenStderr", json_is_true(json_object_get(c, "AttachStderr")), "OpenStdout",
		    json_is_true(json_object_get(c, "AttachStdout")), "CanRemove", x->done,
		    "ContainerID", x->cid, "DetachKeys", keys ? keys : "", "Pid", (int)x->pid);
	}
	pthread_mutex_unlock(&s->mu);
	return j;
}

/* process.json: the container's OCI process with the exec's settings. */
static json_t *exec_process(struct engine *eng, const struct exec_inst *x, bool tty, struct err *e)
{
	_cleanup_free_ char *rdir = container_run_dir(eng, x->cid);
	_cleanup_free_ char *cpath = str_printf("%s/config.json", rdir);
	_cleanup_json_ json_t *spec = jx_load_file(cpath, e);
	if (!spec)
		return NULL;
	json_t *p = json_deep_copy(json_object_get(spec, "process"));
	const json_t *c = x->cfg;
	json_object_set(p, "args", json_object_get(c, "Cmd"));
	json_object_set_new(p, "terminal", json_boolean(tty));
	json_object_del(p, "consoleSize");
	json_t *env = json_object_get(p, "env"), *v;
	size_t i;
	json_array_foreach (json_object_get(c, "Env"), i, v)
		json_array_append(env, v);
	if (tty)
		json_array_append_new(env, json_string("TERM=xterm"));
	const char *wd = json_string_value(json_object_get(c, "WorkingDir"));
	if (wd && *wd)
		json_object_set_new(p, "cwd", json_string(wd));
	const char *user = json_string_value(json_object_get(c, "User"));
	if (user && *user) {
		const char *root =
		    json_string_value(json_object_get(json_object_get(spec, "root"), "path"));
		uid_t uid;
		gid_t gid, *gids = NULL;
		size_t n = 0;
		if (ocispec_user(root, user, NULL, &uid, &gid, &gids, &n, e) < 0) {
			free(gids);
			json_decref(p);
			return NULL;
		}
		json_t *ga = json_array();
		for (size_t k = 0; k < n; k++)
			json_array_append_new(ga, json_integer(gids[k]));
		free(gids);
		json_object_set_new(p, "user",
				    json_pack("{s:i, s:i, s:o}", "uid", (int)uid, "gid", (int)gid,
					      "additionalGids", ga));
	}
	if (json_is_true(json_object_get(c, "Privileged"))) {
		_cleanup_json_ json_t *hc = json_pack("{s:b}", "Privileged", 1);
		_cleanup_strv_ char **caps = NULL;
		if (ocispec_caps(hc, &caps, NULL) == 0) {
			json_t *a = json_array();
			for (char **q = caps; *q; q++)
				json_array_append_new(a, json_string(*q));
			json_object_set_new(p, "capabilities",
					    json_pack("{s:O, s:O, s:O}", "bounding", a, "effective",
						      a, "permitted", a));
			json_decref(a);
		}
	}
	return p;
}

static json_t *ready_line(int fd)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 &&
	       ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	buf[len] = '\0';
	return len ? json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
}

struct exec_watch {
	struct engine *eng;
	char id[ID_HEX_LEN + 1];
	char dir[PATH_MAX];
	pid_t monitor;
};

static void exec_finish(struct engine *eng, const char *id, const char *dir)
{
	_cleanup_free_ char *path = str_printf("%s/exit.json", dir);
	_cleanup_json_ json_t *ex = fs_exists(path) ? jx_load_file(path, NULL) : NULL;
	int code = ex ? (int)json_integer_value(json_object_get(ex, "ExitCode")) : 137;
	struct container_store *s = eng->containers;
	char cid[ID_HEX_LEN + 1] = "";
	fs_rm_rf(dir, NULL);
	pthread_mutex_lock(&s->mu);
	struct exec_inst *x = exec_find_locked(id);
	if (x) {
		x->running = false;
		x->done = true;
		x->exit_code = code;
		/* x may be forgotten as soon as the mutex is released */
		snprintf(cid, sizeof(cid), "%s", x->cid);
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	char c[16];
	snprintf(c, sizeof(c), "%d", code);
	if (*cid)
		container_emit_id(eng, cid, "exec_die",
				  json_pack("{s:s, s:s}", "execID", id, "exitCode", c));
}

static void *exec_watch_thread(void *p)
{
	struct exec_watch *w = p;
	struct container_store *s = w->eng->containers;
	int fd = (int)syscall(SYS_pidfd_open, w->monitor, 0);
	bool stop = false;
	if (fd >= 0) {
		struct pollfd pfd[2] = {{fd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}};
		while (poll(pfd, 2, -1) < 0 && errno == EINTR)
			;
		stop = pfd[1].revents && !pfd[0].revents;
		close(fd);
	}
	if (!stop)
		exec_finish(w->eng, w->id, w->dir);
	free(w);
	cstore_watcher_done(s);
	return NULL;
}

static char **exec_argv(struct engine *eng, const struct exec_inst *x, const char *dir, bool tty)
{
	char **argv = NULL;
	strv_push_take(&argv, container_monitor_bin());
	strv_push(&argv, "exec");
	strv_push(&argv, "--runtime-root");
	strv_push_take(&argv, container_runtime_root(eng));
	strv_push(&argv, "--id");
	strv_push(&argv, x->cid);
	strv_push(&argv, "--state-dir");
	strv_push(&argv, dir);
	strv_push(&argv, "--process");
	strv_push_take(&argv, str_printf("%s/process.json", dir));
	if (tty)
		strv_push(&argv, "--tty");
	if (json_is_true(json_object_get(x->cfg, "AttachStdin"))) {
		strv_push(&argv, "--stdin");
		strv_push(&argv, "--stdin-once");
	}
	strv_push(&argv, "--ready-fd");
	strv_push(&argv, "3");
	strv_push(&argv, "--attach-fd");
	strv_push(&argv, "4");
	strv_push(&argv, "--control-fd");
	strv_push(&argv, "5");
	return argv;
}

/* Claims the exec (409 when started before) and copies what the start needs. */
static int exec_claim(struct engine *eng, const char *id, struct exec_inst *copy, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct exec_inst *x = exec_find_locked(id);
	int r = 0;
	if (!x)
		r = err_notfound(e, "No such exec instance: %s", id);
	else if (x->started)
		r = err_conflict(e, "Error: Exec command %s %s", id,
				 x->running ? "is already running" : "has already run");
	if (r == 0) {
		struct container *c = cstore_find_locked(s, x->cid, NULL);
		if (c)
			c->refs--;
		if (!c || !container_running(c))
			r = err_conflict(e, "Container %s is not running", x->cid);
		else if (container_paused(c))
			r = err_conflict(
			    e, "Container %s is paused, unpause the container before exec", x->cid);
	}
	if (r == 0) {
		x->started = x->running = true;
		*copy = *x;
		copy->cfg = json_incref(x->cfg);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int exec_failed(struct engine *eng, const char *id, int code)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct exec_inst *x = exec_find_locked(id);
	if (x) {
		x->running = false;
		x->done = true;
		x->exit_code = code;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return -1;
}

int engine_exec_start(struct engine *eng, const char *id, const char *hello, int *fd, bool *tty,
		      struct err *e)
{
	struct exec_inst x;
	*fd = -1;
	if (exec_claim(eng, id, &x, e) < 0)
		return -1;
	_cleanup_json_ json_t *cfg = x.cfg;
	*tty = json_is_true(json_object_get(cfg, "Tty"));
	_cleanup_free_ char *rdir = container_run_dir(eng, x.cid);
	_cleanup_free_ char *dir = str_printf("%s/exec/%s", rdir, id);
	_cleanup_free_ char *pfile = str_printf("%s/process.json", dir);
	_cleanup_json_ json_t *proc = exec_process(eng, &x, *tty, e);
	if (!proc || fs_mkdir_p(dir, 0700, e) < 0 || jx_save_atomic(pfile, proc, e) < 0)
		return exec_failed(eng, id, 126);
	_cleanup_strv_ char **argv = exec_argv(eng, &x, dir, *tty);
	struct monitor_socks ms;
	if (container_monitor_listen(dir, &ms, e) < 0)
		return exec_failed(eng, id, 126);
	if (hello) {
		/* connected before the monitor runs: it accepts the attach before the process
		 * starts, so the output goes to it from its first byte */
		struct err ce = ERR_INIT;
		*fd = container_sock_connect(dir, "attach.sock", &ce);
		if (*fd < 0)
			log_warn("exec %.12s: %s", id, ce.msg);
		size_t len = strlen(hello);
		if (*fd >= 0 && send(*fd, hello, len, MSG_NOSIGNAL) != (ssize_t)len) {
			close(*fd);
			*fd = -1;
		}
	}
	pid_t first = 0;
	int rfd = container_monitor_spawn(argv, &ms, &first, e);
	container_monitor_socks_close(&ms);
	if (rfd < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		fs_rm_rf(dir, NULL);
		return exec_failed(eng, id, 126);
	}
	_cleanup_json_ json_t *ready = ready_line(rfd);
	close(rfd);
	container_monitor_reap(first);
	if (!ready || json_object_get(ready, "error")) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		const char *msg = json_string_value(json_object_get(ready, "error"));
		err_set(e, ERR_INTERNAL, 0, "OCI runtime exec failed: %s: unknown",
			msg ? msg : "berth-monitor exited without reporting");
		fs_rm_rf(dir, NULL);
		return exec_failed(eng, id, 126);
	}
	struct exec_watch *w = xcalloc(1, sizeof(*w));
	w->eng = eng;
	snprintf(w->id, sizeof(w->id), "%s", id);
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	_cleanup_free_ char *pidpath = str_printf("%s/monitor.pid", dir);
	_cleanup_free_ char *pids = fs_read_file(pidpath, NULL, NULL);
	int mpid = 0;
	if (pids)
		str_to_int(pids, &mpid, "pid", NULL);
	w->monitor = mpid;
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct exec_inst *xi = exec_find_locked(id);
	if (xi) {
		xi->pid = (pid_t)json_integer_value(json_object_get(ready, "pid"));
		xi->monitor = mpid;
	}
	pthread_mutex_unlock(&s->mu);
	container_emit_id(eng, x.cid, "exec_start", json_pack("{s:s}", "execID", id));
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	if (!cstore_watcher_add(s)) {
		free(w); /* shutting down */
	} else if (pthread_create(&t, &attr, exec_watch_thread, w) != 0) {
		exec_finish(eng, id, dir);
		free(w);
		cstore_watcher_done(s);
	}
	pthread_attr_destroy(&attr);
	return 0;
}

int engine_exec_wait(struct engine *eng, const char *id, int64_t deadline_ns)
{
	struct container_store *s = eng->containers;
	struct timespec ts = {deadline_ns / 1000000000, deadline_ns % 1000000000};
	pthread_mutex_lock(&s->mu);
	struct exec_inst *x;
	while ((x = exec_find_locked(id)) && !x->done && !s->closing)
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
	int code = x && x->done ? x->exit_code : -1;
	pthread_mutex_unlock(&s->mu);
	return code;
}

int engine_exec_resize(struct engine *eng, const char *id, int h, int w, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct exec_inst *x = exec_find_locked(id);
	char cid[ID_HEX_LEN + 1] = "";
	bool running = x && x->running;
	if (x)
		snprintf(cid, sizeof(cid), "%s", x->cid);
	pthread_mutex_unlock(&s->mu);
	if (!x)
		return err_notfound(e, "No such exec instance: %s", id);
	if (!running)
		return err_conflict(e, "Exec %s is not running", id);
	_cleanup_free_ char *rdir = container_run_dir(eng, cid);
	_cleanup_free_ char *dir = str_printf("%s/exec/%s", rdir, id);
	_cleanup_free_ char *req =
	    str_printf("{\"op\":\"resize\",\"height\":%d,\"width\":%d}\n", h, w);
	char buf[256]; /* whatever the reply (or none), the exec goes on */
	return container_control_request(dir, req, buf, sizeof(buf), e);
}

json_t *container_exec_ids_locked(const char *cid)
{
	json_t *ids = json_array();
	for (struct exec_inst *x = execs; x; x = x->next)
		if (!strcmp(x->cid, cid))
			json_array_insert_new(ids, 0, json_string(x->id)); /* oldest first */
	if (json_array_size(ids))
		return ids;
	json_decref(ids);
	return json_null();
}

void container_exec_forget(struct engine *eng, const char *id)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	for (struct exec_inst **p = &execs; *p; p = &(*p)->next) {
		struct exec_inst *x = *p;
		if (strcmp(x->id, id) != 0)
			continue;
		*p = x->next;
		json_decref(x->cfg);
		free(x);
		break;
	}
	pthread_mutex_unlock(&s->mu);
}
