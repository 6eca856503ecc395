/* engine/userns: --userns-remap in the engine: a user namespace fd with the daemon's
 * mappings, the idmapped bind mount of the layer store that overlay lowers come from (so
 * layers stay unshifted on disk and appear owned by the remapped root), and the chowns and
 * spec entries a container in the remapped namespace needs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine_priv.h"
#include "engine/userns.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/str.h"

uid_t userns_root_uid(const struct engine_userns *u)
{
	return idmap_to_host(&u->uids, 0);
}

gid_t userns_root_gid(const struct engine_userns *u)
{
	return idmap_to_host(&u->gids, 0);
}

static char *map_text(const struct idmap *m)
{
	char *s = str_dup("");
	for (size_t i = 0; i < m->n; i++) {
		char *n =
		    str_printf("%s%u %u %u\n", s, m->r[i].container, m->r[i].host, m->r[i].size);
		free(s);
		s = n;
	}
	return s;
}

static int write_map(pid_t pid, const char *file, const struct idmap *m, struct err *e)
{
	_cleanup_free_ char *path = str_printf("/proc/%d/%s", (int)pid, file);
	_cleanup_free_ char *text = map_text(m);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return err_sys(e, "write %s", path);
	return 0;
}

int userns_write_maps(const struct engine_userns *u, pid_t pid, struct err *e)
{
	if (write_map(pid, "uid_map", &u->uids, e) < 0 ||
	    write_map(pid, "gid_map", &u->gids, e) < 0)
		return -1;
	return 0;
}

int userns_open_ns(const struct engine_userns *u, struct err *e)
{
	int p[2];
	pid_t pid = spawn_fork_pipe(p, e);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		close(p[0]);
		if (write(p[1], &c, 1) != 1 || c != 'y')
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c = 0;
	ssize_t n = read(p[0], &c, 1);
	close(p[0]);
	int fd = -1;
	if (n != 1 || c != 'y')
		err_set(e, ERR_INTERNAL, 0, "create user namespace: refused by the kernel");
	else if (userns_write_maps(u, pid, e) == 0) {
		_cleanup_free_ char *path = str_printf("/proc/%d/ns/user", (int)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			err_sys(e, "open %s", path);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

int userns_idmap_mount(const char *src, const char *dst, int nsfd, struct err *e)
{
	_cleanup_close_ int t =
	    (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (t < 0)
		return err_sys(e, "open_tree %s", src);
	struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd};
	if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return err_sys(e,
			       "idmapped mount of %s (kernel >= 5.12 and a filesystem with "
			       "idmapped mounts needed)",
			       src);
	if (syscall(SYS_move_mount, t, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return err_sys(e, "mount %s on %s", src, dst);
	return 0;
}

bool engine_userns_on(const struct engine *eng)
{
	return eng->userns != NULL;
}

const struct idmap_pair *engine_userns_ids(const struct engine *eng, const json_t *hc, bool to_host)
{
	return engine_userns_private(eng, hc) ? &eng->userns_ids[to_host] : NULL;
}

bool engine_userns_private(const struct engine *eng, const json_t *hc)
{
	return eng->userns && !str_eq(json_string_value(json_object_get(hc, "UsernsMode")), "host");
}

static char *layers_dir(const struct engine *eng)
{
	return str_printf("%s/image/layers", eng->root);
}

/* In the (remapped) root, not the run directory: export hides that under a tmpfs. */
static char *view_dir(const struct engine *eng)
{
	return str_printf("%s/userns-layers", eng->root);
}

