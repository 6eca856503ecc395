/* engine/container_archive: docker cp as the Engine API asks for it: the stat of a path in a
 * container (HEAD), a tar of it (GET) and a tar extracted into a directory of it (PUT), for
 * running and stopped containers alike. A stopped container's root and option volumes are
 * mounted for the call and released after; the work itself happens inside the container's
 * view of its files (container_archive_ns.c). */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container_archive.h"
#include "engine/container_mounts.h"
#include "engine/container_priv.h"
#include "engine/userns.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

/* The container held busy; a stopped one's root and volumes are made ready. */
struct croot {
	struct engine *eng;
	struct container *c;
	char *cdir, *merged;
	bool mounted;
	pid_t pid;
};

static int croot_open(struct engine *eng, const char *name, struct croot *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->c = container_get(eng, name, e);
	if (!r->c)
		return -1;
	r->eng = eng;
	container_lock_busy(eng, r->c);
	if (r->c->gone)
		return err_notfound(e, "No such container: %s", name);
	r->cdir = container_dir(eng, r->c->id);
	r->merged = str_printf("%s/merged", r->cdir);
	if (container_running(r->c)) {
		r->pid = (pid_t)json_integer_value(
		    json_object_get(json_object_get(r->c->rec, "State"), "Pid"));
		/* never a second mount of a live root */
		return r->pid > 0 ? 0
				  : err_set(e, ERR_INTERNAL, 0, "container %.12s has no process",
					    r->c->id);
	}
	if (rootfs_mount(eng, r->c->rec, r->cdir, e) < 0)
		return -1;
	r->mounted = true;
	/* as a start would: bind sources made, option volumes mounted, volumes filled */
	return container_volumes_setup_quiet(eng, r->c->rec, r->cdir, e);
}

static void croot_close(struct croot *r)
{
	if (r->mounted) {
		rootfs_unmount(r->cdir, NULL);
		container_volumes_release_quiet(r->eng, r->c->rec);
	}
	if (r->c) {
		container_unlock_busy(r->eng, r->c);
		container_put(r->eng, r->c);
	}
	free(r->cdir);
	free(r->merged);
}

/* Busy held: the record's HostConfig stays as it is. */
static void cp_job_ids(struct engine *eng, struct cp_job *j)
{
	const json_t *hc = json_object_get(j->rec, "HostConfig");
	j->to_container = engine_userns_ids(eng, hc, false);
	j->to_host = engine_userns_ids(eng, hc, true);
}

static int run(struct engine *eng, const char *name, struct cp_job *j, struct err *e)
{
	struct croot r;
	int ret = -1;
	if (croot_open(eng, name, &r, e) == 0) {
		j->pid = r.pid;
		j->merged = r.merged;
		j->rec = r.c->rec;
		j->cname = name;
		cp_job_ids(eng, j);
		ret = cp_job_run(j, e);
	}
	croot_close(&r);
	return ret;
}

json_t *engine_container_archive_stat(struct engine *eng, const char *name, const char *path,
				      struct err *e)
{
	struct cp_job j = {.op = CP_STAT, .path = path};
	if (run(eng, name, &j, e) < 0) {
		json_decref(j.stat);
		return NULL;
	}
	return j.stat;
}

/* A GET's tar, written into a pipe by a thread of its own while the reply streams it; the
 * container stays held (busy, its root mounted) until the thread is joined. */
struct container_archive {
	struct croot r;
	struct cp_job j;
	char *path, *cname;
	int rfd;
	pthread_t t;
	bool started;
};

static void *get_thread(void *arg)
{
	struct container_archive *g = arg;
	struct err e = ERR_INIT;
	/* a failure ends the stream early: the client sees a short tar, as with dockerd */
	if (cp_job_run(&g->j, &e) < 0)
		log_warn("cp: tar of %s in container %.12s: %s", g->path, g->r.c->id, e.msg);
	close(g->j.out_fd); /* EOF for the reader */
	g->j.out_fd = -1;
	return NULL;
}

void engine_container_archive_end(struct container_archive *g)
{
	if (!g)
		return;
	if (g->rfd >= 0)
		close(g->rfd); /* a writer still at work gets EPIPE and stops */
	if (g->started)
		pthread_join(g->t, NULL);
	if (g->j.out_fd >= 0)
		close(g->j.out_fd);
	croot_close(&g->r);
	json_decref(g->j.stat);
	free(g->path);
	free(g->cname);
	free(g);
}

int engine_container_archive_fd(const struct container_archive *a)
{
	return a->rfd;
}

struct container_archive *engine_container_archive_get(struct engine *eng, const char *name,
						       const char *path, json_t **stat,
						       struct err *e)
{
	*stat = NULL;
	struct container_archive *g = xcalloc(1, sizeof(*g));
	g->path = str_dup(path);
	g->cname = str_dup(name);
	g->rfd = -1;
	g->j = (struct cp_job){.op = CP_STAT, .path = g->path, .cname = g->cname, .out_fd = -1};
	int p[2] = {-1, -1};
	if (croot_open(eng, name, &g->r, e) < 0) {
		engine_container_archive_end(g);
		return NULL;
	}
	g->j.pid = g->r.pid;
	g->j.merged = g->r.merged;
	g->j.rec = g->r.c->rec;
	g->j.tar_name = true;
	cp_job_ids(eng, &g->j);
	if (cp_job_run(&g->j, e) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		if (e && e->kind == ERR_NONE)
			err_sys(e, "cp: pipe");
		engine_container_archive_end(g);
		return NULL;
	}
	g->rfd = p[0];
	g->j.op = CP_GET;
	g->j.out_fd = p[1];
	/* taken before the thread runs: the job is the thread's from then on */
	_cleanup_json_ json_t *st = TAKE_PTR(g->j.stat);
	int r = pthread_create(&g->t, NULL, get_thread, g);
	if (r != 0) {
		err_errno(e, r, "cp: start a thread");
		engine_container_archive_end(g);
		return NULL;
	}
	g->started = true;
	*stat = TAKE_PTR(st);
	return g;
}

/* PUT archive: the tar in fd (read from its start) is extracted into path (an existing
 * directory). */
int engine_container_archive_put(struct engine *eng, const char *name, const char *path, int fd,
				 unsigned flags, struct err *e)
{
	struct cp_job j = {.op = CP_PUT,
			   .path = path,
			   .in_fd = fd,
			   .no_overwrite_dir_nondir = flags & ARCHIVE_PUT_NO_OVERWRITE_DIR_NONDIR,
			   .copy_uidgid = flags & ARCHIVE_PUT_COPY_UIDGID};
	int r = run(eng, name, &j, e);
	json_decref(j.stat);
	return r;
}
