/* build: docker build's classic (legacy) builder: a context tar and a Dockerfile become an
 * image, one committed image per step, RUN steps in containers of the engine. */
#ifndef BERTH_BUILD_BUILD_H
#define BERTH_BUILD_BUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

/* POST /build's query. Owned by the build once given to build_new. */
struct build_opts {
	char **tags;	  /* t (repeatable) */
	char *dockerfile; /* default "Dockerfile" */
	bool quiet, nocache, rm, forcerm, pull;
	json_t *buildargs; /* {"k": "v" | null} */
	json_t *labels;	   /* {"k": "v"} */
	char *target, *networkmode, *platform, *remote;
	char **extrahosts; /* "host:ip" */
	char **cachefrom;  /* NULL: the local cache */
	int64_t shmsize, memory, memswap, cpushares, cpuperiod, cpuquota;
	char *cpusetcpus, *cpusetmems, *cgroupparent;
	json_t *ulimits;     /* [{"Name","Soft","Hard"}] or NULL */
	char **securityopt;  /* RUN containers' --security-opt */
	char *registry_auth; /* X-Registry-Config (base64 JSON of AuthConfigs by registry) */
};
void build_opts_release(struct build_opts *o);

struct build;
/* Checks the options (tags, platform, target...) before any body is read: ERR_INVALID. The
 * build takes o's contents (o is zeroed). */
struct build *build_new(struct engine *eng, struct build_opts *o, struct err *e);
/* The context tar (plain, gzip, bzip2, xz) as the request body arrives. -1 once extraction
 * stopped: its error comes from build_context_finish. */
int build_context_write(struct build *b, const void *data, size_t len);
/* Ends the body (or fetches remote), finds and parses the Dockerfile and checks the
 * stages and target: every error that dockerd gives as an HTTP status comes from here. */
int build_context_finish(struct build *b, struct err *e);
/* Runs the build, writing dockerd's JSON messages to fd ({"stream"}, {"aux"},
 * {"errorDetail"}). Returns 0 on success. A failed write (the client left) cancels it. */
int build_run(struct build *b, int fd);
/* Removes the context and every intermediate container still there. */
void build_free(struct build *b);

/* POST /build/prune: leftovers of builds (contexts of builds a crash interrupted) removed;
 * {"CachesDeleted": [...], "SpaceReclaimed": n}. The legacy cache itself is images. */
json_t *build_prune(struct engine *eng, struct err *e);

#endif
