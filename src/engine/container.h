/* engine/container: containers as the Engine API sees them: create (image config merged),
 * records under <root>/containers, name/ID resolution, lifecycle through berth-monitor. */
#ifndef BERTH_ENGINE_CONTAINER_H
#define BERTH_ENGINE_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

/* Docker's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ after an optional '/'. */
bool container_name_valid(const char *name);
/* A random "adjective_surname" into out (at least 64 bytes); retry > 0 appends a digit. */
void container_name_generate(char *out, size_t len, unsigned retry);
/* go-units HumanDuration: "Less than a second", "3 seconds", "About a minute"... */
void container_human_duration(int64_t ns, char *out, size_t len);
/* The list's Status text from a record's State ("Up 3 seconds", "Exited (0) 2 minutes ago",
 * "Created"); now in ns. */
char *container_status_text(const json_t *state, int64_t now);
/* A signal by name ("HUP", "SIGHUP", "sigkill") or number; ERR_INVALID "Invalid signal: X". */
int container_signal_parse(const char *s, int *sig, struct err *e);

/* POST /containers/create: body (Config with HostConfig, NetworkingConfig), name may be NULL
 * or "". Returns the new 64-hex ID (malloc'd); *warnings (optional) a JSON array. */
char *engine_container_create(struct engine *eng, const char *name, const json_t *body,
			      json_t **warnings, struct err *e);
/* The record in inspect shape (a copy): what GET /containers/{id}/json shows. */
json_t *engine_container_inspect(struct engine *eng, const char *name, struct err *e);
/* Copies of every record (inspect shape), newest first. */
json_t *engine_container_list(struct engine *eng);
/* Full ID of name (resolution as moby's GetContainer); malloc'd. */
char *engine_container_resolve(struct engine *eng, const char *name, struct err *e);
int engine_container_remove(struct engine *eng, const char *name, bool force, bool volumes,
			    struct err *e);
int engine_container_rename(struct engine *eng, const char *name, const char *newname,
			    struct err *e);
/* SizeRw (the upper dir's bytes) and SizeRootFs (+ the image) of a container. */
void engine_container_size(struct engine *eng, const char *id, int64_t *rw, int64_t *rootfs);
/* Counts for /info: total, running, paused, stopped. */
void engine_container_counts(struct engine *eng, int counts[4]);
/* Number of containers using image id (for the image list). */
int engine_container_image_users(struct engine *eng, const char *image_id);

int engine_container_start(struct engine *eng, const char *name, struct err *e);
/* At daemon start: stopped containers whose restart policy wants them running are started
 * (always; unless-stopped unless stopped by hand; on-failure after a failure). */
void engine_container_autostart(struct engine *eng);
/* timeout < 0: the container's StopTimeout or 10 s; signal NULL: its StopSignal or TERM. */
int engine_container_stop(struct engine *eng, const char *name, int timeout, const char *signal,
			  struct err *e);
int engine_container_restart(struct engine *eng, const char *name, int timeout, const char *signal,
			     struct err *e);
/* signal NULL or "": KILL. */
int engine_container_kill(struct engine *eng, const char *name, const char *signal, struct err *e);
int engine_container_pause(struct engine *eng, const char *name, bool pause, struct err *e);
int engine_container_resize(struct engine *eng, const char *name, int h, int w, struct err *e);

/* Waiting: begin registers (so an exit right after is caught), end blocks. */
enum container_wait_cond { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };
struct container_waiter;
struct container_waiter *engine_container_wait_begin(struct engine *eng, const char *name,
						     enum container_wait_cond cond, struct err *e);
/* 1 when done (*code set), 0 when deadline_ns passed first, -1 when the daemon shuts down. */
int engine_container_wait_end(struct container_waiter *w, int64_t deadline_ns, int *code);
void engine_container_wait_free(struct container_waiter *w);

/* What attach and logs need: the per-container directories and flags. */
struct container_io {
	char id[65];
	char *name;	   /* "/name" */
	char *log_path;	   /* json-file log */
	char *attach_sock; /* NULL when not running */
	bool tty, open_stdin, stdin_once, running;
	json_t *attrs; /* event attributes (image, name, labels) */
};
int engine_container_io(struct engine *eng, const char *name, struct container_io *io,
			struct err *e);
void container_io_release(struct container_io *io);
/* Attaching: begin (in the request handler, before the 101, so that a start right after
 * cannot miss it) connects to a running container's attach socket, or parks the attach until
 * the container starts (connected before its process runs). end (on the session's thread)
 * waits for that (gone(arg) is asked every second whether the client left) and returns the
 * connection (hello sent) or -1; *log_offset is the log's size when parked, else -1. */
