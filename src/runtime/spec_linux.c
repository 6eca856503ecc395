/* spec_linux: the "linux" section: namespaces, id mappings, devices, cgroupsPath,
 * resources, sysctl, seccomp, propagation, masked/readonly paths, labels, personality. */
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "runtime/spec.h"
#include "runtime/spec_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static int parse_namespace(const json_t *o, const char *ctx, struct spec *s, struct err *e)
{
	const char *type = NULL, *path = NULL;
	if (spec_get_str_req(o, "type", ctx, &type, e) < 0 || jx_str(o, "path", ctx, &path, e) < 0)
		return -1;
	int t = spec_ns_from_name(type);
	if (t < 0)
		return err_invalid(e, "%s.type: unknown namespace type '%s'", ctx, type);
	if (s->ns[t].enabled)
		return err_invalid(e, "%s.type: namespace '%s' given more than once", ctx, type);
	if (path && *path && path[0] != '/')
		return err_invalid(e, "%s.path: must be an absolute path, got '%s'", ctx, path);
	s->ns[t].enabled = true;
	s->ns[t].path = path && *path ? str_dup(path) : NULL;
	return 0;
}

static int parse_namespaces(const json_t *l, struct spec *s, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(l, "namespaces", "linux", &a, e) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		json_t *o = spec_array_obj(a, i, "linux", "namespaces", e);
		_cleanup_free_ char *c = spec_field_index("linux", "namespaces", i);
		if (!o || parse_namespace(o, c, s, e) < 0)
			return -1;
	}
	return 0;
}

