/* engine: the daemon object: root and run directories, the image store, the event bus and
 * host facts; the only module that combines the others (containers will live here too). */
#ifndef BERTH_ENGINE_ENGINE_H
#define BERTH_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"
#include "util/err.h"

#define BERTH_VERSION	      "0.1.0"
#define BERTH_DEFAULT_ROOT    "/var/lib/berth"
#define BERTH_DEFAULT_RUN_DIR "/run/berth"

struct engine_config {
	char *root;    /* absolute, symlinks resolved by engine_new */
	char *run_dir; /* sockets, pid file default, per-container runtime state later */
	bool debug;
	const char *bridge; /* host bridge of the default network ("berth0") */
	const char *bip;    /* its gateway/prefix ("10.1.0.1/24"), NULL: a free subnet */
	char *const *insecure_registries;   /* plain HTTP / unverified TLS (host[:port], CIDR) */
	char *const *registry_mirrors;	    /* docker.io pulls try these first (URLs) */
	const struct engine_userns *userns; /* --userns-remap (engine/userns.h); NULL: off */
};

struct engine;

/* Creates the directories, takes the root lock (ERR_CONFLICT if another daemon has it) and
 * recovers the stores. *warnings (optional) gets recovery notes for the log. */
struct engine *engine_new(const struct engine_config *cfg, char ***warnings, struct err *e);
/* Wakes every waiter (event streams) so that connections can end; call before stopping the
 * API server, then engine_free. */
void engine_shutdown(struct engine *eng);
void engine_free(struct engine *eng);
const char *engine_root(const struct engine *eng);
const char *engine_run_dir(const struct engine *eng);
bool engine_debug(const struct engine *eng);
/* Daemon ID: stable per root (a random UUID-like string made at first start). */
const char *engine_id(const struct engine *eng);

/* Host and daemon facts for /info and /version. */
struct engine_sysinfo {
	char kernel[128];    /* uname release */
	char os_name[128];   /* PRETTY_NAME of os-release */
	char os_version[64]; /* VERSION_ID */
	char hostname[256];
	const char *arch; /* "x86_64" */
	long ncpu;
	int64_t mem_total;
	int cgroup_version; /* 1 or 2 */
	bool ipv4_forwarding;
	bool bridge_nf_iptables, bridge_nf_ip6tables;
	bool swap_limit, memory_limit, pids_limit, cpu_cfs, cpu_shares, cpuset, oom_kill_disable;
	int nfd;      /* open fds of the daemon */
	int nthreads; /* threads of the daemon */
	int n_events; /* event listeners */
	size_t n_images;
	const char *runtime_path; /* the berth-runc path containers run with */
};
void engine_sysinfo(struct engine *eng, struct engine_sysinfo *si);

/* Events (the /events stream). Attributes are a JSON object of strings. */
struct engine_event {
	uint64_t seq;
	char type[16]; /* container, image, network, volume, daemon */
	char *action;  /* tag, untag, delete, import, "exec_create: <the whole command>" ... */
	char *id;
	char *from; /* container events: the image */
	json_t *attrs;
	int64_t time; /* ns */
};
/* Publishes an event (attrs stolen; may be NULL). */
void engine_event_publish(struct engine *eng, const char *type, const char *action, const char *id,
			  json_t *attrs);
void engine_event_free(struct engine_event *ev);
/* Copies of the events after *seq (all buffered ones when *seq is 0), waiting until one
 * arrives, deadline_ns passes (0 = forever) or the engine shuts down (*closed). Advances
 * *seq. Returns the count; *out NULL-terminated, free each with engine_event_free. */
size_t engine_events_next(struct engine *eng, uint64_t *seq, int64_t deadline_ns,
			  struct engine_event ***out, bool *closed);
/* The sequence number of the last event published (a new stream starts after it). */
uint64_t engine_events_seq(struct engine *eng);
/* Counts event stream listeners (for /info's NEventsListener): +1 on open, -1 on close. */
void engine_events_listener(struct engine *eng, int delta);