int engine_userns_setup(struct engine *eng, struct err *e)
{
	if (!eng->userns)
		return 0;
	eng->userns_ids[0] = (struct idmap_pair){&eng->userns->uids, &eng->userns->gids, false};
	eng->userns_ids[1] = (struct idmap_pair){&eng->userns->uids, &eng->userns->gids, true};
	_cleanup_free_ char *src = layers_dir(eng);
	_cleanup_free_ char *dst = view_dir(eng);
	/* a leftover of a daemon killed before its teardown */
	while (umount2(dst, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	if (fs_mkdir_p(dst, 0700, e) < 0)
		return -1;
	if (eng->userns_fd < 0 && (eng->userns_fd = userns_open_ns(eng->userns, e)) < 0)
		return -1;
	if (userns_idmap_mount(src, dst, eng->userns_fd, e) < 0)
		return err_wrap(e, "--userns-remap");
	eng->userns_layers = TAKE_PTR(dst);
	return 0;
}

void engine_userns_teardown(struct engine *eng)
{
	if (eng->userns_layers) {
		if (umount2(eng->userns_layers, UMOUNT_NOFOLLOW) < 0)
			umount2(eng->userns_layers, MNT_DETACH | UMOUNT_NOFOLLOW);
		rmdir(eng->userns_layers);
		free(eng->userns_layers);
		eng->userns_layers = NULL;
	}
	if (eng->userns_fd >= 0)
		close(eng->userns_fd);
	eng->userns_fd = -1;
}

char *engine_userns_lowers(const struct engine *eng, const char *lowers)
{
	if (!eng->userns_layers || !lowers)
		return str_dup(lowers);
	_cleanup_free_ char *from = layers_dir(eng);
	size_t flen = strlen(from);
	_cleanup_strv_ char **v = strv_split(lowers, ":");
	for (char **p = v; p && *p; p++)
		if (!strncmp(*p, from, flen) && (*p)[flen] == '/') {
			char *n = str_printf("%s%s", eng->userns_layers, *p + flen);
			free(*p);
			*p = n;
		}
	return strv_join(v, ":");
}

int engine_userns_chown(const struct engine *eng, const char *path, struct err *e)
{
	if (!eng->userns)
		return 0;
	if (lchown(path, userns_root_uid(eng->userns), userns_root_gid(eng->userns)) < 0)
		return err_sys(e, "chown %s to the remapped root", path);
	return 0;
}

int engine_userns_chgrp(const struct engine *eng, const char *path, struct err *e)
{
	if (!eng->userns)
		return 0;
	if (lchown(path, 0, userns_root_gid(eng->userns)) < 0)
		return err_sys(e, "chgrp %s to the remapped root's group", path);
	return 0;
}

int engine_userns_check(const struct engine *eng, const json_t *hc, struct err *e)
{
	/* dockerd checks no UsernsMode (the CLI does): anything but "host" is private */
	if (!engine_userns_private(eng, hc))
		return 0;
	if (json_is_true(json_object_get(hc, "Privileged")))
		return err_invalid(e, "privileged mode is incompatible with user namespaces.  You "
				      "must run the container in the host namespace when running "
				      "privileged mode");
	if (str_eq(json_string_value(json_object_get(hc, "NetworkMode")), "host"))
		return err_invalid(e, "cannot share the host's network namespace when user "
				      "namespaces are enabled");
	if (str_eq(json_string_value(json_object_get(hc, "PidMode")), "host"))
		return err_invalid(e, "cannot share the host PID namespace when user namespaces "
				      "are enabled");
	return 0;
}

static json_t *maps_json(const struct idmap *m)
{
	json_t *a = json_array();
	for (size_t i = 0; i < m->n; i++)
		json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "containerID",
						   (json_int_t)m->r[i].container, "hostID",
						   (json_int_t)m->r[i].host, "size",
						   (json_int_t)m->r[i].size));
	return a;
}

static bool has_opt(const json_t *opts, const char *o)
{
	size_t i;
	json_t *v;
	json_array_foreach (opts, i, v)
		if (str_eq(json_string_value(v), o))
			return true;
	return false;
}

/* dockerd's UnprivilegedMountFlags: a bind keeps the flags its source's mount has, as a
 * user namespace can't clear them (they are locked there). */
static void add_locked_flags(json_t *m)
{
	static const struct {
		unsigned long flag;
		const char *opt;
	} locked[] = {{ST_RDONLY, "ro"},	{ST_NOSUID, "nosuid"},
		      {ST_NODEV, "nodev"},	{ST_NOEXEC, "noexec"},
		      {ST_NOATIME, "noatime"},	{ST_NODIRATIME, "nodiratime"},
		      {ST_RELATIME, "relatime"}};
	const char *src = json_string_value(json_object_get(m, "source"));
	json_t *opts = json_object_get(m, "options");
	struct statvfs sv;
	if (!src || !json_is_array(opts) || (!has_opt(opts, "rbind") && !has_opt(opts, "bind")) ||
	    statvfs(src, &sv) < 0)
		return;
	for (size_t i = 0; i < sizeof(locked) / sizeof(locked[0]); i++)
		if ((sv.f_flag & locked[i].flag) && !has_opt(opts, locked[i].opt))
			json_array_append_new(opts, json_string(locked[i].opt));
}

/* The network namespace to join was made in a user namespace of its own (userns_netns.c,
 * or the one of the container whose network this one shares): the container joins that
 * user namespace, as dockerd makes containers sharing a network share it. */
