/* engine/userns: --userns-remap: the daemon-wide uid/gid mappings every container's user
 * namespace gets, the idmapped view of the layer store its overlay lowers come from, and the
 * ownership of what the host side makes for a container (upper dir, /etc files, volumes). */
#ifndef BERTH_ENGINE_USERNS_H
#define BERTH_ENGINE_USERNS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/idmap.h"

struct engine;

struct engine_userns {
	char *user, *group; /* resolved names ("dockremap") */
	struct idmap uids, gids;
};

/* --userns-remap SPEC ("default", "USER", "USER:GROUP", "UID[:GID]"): the names resolved as
 * dockerd does ("default": the dockremap user and group, created with useradd/groupadd and
 * given free 65536-id ranges in /etc/subuid and /etc/subgid when missing), their ranges read
 * from those files. Returns 1 when filled, 0 when remapping stays off (root:
 * *warning set), -1 on error. (userns_setup.c) */
int userns_resolve(const char *spec, struct engine_userns *out, char **warning, struct err *e);
void userns_release(struct engine_userns *u);

/* The host uid and gid of the containers' root. */
uid_t userns_root_uid(const struct engine_userns *u);
gid_t userns_root_gid(const struct engine_userns *u);

/* Writes the mappings into the uid_map and gid_map of pid (a new user namespace's). */
int userns_write_maps(const struct engine_userns *u, pid_t pid, struct err *e);
/* A user namespace with the mappings, kept by an fd (its only process is gone). */
int userns_open_ns(const struct engine_userns *u, struct err *e);
/* An idmapped bind mount of src at dst (an existing directory) through nsfd's mappings. */
int userns_idmap_mount(const char *src, const char *dst, int nsfd, struct err *e);

/* Engine side (userns.c). On when the daemon was started with remapping. */
bool engine_userns_on(const struct engine *eng);
/* Translation of tar entry owners for a container's files (cp, commit, export): NULL when
 * it is not in the remapped namespace; to_host for what goes into it. */
const struct idmap_pair *engine_userns_ids(const struct engine *eng, const json_t *hostconfig,
					   bool to_host);
/* Whether a container gets the remapped user namespace (remapping on, UsernsMode not host). */
bool engine_userns_private(const struct engine *eng, const json_t *hostconfig);
/* Mounts the idmapped view of the layer store (daemon start) / unmounts it. */
int engine_userns_setup(struct engine *eng, struct err *e);
void engine_userns_teardown(struct engine *eng);
/* An overlay lowerdir list with the layer store's paths replaced by the idmapped view's. */
char *engine_userns_lowers(const struct engine *eng, const char *lowers);
/* chown to the remapped root (no-op when off); chgrp for directories it only traverses. */
int engine_userns_chown(const struct engine *eng, const char *path, struct err *e);
int engine_userns_chgrp(const struct engine *eng, const char *path, struct err *e);
/* Before a start in the remapped namespace: the container dir traversable by its root, the
 * hostname, hosts and resolv.conf files and a missing working directory owned by it. */
int engine_userns_prepare(const struct engine *eng, const json_t *rec, const char *cdir,
			  struct err *e);
/* The container's network namespace at path: for a remapped container made in a user
 * namespace of its own, kept at <path>.userns (container_netns_remove removes both); else
 * container_netns_create's. (userns_netns.c) */
int engine_userns_netns_create(const struct engine *eng, const json_t *rec, const char *path,
			       struct err *e);
/* HostConfig checks at create: dockerd's conflicts of --privileged, --pid=host and
 * --network=host with the user namespace. */
int engine_userns_check(const struct engine *eng, const json_t *hostconfig, struct err *e);
/* The spec's user namespace and mappings; cgroupfs writable as dockerd makes it. */
void engine_userns_apply(const struct engine *eng, const json_t *hostconfig, json_t *spec);

#endif
