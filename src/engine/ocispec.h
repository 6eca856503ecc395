/* engine/ocispec: the OCI runtime config.json of a container from its record (Config and
 * HostConfig merged at create), as dockerd's oci_linux.go builds it. Pure JSON work. */
#ifndef BERTH_ENGINE_OCISPEC_H
#define BERTH_ENGINE_OCISPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

struct ocispec_input {
	const json_t *rec;  /* the container record (inspect shape) */
	const char *rootfs; /* the mounted root */
	const char *cdir;   /* container dir: hostname, hosts, resolv.conf */
	uid_t uid;
	gid_t gid;
	const gid_t *gids;
	size_t ngids;
	bool have_cgroupns; /* the host offers cgroup namespaces */
	bool swap_ok;	    /* memory+swap limits can be set */
	const char *netns;  /* a network namespace to join (NULL: a new one, or the host's) */
};

json_t *ocispec_build(const struct ocispec_input *in, struct err *e);
/* Appends the record's binds, volumes and tmpfs mounts to mounts (ocispec_mounts.c); a
 * default mount at one of their destinations is dropped. */
int ocispec_user_mounts(const json_t *rec, json_t *mounts, struct err *e);
/* Docker's default capabilities adjusted by Privileged, CapAdd, CapDrop ("ALL" too). */
int ocispec_caps(const json_t *hostconfig, char ***out, struct err *e);
/* "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN" (malloc'd), NULL if unknown. */
char *ocispec_cap_name(const char *s);
/* PATH (when missing), HOSTNAME, TERM=xterm (tty), then Config.Env (replacing). */
json_t *ocispec_env(const json_t *config);
json_t *ocispec_resources(const json_t *hostconfig, bool swap_ok);
/* HostConfig.SecurityOpt (ocispec_security.c): checked at create; applied to a built spec
 * (seccomp profile from the bounding set, noNewPrivileges). */
int ocispec_security_check(const json_t *hostconfig, struct err *e);
int ocispec_security_apply(json_t *spec, const json_t *hostconfig, struct err *e);
/* HostConfig.Devices (ocispec_devices.c) and, when privileged, every host device: nodes in
 * linux.devices and their cgroup rules. Called by ocispec_security_apply. */
int ocispec_devices_apply(json_t *spec, const json_t *hostconfig, struct err *e);
/* HostConfig.Init (ocispec_init.c): the command runs under docker-init (tini), bind-mounted
 * at /sbin/docker-init; the binary found (malloc'd) or NULL. */
int ocispec_init_apply(json_t *spec, const json_t *hostconfig, struct err *e);
char *ocispec_init_path(void);
/* Resolves Config.User ("name|uid[:group|gid]", "" = root) through rootfs's /etc/passwd and
 * /etc/group, plus HostConfig.GroupAdd. *gids malloc'd. */
int ocispec_user(const char *rootfs, const char *user, const json_t *group_add, uid_t *uid,
		 gid_t *gid, gid_t **gids, size_t *ngids, struct err *e);

#endif
