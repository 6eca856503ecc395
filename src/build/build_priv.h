/* build/build_priv: the builder's state shared by its files (build.c: the stage loop,
 * dispatch.c: metadata steps, run.c, copy.c, context.c, output.c, args.c). */
#ifndef BERTH_BUILD_BUILD_PRIV_H
#define BERTH_BUILD_BUILD_PRIV_H

#include <pthread.h>

#include "build/build.h"
#include "build/dockerfile.h"

/* One FROM ... up to the next FROM. */
struct stage {
	char *name;	   /* AS name, lower case; NULL when unnamed */
	size_t first, end; /* its instructions in df->v: [first] is the FROM */
	char *image;	   /* current image ID; NULL while FROM scratch has no commit */
	json_t *config;	   /* the run config (a container Config) */
	char **args;	   /* ARGs declared in the stage: "k=v" (value) or "k" (none) */
	char *maintainer;  /* MAINTAINER */
	bool cmd_set;	   /* CMD given in this stage (ENTRYPOINT then keeps it) */
	char *result;	   /* its final image, once built */
};

struct build {
	struct engine *eng;
	struct build_opts o;
	char *dir;	/* <root>/build/ctx-XXXXXX (removed at the end) */
	char *ctx;	/* dir/ctx: the extracted context */
	int ctx_fd;	/* the write end of the extraction's pipe, -1 when none */
	int ctx_rfd;	/* its read end (the thread's) */
	bool ctx_plain; /* the body is an uncompressed tar */
	pthread_t ctx_thread;
	bool ctx_running;
	int ctx_rc;
	struct err ctx_err;
	struct dockerfile *df;
	struct stage *stages;
	size_t nstages, nmeta;	/* df->v[0..nmeta) are ARGs before the first FROM */
	char **meta;		/* meta ARGs: "k=v" or "k" */
	char **used;		/* build-arg names declared somewhere (the warning's complement) */
	char **containers;	/* intermediate containers not yet removed */
	char **unremoved;	/* those whose removal failed (the daemon was stopping) */
	pthread_mutex_t out_mu; /* progress arrives from pull threads too */
	int out;		/* the message stream */
	bool cancelled;		/* the client left */
	int step, nsteps;
	char *held;	   /* q=1: the messages held back (shown at a failure) */
	int fail_code;	   /* a RUN's exit status: the error's code */
	struct stage *cur; /* the stage being built */
	char *early;	   /* messages made before the stream began (remote=): sent first */
	bool late_failed;  /* the context failed after early messages: late is streamed */
	struct err late;
};

/* output.c: messages; each is a no-op once the client left. stream() obeys quiet. */
void build_say(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void build_say_raw(struct build *b, const char *text, size_t len, bool stderr_);
void build_send(struct build *b, json_t *msg); /* msg stolen; sent even when quiet */
/* A message (stolen) held back with q=1; before the stream begins, kept in b->early. */
void build_say_json(struct build *b, json_t *msg);
/* Sends b->early, then late's error when the context failed after it: -1 then. */
int build_send_early(struct build *b);
void build_fail(struct build *b, const struct err *e, int code);
/* True when the client is gone (its end of the stream closed). */
bool build_gone(struct build *b);

/* args.c: build arguments. The env for expansion in the stage (config Env + the allowed
 * args not in it), the "K=V" args for RUN, ARG's dispatch and the final warning. */
char **build_args_env(struct build *b, struct stage *st);
char **build_args_allowed(struct build *b, struct stage *st);
int build_args_meta(struct build *b, const struct df_instr *in, struct err *e);
int build_args_declare(struct build *b, struct stage *st, const struct df_instr *in, struct err *e);
void build_args_warn_unused(struct build *b);
bool build_arg_builtin(const char *name);

/* dispatch.c: one instruction of a stage (FROM excluded); step output is the caller's. */
int build_dispatch(struct build *b, struct stage *st, const struct df_instr *in, struct err *e);
/* A commit of a metadata step: "#(nop) " + comment, probing the cache first. */
int build_commit_nop(struct build *b, struct stage *st, const char *comment, struct err *e);
/* The step's shell (SHELL or /bin/sh -c) as a JSON array (new reference). */
json_t *build_shell(const struct stage *st);
/* Probes the cache for st->image + cconfig: true (and st->image moved) on a hit. */
bool build_cache_probe(struct build *b, struct stage *st, const json_t *cconfig);
/* Commits container (NULL: no layer) with cconfig onto st->image. */
int build_commit(struct build *b, struct stage *st, const char *container, const char *dir,
		 const json_t *cconfig, struct err *e);

/* from.c: FROM (base image resolved, pulled when missing or asked, ONBUILD triggers). */
int build_from(struct build *b, struct stage *st, struct err *e);
/* An image's ID: an earlier stage by name, a local image, else (or with --pull) pulled. */
char *build_resolve_image(struct build *b, const char *name, struct err *e);

/* run.c: RUN; containers for steps (created with the build's host config). */
int build_run_step(struct build *b, struct stage *st, const struct df_instr *in, struct err *e);
/* A container of st->image with cfg (announce: "Running in" is printed); kept in
 * b->containers until removed. */
char *build_container_create(struct build *b, struct stage *st, json_t *cfg, bool announce,
			     struct err *e);
void build_container_remove(struct build *b, const char *id, bool announce);

/* copy.c: COPY and ADD. */
int build_copy(struct build *b, struct stage *st, const struct df_instr *in, bool add,
	       struct err *e);
/* WORKDIR's directory made in a container of the image and committed. */
int build_workdir(struct build *b, struct stage *st, struct err *e);

/* context.c: the directory made; the extraction ended (its error); the Dockerfile's text;
 * a finished build's directory no longer in use. */
int build_context_start(struct build *b, struct err *e);
int build_context_end(struct build *b, struct err *e);
char *build_context_dockerfile(struct build *b, struct err *e);
/* remote=URL: a tarball extracted as the context, or a Dockerfile's text. */
int build_context_remote(struct build *b, struct err *e);
void build_context_forget(const char *dir);
/* Records an intermediate container in the build's directory: a daemon killed mid-build
 * leaves it there, and the cleanup of the directory removes the container too. */
void build_context_note_container(struct build *b, const char *id);
/* The directory's list becomes b->unremoved: a cancelled build keeps its directory for them. */
void build_context_keep_unremoved(struct build *b);

#endif