static int parse_id_maps(const json_t *l, const char *key, struct spec_id_map **out, size_t *n,
			 struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(l, key, "linux", &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	*out = xcalloc(json_array_size(a) + 1, sizeof(**out));
	for (size_t i = 0; i < json_array_size(a); i++) {
		struct spec_id_map *m = &(*out)[i];
		json_t *o = spec_array_obj(a, i, "linux", key, e);
		_cleanup_free_ char *c = spec_field_index("linux", key, i);
		if (!o || spec_get_u32(o, "containerID", c, &m->container_id, NULL, e) < 0 ||
		    spec_get_u32(o, "hostID", c, &m->host_id, NULL, e) < 0 ||
		    spec_get_u32(o, "size", c, &m->size, NULL, e) < 0)
			return -1;
		if (m->size == 0)
			return err_invalid(e, "%s.size: must be at least 1", c);
		(*n)++;
	}
	return 0;
}

static int parse_device_ids(const json_t *o, const char *ctx, struct spec_device *d, struct err *e)
{
	uint32_t mode = 0, uid = 0, gid = 0;
	bool has_major = false, has_minor = false;
	if (jx_i64(o, "major", ctx, &d->major, &has_major, e) < 0 ||
	    jx_i64(o, "minor", ctx, &d->minor, &has_minor, e) < 0 ||
	    spec_get_u32(o, "fileMode", ctx, &mode, &d->has_mode, e) < 0 ||
	    spec_get_u32(o, "uid", ctx, &uid, &d->has_uid, e) < 0 ||
	    spec_get_u32(o, "gid", ctx, &gid, &d->has_gid, e) < 0)
		return -1;
	/* A fifo has no numbers; every other node needs both. */
	if (d->type != 'p' && (!has_major || !has_minor))
		return err_invalid(e, "%s.%s: missing, needed for a type '%c' device", ctx,
				   has_major ? "minor" : "major", d->type);
	if (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff)
		return err_invalid(e, "%s: device number %lld:%lld is out of range", ctx,
				   (long long)d->major, (long long)d->minor);
	/* Only permission bits: the node type comes from "type" (runc strips S_IFMT too). */
	d->mode = mode & 07777;
	d->uid = uid;
	d->gid = gid;
	return 0;
}

static int parse_device(const json_t *o, const char *ctx, struct spec_device *d, struct err *e)
{
	const char *type = NULL, *path = NULL;
	if (spec_get_str_req(o, "type", ctx, &type, e) < 0 ||
	    spec_get_str_req(o, "path", ctx, &path, e) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return err_invalid(e, "%s.type: unknown device type '%s' (want c, b, u or p)", ctx,
				   type);
	if (path[0] != '/')
		return err_invalid(e, "%s.path: must be an absolute path, got '%s'", ctx, path);
	d->type = type[0];
	if (parse_device_ids(o, ctx, d, e) < 0)
		return -1;
	d->path = str_dup(path);
	return 0;
}

static int parse_devices(const json_t *l, struct spec *s, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(l, "devices", "linux", &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	s->devices = xcalloc(json_array_size(a) + 1, sizeof(*s->devices));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = spec_array_obj(a, i, "linux", "devices", e);
		_cleanup_free_ char *c = spec_field_index("linux", "devices", i);
		if (!o || parse_device(o, c, &s->devices[i], e) < 0)
			return -1;
		s->n_devices++;
	}
	return 0;
}

static int parse_sysctl(const json_t *l, struct spec *s, struct err *e)
{
	json_t *o = NULL;
	if (jx_obj(l, "sysctl", "linux", &o, e) < 0 || spec_check_str_map(o, "linux.sysctl", e) < 0)
		return -1;
	if (!o)
		return 0;
	s->sysctl = xcalloc(json_object_size(o) + 1, sizeof(*s->sysctl));
	const char *k;
	json_t *v;
	json_object_foreach (o, k, v) {
		s->sysctl[s->n_sysctl].key = str_dup(k);
		s->sysctl[s->n_sysctl].value = str_dup(json_string_value(v));
		s->n_sysctl++;
	}
	return 0;
}

static int parse_personality(const json_t *l, struct spec *s, struct err *e)
{
	const char *domain = NULL;
	json_t *flags = NULL;
	if (jx_obj(l, "personality", "linux", &s->personality, e) < 0)
		return -1;
	if (!s->personality)
		return 0;
	if (spec_get_str_req(s->personality, "domain", "linux.personality", &domain, e) < 0 ||
	    jx_arr(s->personality, "flags", "linux.personality", &flags, e) < 0)
		return -1;
	if (!strcmp(domain, "LINUX"))
		s->personality_domain = PER_LINUX;
	else if (!strcmp(domain, "LINUX32"))
		s->personality_domain = PER_LINUX32;
	else
		return err_invalid(e, "linux.personality.domain: unknown domain '%s'", domain);
	/* The spec defines no flags yet: accept none rather than ignore them silently. */
	if (flags && json_array_size(flags) > 0)
		return err_invalid(e, "linux.personality.flags: no flags are supported");
	s->has_personality = true;
	return 0;
}

static int parse_paths_labels(const json_t *l, struct spec *s, struct err *e)
{
	const char *cgpath = NULL, *prop = NULL, *label = NULL;
	if (jx_str(l, "cgroupsPath", "linux", &cgpath, e) < 0 ||
	    jx_str(l, "rootfsPropagation", "linux", &prop, e) < 0 ||
	    jx_str(l, "mountLabel", "linux", &label, e) < 0 ||
	    jx_strv(l, "maskedPaths", "linux", &s->masked_paths, e) < 0 ||
	    jx_strv(l, "readonlyPaths", "linux", &s->readonly_paths, e) < 0 ||
	    jx_obj(l, "seccomp", "linux", &s->seccomp, e) < 0)
		return -1;
	if (prop && *prop && spec_propagation_from_name(prop, &s->rootfs_propagation) < 0)
		return err_invalid(e, "linux.rootfsPropagation: unknown propagation '%s'", prop);
	s->cgroups_path = cgpath && *cgpath ? str_dup(cgpath) : NULL;
	s->mount_label = label && *label ? str_dup(label) : NULL;
	return 0;
}

static int parse_resources(const json_t *l, struct spec *s, struct err *e)
{
	json_t *r = NULL;
	if (jx_obj(l, "resources", "linux", &r, e) < 0)
		return -1;
	if (!r)
		return 0;
	if (spec_resources_parse(r, "linux.resources", &s->resources, e) < 0)
		return -1;
	s->has_resources = true;
	return 0;
}

int spec_linux_parse(const json_t *l, struct spec *s, struct err *e)
{
	if (!l)
		return 0;
	if (!json_is_object(l))
		return err_invalid(e, "linux: expected object, got %s", jx_type_name(l));
	if (parse_namespaces(l, s, e) < 0 ||
	    parse_id_maps(l, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, e) < 0 ||
	    parse_id_maps(l, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, e) < 0 ||
	    parse_devices(l, s, e) < 0 || parse_resources(l, s, e) < 0 ||
	    parse_sysctl(l, s, e) < 0 || parse_personality(l, s, e) < 0 ||
	    parse_paths_labels(l, s, e) < 0)
		return -1;
	return 0;
}

static int validate_userns(const struct spec *s, struct err *e)
{
	if (!s->ns[NS_USER].enabled) {
		if (s->n_uid_mappings || s->n_gid_mappings)
			return err_invalid(e,
					   "linux.%s: mappings given, but linux.namespaces has "
					   "no user namespace",
					   s->n_uid_mappings ? "uidMappings" : "gidMappings");
		return 0;
	}
	/* Joining an existing user namespace brings its mappings along. */
	if (s->ns[NS_USER].path)
		return 0;
	if (!s->n_uid_mappings)
		return err_invalid(e, "linux.uidMappings: missing, a new user namespace needs "
				      "uid mappings");
	if (!s->n_gid_mappings)
		return err_invalid(e, "linux.gidMappings: missing, a new user namespace needs "
				      "gid mappings");
	return 0;
}

/* Is path the network namespace we run in ("host" here means current, as in runc)? */
static int is_current_netns(const char *path, bool *same, struct err *e)
{
	struct stat a, b;
	if (stat("/proc/self/ns/net", &a) < 0)
		return err_sys(e, "stat /proc/self/ns/net");
	if (stat(path, &b) < 0)
		return err_sys(e, "linux.namespaces: network namespace path %s", path);
	*same = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

/* runc's rule: a sysctl must live in a namespace the container gets for itself. */
static int validate_sysctl_key(const struct spec *s, const char *key, struct err *e)
{
	static const char *const ipc_keys[] = {
	    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	_cleanup_free_ char *k = str_dup(key);
	/* "net/ipv4/ip_forward" is the same knob as "net.ipv4.ip_forward". */
	size_t sep = strcspn(k, "./");
	if (k[sep] == '/')
		for (char *c = k; *c; c++)
			*c = *c == '/' ? '.' : *c == '.' ? '/' : *c;
	bool ipc = str_has_prefix(k, "fs.mqueue.");
	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		ipc = ipc || !strcmp(k, ipc_keys[i]);
	if (ipc && s->ns[NS_IPC].enabled)
		return 0;
	if (ipc)
		return err_invalid(e, "linux.sysctl: '%s' needs a new ipc namespace", key);
	if (str_has_prefix(k, "net.")) {
		bool host = !s->ns[NS_NET].enabled;
		if (!host && s->ns[NS_NET].path &&
		    is_current_netns(s->ns[NS_NET].path, &host, e) < 0)
			return -1;
		if (host)
			return err_invalid(e,
					   "linux.sysctl: '%s' is not allowed in the host "
					   "network namespace",
					   key);
		return 0;
	}
	if (s->ns[NS_UTS].enabled && !strcmp(k, "kernel.domainname"))
		return 0;
	if (s->ns[NS_UTS].enabled && !strcmp(k, "kernel.hostname"))
		return err_invalid(e, "linux.sysctl: '%s' conflicts with the \"hostname\" field",
				   key);
	return err_invalid(e, "linux.sysctl: '%s' is not in a separate kernel namespace", key);
}

int spec_linux_validate(const struct spec *s, struct err *e)
{
	if (validate_userns(s, e) < 0)
		return -1;
	if ((s->hostname || s->domainname) && !s->ns[NS_UTS].enabled)
		return err_invalid(e,
				   "%s: cannot be set without a uts namespace in linux.namespaces",
				   s->hostname ? "hostname" : "domainname");
	if ((strv_len(s->masked_paths) || strv_len(s->readonly_paths)) && !s->ns[NS_MNT].enabled)
		return err_invalid(e, "linux.%s: needs a mount namespace in linux.namespaces",
				   strv_len(s->masked_paths) ? "maskedPaths" : "readonlyPaths");
	for (size_t i = 0; i < s->n_sysctl; i++)
		if (validate_sysctl_key(s, s->sysctl[i].key, e) < 0)
			return -1;
	return 0;
}

void spec_linux_release(struct spec *s)
{
	for (int t = 0; t < NS_COUNT; t++)
		free(s->ns[t].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	free(s->cgroups_path);
	spec_resources_release(&s->resources);
	for (size_t i = 0; i < s->n_sysctl; i++) {
		free(s->sysctl[i].key);
		free(s->sysctl[i].value);
	}
	free(s->sysctl);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	free(s->mount_label);
}