/* Images (events included). Names resolve as image_store_get does. */
struct image *engine_image_get(struct engine *eng, const char *name, struct err *e);
struct image **engine_image_list(struct engine *eng, size_t *n);
char **engine_image_refs(struct engine *eng, const char *id);
char *engine_image_last_tag_time(struct engine *eng, const char *id);
bool engine_image_has_children(struct engine *eng, const char *id);
char *engine_image_layer_path(struct engine *eng, const char *chain_id);
/* POST /images/{name}/tag: repo (may hold a tag) and tag. Returns the familiar new tag. */
char *engine_image_tag(struct engine *eng, const char *name, const char *repo, const char *tag,
		       struct err *e);
int engine_image_remove(struct engine *eng, const char *name, bool force, bool prune,
			struct image_rm_result *res, struct err *e);

struct engine_import_opts {
	const char *repo;    /* "" or NULL: untagged; may carry a tag ("spyimg:1") */
	const char *tag;     /* overrides the tag in repo */
	const char *message; /* comment; "" -> "Imported from <src>" */
	const char *src;     /* "-" (body) */
	char *const *changes;
	const char *platform; /* "linux", "linux/amd64" or NULL */
};
struct engine_import;
/* Checks repo, tag, platform and changes; ERR_INVALID before any body is read. */
struct engine_import *engine_image_import_start(struct engine *eng,
						const struct engine_import_opts *o, struct err *e);
int engine_image_import_write(struct engine_import *imp, const void *data, size_t len);
/* Registers the image, tags it, emits tag and import events. Held image. */
struct image *engine_image_import_finish(struct engine_import *imp, struct err *e);
void engine_image_import_free(struct engine_import *imp);
/* fromSrc=URL: the URL (http:// added when it has no scheme), else NULL; fetch streams it into
 * the import (progress as image_fetch reports it; -1 from it cancels), then
 * engine_image_import_finish, only when fetch succeeded: a failed or cut download must not
 * become an image (free the import instead). */
const char *engine_image_import_url(const struct engine_import *imp);
int engine_image_import_fetch(struct engine_import *imp, image_fetch_progress_fn *progress,
			      void *arg, struct err *e);

/* POST /commit: the container's changes as a new image (container paused meanwhile when
 * pause), its Config from config (a body, may be NULL) or the container's, changes applied.
 * repo/tag are checked before anything happens. Returns the new image ID (malloc'd). */
struct engine_commit_opts {
	const char *container, *repo, *tag, *author, *comment;
	char *const *changes;
	const json_t *config;
	bool pause;
};
char *engine_container_commit(struct engine *eng, const struct engine_commit_opts *o,
			      struct err *e);
/* GET /containers/{id}/export: open checks the container (404, 409 when dead or being
 * removed); write sends the merged filesystem as a tar to fd (blocking) and emits the
 * export event. */
struct engine_export;
struct engine_export *engine_container_export_open(struct engine *eng, const char *name,
						   struct err *e);
int engine_container_export_write(struct engine_export *x, int fd, struct err *e);
void engine_container_export_free(struct engine_export *x);

/* Volumes (engine_volume.c). Create takes the body {Name, Driver, DriverOpts, Labels}; no
 * Name: 64 hex digits. List items carry UsageData {Size (-1 unless size), RefCount}. */
json_t *engine_volume_create(struct engine *eng, const json_t *body, struct err *e);
json_t *engine_volume_inspect(struct engine *eng, const char *name, struct err *e);
json_t *engine_volume_list(struct engine *eng, bool size);
/* 409 while a container uses it; force: a missing volume is no error. */
int engine_volume_remove(struct engine *eng, const char *name, bool force, struct err *e);
/* GET /system/df's Volumes array: every volume with UsageData {Size, RefCount}. */
json_t *engine_volumes_df(struct engine *eng);

#endif