static void join_owner(json_t *lx)
{
	size_t i;
	json_t *ns, *user = NULL;
	const char *netns = NULL;
	json_array_foreach (json_object_get(lx, "namespaces"), i, ns) {
		const char *t = json_string_value(json_object_get(ns, "type"));
		if (str_eq(t, "user"))
			user = ns;
		else if (str_eq(t, "network"))
			netns = json_string_value(json_object_get(ns, "path"));
	}
	_cleanup_free_ char *owner = netns ? str_printf("%s.userns", netns) : NULL;
	if (user && owner && fs_exists(owner))
		json_object_set_new(user, "path", json_string(owner));
}

void engine_userns_apply(const struct engine *eng, const json_t *hc, json_t *spec)
{
	if (!engine_userns_private(eng, hc))
		return;
	json_t *lx = json_object_get(spec, "linux");
	json_array_insert_new(json_object_get(lx, "namespaces"), 0,
			      json_pack("{s:s}", "type", "user"));
	json_object_set_new(lx, "uidMappings", maps_json(&eng->userns->uids));
	json_object_set_new(lx, "gidMappings", maps_json(&eng->userns->gids));
	join_owner(lx);
	/* dockerd: cgroupfs can't be remounted read-only inside a user namespace */
	size_t i;
	json_t *m;
	bool hostipc = str_eq(json_string_value(json_object_get(hc, "IpcMode")), "host");
	json_array_foreach (json_object_get(spec, "mounts"), i, m) {
		add_locked_flags(m);
		/* the host's IPC namespace is not the user namespace's to mount mqueue for: the
		 * host's mqueue mount is bound instead (dockerd's rootless mode does the same) */
		if (hostipc && str_eq(json_string_value(json_object_get(m, "type")), "mqueue")) {
			if (!fs_is_dir("/dev/mqueue")) { /* the host has none: neither has it */
				json_array_remove(json_object_get(spec, "mounts"), i--);
				continue;
			}
			json_array_set_new(json_object_get(spec, "mounts"), i,
					   json_pack("{s:s, s:s, s:s, s:[s,s,s,s]}", "destination",
						     "/dev/mqueue", "type", "bind", "source",
						     "/dev/mqueue", "options", "rbind", "nosuid",
						     "noexec", "nodev"));
			continue; /* m is gone */
		}
		if (!str_eq(json_string_value(json_object_get(m, "type")), "cgroup"))
			continue;
		json_t *opts = json_object_get(m, "options"), *o;
		size_t j;
		json_array_foreach (opts, j, o)
			if (str_eq(json_string_value(o), "ro")) {
				json_array_set_new(opts, j, json_string("rw"));
			}
	}
}

/* Docker makes a missing working directory; in the remapped namespace its root owns it. */
static int make_workdir(const struct engine *eng, const char *merged, const char *wd, struct err *e)
{
	if (!wd || !*wd || !strcmp(wd, "/"))
		return 0;
	_cleanup_free_ char *real = securejoin_resolve(merged, wd, e);
	if (!real)
		return -1;
	if (fs_exists(real))
		return 0;
	/* each missing component made and given to the remapped root */
	for (char *p = real + strlen(merged) + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			int r = 0;
			if (!fs_exists(real))
				r = mkdir(real, 0755) < 0 ? err_sys(e, "mkdir %s", real)
							  : engine_userns_chown(eng, real, e);
			*p = c;
			if (r < 0)
				return -1;
		}
		if (!*p)
			break;
	}
	return 0;
}

int engine_userns_prepare(const struct engine *eng, const json_t *rec, const char *cdir,
			  struct err *e)
{
	if (!engine_userns_private(eng, json_object_get(rec, "HostConfig")))
		return 0;
	static const char *const files[] = {"hostname", "hosts", "resolv.conf"};
	_cleanup_free_ char *parent = str_dup(cdir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	/* the runtime reaches the root through these as the remapped root (group x, 0710) */
	if (engine_userns_chgrp(eng, parent, e) < 0 || engine_userns_chgrp(eng, cdir, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		_cleanup_free_ char *p = str_printf("%s/%s", cdir, files[i]);
		if (fs_exists(p) && engine_userns_chown(eng, p, e) < 0)
			return -1;
	}
	_cleanup_free_ char *merged = str_printf("%s/merged", cdir);
	const char *wd =
	    json_string_value(json_object_get(json_object_get(rec, "Config"), "WorkingDir"));
	return make_workdir(eng, merged, wd, e);
}
