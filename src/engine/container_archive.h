/* engine/container_archive: docker cp inside a container's view of its files: a thread that
 * enters the root (a running container's through /proc/<pid>/root, a stopped one's in a
 * private mount namespace with its volumes and binds mounted in) and works there, so
 * symlinks resolve inside the container and writes follow its mounts. */
#ifndef BERTH_ENGINE_CONTAINER_ARCHIVE_H
#define BERTH_ENGINE_CONTAINER_ARCHIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/idmap.h"

enum cp_op { CP_STAT, CP_GET, CP_PUT };

struct cp_job {
	enum cp_op op;
	pid_t pid;	    /* running: the container's init; 0: stopped */
	const char *merged; /* stopped: its root, mounted on the host */
	const json_t *rec;  /* the record (Mounts, ReadonlyRootfs, User) */
	const char *path;   /* in the container, as the client gave it */
	const char *cname;  /* the container as the client named it (messages) */
	int out_fd;	    /* GET: the tar goes here */
	json_t *stat;	    /* STAT, GET: the path's stat */
	int in_fd;	    /* PUT: the tar (read twice: checked, then extracted) */
	bool no_overwrite_dir_nondir, copy_uidgid;
	bool tar_name; /* STAT: name the path as its tar does ("." for "dir/.") */
	/* --userns-remap: owners out of (GET) and into (PUT) a remapped container; NULL: none */
	const struct idmap_pair *to_container, *to_host;
	int rc;
	struct err err;
};

/* Runs the job on its own thread (its namespace and root go with it). */
int cp_job_run(struct cp_job *j, struct err *e);
/* The operations, with the thread inside the container's root. */
int cp_do_stat(struct cp_job *j, struct err *e);
int cp_do_get(struct cp_job *j, struct err *e);
int cp_do_put(struct cp_job *j, struct err *e);

#endif
