/* engine/container_priv: the container store shared by the container*.c, rootfs.c and
 * ocispec.c files. Not for use outside src/engine. */
#ifndef BERTH_ENGINE_CONTAINER_PRIV_H
#define BERTH_ENGINE_CONTAINER_PRIV_H

#include <pthread.h>
#include <sys/types.h>

#include "engine/container.h"
#include "engine/engine_priv.h"
#include "util/id.h"

/* One container. rec is the persistent record in inspect shape (State inside); the
 * rest is runtime bookkeeping. Everything is guarded by the store's mutex; busy marks an
 * operation (start, stop's signal, exit handling, removal) that runs without the mutex.
 * rec has two locks: it is changed only with busy and the mutex both held, so that it
 * can be read with either one (the busy holder's slow work reads it without the mutex;
 * lists, inspect and events copy from it under the mutex). A thread holding neither
 * copies what it needs under the mutex first; slow work that changes rec (attaching
 * networks) changes a copy and puts it in place under the mutex. */
struct container {
	int refs;
	char id[ID_HEX_LEN + 1];
	json_t *rec;
	bool busy;
	bool removing, gone;
	pid_t monitor;			  /* the monitor's pid while running, else 0 */
	uint64_t exits;			  /* exits so far (next-exit waits) */
	int last_exit;			  /* exit code of the last exit */
	int64_t created;		  /* ns, for ordering */
	bool stopping;			  /* stop/kill asked for this exit (no restart) */
	bool rm_volumes;		  /* the removal takes its anonymous volumes (rm -v) */
	struct container_attach *pending; /* attaches waiting for the start */
	int64_t health_due;		  /* next probe (ns); 0: no health check */
	uint64_t health_gen;		  /* exits at the start the schedule belongs to */
	bool health_probing;		  /* a probe is in flight */
	int64_t restart_backoff;	  /* µs: the restart manager's current delay */
};

struct container_store {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* broadcast on every state change */
	struct container **v;
	size_t n;
	bool closing;
	struct health_sched *health; /* container_health.c; NULL until a check is scheduled */
	int stop_fd;		     /* eventfd, readable once closing: wakes the watchers */
	int watchers;		     /* watcher threads (containers', execs') still running */
};

/* Store lifecycle (engine.c): load records, recover containers whose monitor is gone. */
struct container_store *container_store_open(struct engine *eng, char ***warnings, struct err *e);
void container_store_shutdown(struct container_store *s);
void container_store_free(struct container_store *s);

/* A watcher thread (a container's or an exec's exit) is counted from before its creation
 * (cstore_watcher_add, false: closing, do not start it) to its last use of the store
 * (cstore_watcher_done); it polls stop_fd along with what it waits for and returns at once
 * when that fires. The store's release waits for the count to reach 0. */
bool cstore_watcher_add(struct container_store *s);
void cstore_watcher_done(struct container_store *s);

/* Lookup under s->mu; the result is held (container_put). */
struct container *cstore_find_locked(struct container_store *s, const char *name, struct err *e);
struct container *container_get(struct engine *eng, const char *name, struct err *e);
void container_put(struct engine *eng, struct container *c);
/* Takes / releases the busy flag (waits for another operation to end). */
void container_lock_busy(struct engine *eng, struct container *c);
void container_unlock_busy(struct engine *eng, struct container *c);
/* Saves c->rec (call with the mutex held or busy). */
int container_save(struct engine *eng, struct container *c, struct err *e);
/* Saves rec as id's record; with durable false replaced atomically (a crash of the daemon
 * leaves the old or the new one) but without fsync (a crash of the machine may keep the old). */
int container_save_rec(struct engine *eng, const char *id, const json_t *rec, bool durable,
		       struct err *e);
/* Directories: <root>/containers/<id> and <run>/containers/<id>; malloc'd. */
char *container_dir(struct engine *eng, const char *id);
char *container_run_dir(struct engine *eng, const char *id);
char *container_runtime_root(struct engine *eng);
/* Adds c to the store (created) / drops it (removal), mutex held. */
void cstore_add_locked(struct container_store *s, struct container *c);
void cstore_drop_locked(struct container_store *s, struct container *c);
/* The name in use by another container? (mutex held) */
struct container *cstore_by_name_locked(struct container_store *s, const char *name);

void engine_event_publish_from(struct engine *eng, const char *type, const char *action,
			       const char *id, const char *from, json_t *attrs);
/* image_usage_fn for image removal: a container (preferably a running one) uses image_id. */
bool container_image_used(const char *image_id, void *arg, char *cid, size_t cid_len,
			  bool *running);