struct container_attach;
struct container_attach *engine_container_attach_begin(struct engine *eng, const char *name,
						       const char *hello, struct err *e);
int engine_container_attach_end(struct container_attach *a, bool (*gone)(void *), void *arg,
				int64_t *log_offset);
/* Waits until the exit that followed a parked attach is recorded (its log is complete). */
void engine_container_attach_settle(struct container_attach *a, int64_t deadline_ns);
void engine_container_attach_free(struct container_attach *a);
/* The json-file log's entries written since a parked attach (opened when it connected, so
 * an AutoRemove doesn't take it away), minus the first skip[1]/skip[2] bytes of stdout/stderr
 * already delivered live, through fn: a monitor that ends an attach early (a process that
 * exits before its first loop) loses no output so. */
int engine_container_attach_tail(struct container_attach *a, const size_t skip[3],
				 bool (*fn)(void *arg, int stream, const char *data, size_t len),
				 void *arg);
/* Reading the json-file log back. tail < 0: all; since/until ns, 0 = unset. */
struct container_logs_opts {
	bool stdout_, stderr_, follow;
	int64_t tail, since, until;
};
struct container_logs;
struct container_logs *engine_container_logs_open(struct engine *eng, const char *name,
						  const struct container_logs_opts *o, bool *tty,
						  struct err *e);
/* 1: an entry (*text malloc'd, *len bytes, stream 1/2, time ns); 0: the end (follow: the
 * container stopped); -1: gone(arg) said the client left. Blocks while following. */
int engine_container_logs_next(struct container_logs *l, int *stream, char **text, size_t *len,
			       int64_t *ns, bool (*gone)(void *), void *arg);
void engine_container_logs_free(struct container_logs *l);
/* on: while following, engine_container_logs_next returns 2 at once when no entry is there
 * yet instead of waiting (a reader batching entries sends what it has). */
void engine_container_logs_nowait(struct container_logs *l, bool on);
/* Exec instances (container_exec.c). create: 201's ID; 409 when the container isn't
 * running or is paused. start: hello (attach line) given -> *fd connected before the process
 * starts; errors are the runtime's text (the exec's ExitCode becomes 126). */
char *engine_exec_create(struct engine *eng, const char *name, const json_t *body, struct err *e);
json_t *engine_exec_inspect(struct engine *eng, const char *id, struct err *e);
int engine_exec_start(struct engine *eng, const char *id, const char *hello, int *fd, bool *tty,
		      struct err *e);
/* Waits until the exec ended (deadline ns); its exit code or -1. */
int engine_exec_wait(struct engine *eng, const char *id, int64_t deadline_ns);
int engine_exec_resize(struct engine *eng, const char *id, int h, int w, struct err *e);
/* GET /containers/{id}/top: ps (ps_args, default -ef) rows of the container's processes. */
json_t *engine_container_top(struct engine *eng, const char *name, const char *ps_args,
			     struct err *e);
/* One stats sample in dockerd's shape; prev (an earlier sample or NULL) fills precpu. */
json_t *engine_container_stats(struct engine *eng, const char *name, const json_t *prev,
			       struct err *e);
/* POST /containers/{id}/update: resources (applied to a running container's cgroup) and
 * RestartPolicy into HostConfig. */
int engine_container_update(struct engine *eng, const char *name, const json_t *body,
			    struct err *e);
/* GET /containers/{id}/changes: [{"Path","Kind"}] from the upper layer (0 mod, 1 add, 2 del). */
json_t *engine_container_changes(struct engine *eng, const char *name, struct err *e);
/* docker cp (container_archive.c): the path's stat ({name,size,mode,mtime,linkTarget}, mode
 * a Go FileMode), a tar of it (streamed, below), a tar extracted into it. */
json_t *engine_container_archive_stat(struct engine *eng, const char *name, const char *path,
				      struct err *e);
/* GET archive: *stat set; the tar streams from a thread through engine_container_archive_fd
 * until engine_container_archive_end, which closes it and waits for the thread (it holds the
 * container: call it before the engine goes). */
struct container_archive;
struct container_archive *engine_container_archive_get(struct engine *eng, const char *name,
						       const char *path, json_t **stat,
						       struct err *e);
int engine_container_archive_fd(const struct container_archive *a);
void engine_container_archive_end(struct container_archive *a);
#define ARCHIVE_PUT_NO_OVERWRITE_DIR_NONDIR 1u
#define ARCHIVE_PUT_COPY_UIDGID		    2u
int engine_container_archive_put(struct engine *eng, const char *name, const char *path, int fd,
				 unsigned flags, struct err *e);
/* Publishes a container event (attach, ...) with the container's attributes. */
void engine_container_event(struct engine *eng, const char *id, const char *action);

#endif
