/* engine/ocispec_devices: host devices in a container's OCI config, as dockerd's WithDevices:
 * --device PATH[:CPATH[:PERMS]] (a device, or every device under a directory) as a node in
 * the container's /dev plus a devices cgroup rule; --privileged gets every host device. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "engine/ocispec.h"
#include "util/cleanup.h"
#include "util/str.h"

/* One node: linux.devices entry plus (unless privileged, whose rule allows all) an allow
 * rule with perms. */
static void add_device(json_t *spec, const char *cpath, const struct stat *st, const char *perms)
{
	json_t *lx = json_object_get(spec, "linux");
	const char *type = S_ISBLK(st->st_mode) ? "b" : "c";
	json_t *devs = json_object_get(lx, "devices");
	if (!devs) {
		devs = json_array();
		json_object_set_new(lx, "devices", devs);
	}
	json_t *dev = json_pack(
	    "{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", cpath, "type", type, "major",
	    (json_int_t)major(st->st_rdev), "minor", (json_int_t)minor(st->st_rdev), "fileMode",
	    (int)(st->st_mode & 07777), "uid", (int)st->st_uid, "gid", (int)st->st_gid);
	size_t i;
	json_t *v;
	bool replaced = false;
	json_array_foreach (devs, i, v) {
		if (!replaced && str_eq(json_string_value(json_object_get(v, "path")), cpath)) {
			json_array_set(devs, i, dev); /* --device over a privileged host device */
			replaced = true;
		}
	}
	if (!replaced)
		json_array_append(devs, dev);
	json_decref(dev);
	if (!perms)
		return;
	json_t *rules = json_object_get(json_object_get(lx, "resources"), "devices");
	json_array_append_new(rules,
			      json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type,
					"major", (json_int_t)major(st->st_rdev), "minor",
					(json_int_t)minor(st->st_rdev), "access", perms));
}

/* runc's HostDevices: what is not a device of the container's own (pts, shm, mqueue...). */
static bool skipped(const char *name)
{
	static const char *const skip[] = {"pts", "shm", "fd", "mqueue", "console"};
	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		if (!strcmp(name, skip[i]))
			return true;
	return name[0] == '.';
}

/* Every char/block device under host dir, as cdir/... in the container. */
static void add_tree(json_t *spec, const char *dir, const char *cdir, const char *perms, int depth)
{
	DIR *d = depth < 8 ? opendir(dir) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!strcmp(dir, "/dev") && skipped(de->d_name)))
			continue;
		_cleanup_free_ char *p = str_printf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *cp = str_printf("%s/%s", cdir, de->d_name);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			add_tree(spec, p, cp, perms, depth + 1);
		else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			add_device(spec, cp, &st, perms);
	}
	if (d)
		closedir(d);
}

/* "/dev/fuse", "/dev/fuse:/dev/f", "/dev/fuse:/dev/f:rw", "/dev/fuse:rw" (docker CLI form)
 * or the API's {PathOnHost, PathInContainer, CgroupPermissions}. */
static int add_mapping(json_t *spec, const json_t *m, bool priv, struct err *e)
{
	const char *host = json_string_value(json_object_get(m, "PathOnHost"));
	const char *cpath = json_string_value(json_object_get(m, "PathInContainer"));
	const char *perms = json_string_value(json_object_get(m, "CgroupPermissions"));
	if (!host || host[0] != '/')
		return err_invalid(e,
				   "invalid device mapping: PathOnHost must be an absolute path");
	if (!cpath || !*cpath)
		cpath = host;
	if (!perms || !*perms)
		perms = "rwm";
	if (cpath[0] != '/' || strspn(perms, "rwm") != strlen(perms))
		return err_invalid(e, "invalid device mapping %s:%s:%s", host, cpath, perms);
	struct stat st;
	if (stat(host, &st) < 0)
		return err_sys(
		    e, "error gathering device information while adding custom device \"%s\"",
		    host);
	if (S_ISDIR(st.st_mode))
		add_tree(spec, host, cpath, priv ? NULL : perms, 0);
	else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		add_device(spec, cpath, &st, priv ? NULL : perms);
	else
		return err_invalid(e,
				   "error gathering device information while adding custom "
				   "device \"%s\": not a device node",
				   host);
	return 0;
}

int ocispec_devices_apply(json_t *spec, const json_t *hc, struct err *e)
{
	bool priv = json_is_true(json_object_get(hc, "Privileged"));
	if (priv)
		add_tree(spec, "/dev", "/dev", NULL, 0);
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(hc, "Devices"), i, m) {
		if (!json_is_object(m))
			return err_invalid(e, "HostConfig.Devices[%zu]: expected an object", i);
		if (add_mapping(spec, m, priv, e) < 0)
			return -1;
	}
	return 0;
}