/* Event with c's attributes (image, name, labels; copied under the store's mutex, which the
 * caller does not hold) plus extra (stolen). */
void container_emit(struct engine *eng, struct container *c, const char *action, json_t *extra);
/* The same for the container called name; none when it is gone. */
void container_emit_id(struct engine *eng, const char *name, const char *action, json_t *extra);
/* Removal once stopped: files, record, store entry, destroy event. */
int container_destroy(struct engine *eng, struct container *c, struct err *e);

/* State helpers (mutex held). */
bool container_running(const struct container *c);
bool container_paused(const struct container *c);
void container_set_state(struct container *c, const char *status);

/* Forgets a finished exec instance (health probes: not kept as Docker's GC would drop them). */
void container_exec_forget(struct engine *eng, const char *id);
/* The exec instances of cid, oldest first (inspect's ExecIDs: not kept in the record, which
 * an exec must not change); null when none. Store mutex held. */
json_t *container_exec_ids_locked(const char *cid);

/* Starting and the exit path (container_run.c). */
void container_watch(struct engine *eng, struct container *c);
int container_start_locked(struct engine *eng, struct container *c, struct err *e);
void container_recover(struct engine *eng, struct container *c);

/* Parked attaches (container_attach.c): connected by the start, released on failure. */
void container_attach_pending(struct engine *eng, struct container *c, const char *rdir);
void container_attach_release(struct engine *eng, struct container *c);
/* A connection to dir/name (a monitor socket), whatever the path's length. */
int container_sock_connect(const char *dir, const char *name, struct err *e);
/* One request line to dir/control.sock (a monitor's), its reply line into reply ("" when
 * none came within 5 s); -1 when it cannot be sent (container_ops.c). */
int container_control_request(const char *dir, const char *req, char *reply, size_t size,
			      struct err *e);
/* A monitor's start (container_monitor.c): its attach.sock and control.sock made listening
 * in dir by the daemon (attaches connect before the monitor runs: it accepts them before
 * the process starts), then the monitor spawned with the ready pipe as fd 3 and the
 * sockets as fds 4 and 5 (argv says --attach-fd 4 --control-fd 5); returns the ready
 * pipe's read end. The caller closes its copies of the sockets after the spawn, and reaps
 * the monitor's first process (*first: it exits once the monitor has daemonized) after
 * the ready line, so that the wait is not in the start's way. */
struct monitor_socks {
	int attach, control;
};
int container_monitor_listen(const char *dir, struct monitor_socks *ms, struct err *e);
/* The berth-monitor beside the running binary (malloc'd). */
char *container_monitor_bin(void);
void container_monitor_socks_close(struct monitor_socks *ms);
int container_monitor_spawn(char **argv, const struct monitor_socks *ms, pid_t *first,
			    struct err *e);
void container_monitor_reap(pid_t first);

/* The private network namespace (container_netns.c): a bind-mounted nsfs file at path. */
int container_netns_create(const char *path, struct err *e);
void container_netns_remove(const char *path);
/* A container's networks (netctl_container.c): NetworkSettings checked and recorded at
 * create; at start the namespace to join (*netns, NULL: the host's) with its endpoints,
 * ports and DNS, then its /etc files; released at exit; restored after a daemon restart. */
int container_net_check(struct engine *eng, json_t *rec, struct err *e);
int container_net_start(struct engine *eng, struct container *c, const char *rdir, char **netns,
			struct err *e);
int container_net_write_etc(struct engine *eng, struct container *c, const char *cdir,
			    struct err *e);
void container_net_stop(struct engine *eng, struct container *c, const char *rdir);
void container_net_restore(struct engine *eng, struct container *c, const char *rdir);
/* Legacy --link environment (ALIAS_NAME, ALIAS_PORT_*, ALIAS_ENV_*) added to the spec's
 * process.env. */
void container_net_link_env(struct engine *eng, struct container *c, json_t *spec);
/* The embedded DNS answers to the new name. */
void container_net_rename(struct engine *eng, const char *id, const char *name);

/* The rootfs (rootfs.c): overlay of the image layers + upper/work under dir. */
int rootfs_mount(struct engine *eng, const json_t *rec, const char *dir, struct err *e);
int rootfs_unmount(const char *dir, struct err *e);
int rootfs_write_etc(const json_t *rec, const char *dir, struct err *e);
int rootfs_make_workdir(const char *rootfs, const char *wd, struct err *e);

#endif
