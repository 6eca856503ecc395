/* cli/run_special: the create/run flags whose values have their own syntax: --mount's CSV,
 * --device, --ulimit, --health-cmd/--no-healthcheck, and --ip/--network-alias (which go in
 * the endpoint of the container's network). */
#include <stdlib.h>
#include <string.h>

#include "cli/run_opts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static json_t *obj_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_object(v))
		json_object_set_new(o, key, v = json_object());
	return v;
}

static json_t *arr_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_array(v))
		json_object_set_new(o, key, v = json_array());
	return v;
}

static bool truthy(const char *v)
{
	return !v || !strcmp(v, "true") || !strcmp(v, "1");
}

/* One k=v field of --mount into m (type, source, target, readonly, options). */
static int mount_field(json_t *m, const char *k, const char *v, struct err *e)
{
	if (!strcmp(k, "type"))
		json_object_set_new(m, "Type", json_string(v ? v : ""));
	else if (!strcmp(k, "source") || !strcmp(k, "src"))
		json_object_set_new(m, "Source", json_string(v ? v : ""));
	else if (!strcmp(k, "target") || !strcmp(k, "dst") || !strcmp(k, "destination"))
		json_object_set_new(m, "Target", json_string(v ? v : ""));
	else if (!strcmp(k, "readonly") || !strcmp(k, "ro"))
		json_object_set_new(m, "ReadOnly", json_boolean(truthy(v)));
	else if (!strcmp(k, "bind-propagation"))
		json_object_set_new(obj_at(m, "BindOptions"), "Propagation",
				    json_string(v ? v : ""));
	else if (!strcmp(k, "volume-nocopy"))
		json_object_set_new(obj_at(m, "VolumeOptions"), "NoCopy", json_boolean(truthy(v)));
	else if (!strcmp(k, "volume-driver"))
		json_object_set_new(obj_at(obj_at(m, "VolumeOptions"), "DriverConfig"), "Name",
				    json_string(v ? v : ""));
	else if (!strcmp(k, "volume-opt") && v && strchr(v, '=')) {
		_cleanup_free_ char *kv = str_dup(v);
		char *eq = strchr(kv, '=');
		*eq = 0;
		json_object_set_new(
		    obj_at(obj_at(obj_at(m, "VolumeOptions"), "DriverConfig"), "Options"), kv,
		    json_string(eq + 1));
	} else if (!strcmp(k, "tmpfs-size") && v) {
		long long n;
		if (run_parse_memory(v, &n, e) < 0)
			return -1;
		json_object_set_new(obj_at(m, "TmpfsOptions"), "SizeBytes", json_integer(n));
	} else if (!strcmp(k, "tmpfs-mode") && v)
		json_object_set_new(obj_at(m, "TmpfsOptions"), "Mode",
				    json_integer(strtol(v, NULL, 8)));
	else
		return err_invalid(e, "invalid field '%s' must be a key=value pair", k);
	return 0;
}

static int add_mount(json_t *body, const char *spec, struct err *e)
{
	_cleanup_json_ json_t *m = json_pack("{s:s}", "Type", "volume");
	_cleanup_strv_ char **fields = strv_split(spec, ",");
	for (char **f = fields; f && *f; f++) {
		char *eq = strchr(*f, '=');
		if (eq)
			*eq = 0;
		if (mount_field(m, *f, eq ? eq + 1 : NULL, e) < 0)
			return err_wrap(e, "invalid argument \"%s\" for \"--mount\" flag", spec);
	}
	if (!json_object_get(m, "Target"))
		return err_invalid(e,
				   "invalid argument \"%s\" for \"--mount\" flag: target is "
				   "required",
				   spec);
	json_array_append(arr_at(obj_at(body, "HostConfig"), "Mounts"), m);
	return 0;
}

/* --device /dev/x[:/dev/y][:rwm] */
static void add_device(json_t *body, const char *spec)
{
	_cleanup_strv_ char **p = strv_split(spec, ":");
	size_t n = strv_len(p);
	const char *host = n ? p[0] : spec, *ctr = host, *perm = "rwm";
	if (n == 2 && strspn(p[1], "rwm") == strlen(p[1]))
		perm = p[1];
	else if (n >= 2)
		ctr = p[1];
	if (n >= 3)
		perm = p[2];
	json_array_append_new(arr_at(obj_at(body, "HostConfig"), "Devices"),
			      json_pack("{s:s,s:s,s:s}", "PathOnHost", host, "PathInContainer", ctr,
					"CgroupPermissions", perm));
}

/* --ulimit nofile=1024[:2048] */
static int add_ulimit(json_t *body, const char *spec, struct err *e)
{
	_cleanup_free_ char *name = str_dup(spec);
	char *eq = strchr(name, '=');
	if (!eq)
		return err_invalid(e, "invalid ulimit argument: %s", spec);
	*eq = 0;
	char *end;
	long long soft = strtoll(eq + 1, &end, 10), hard = soft;
	if (end == eq + 1 || (*end && *end != ':'))
		return err_invalid(e, "invalid ulimit argument: %s", spec);
	if (*end == ':') {
		char *h = end + 1;
		hard = strtoll(h, &end, 10);
		if (end == h || *end)
			return err_invalid(e, "invalid ulimit argument: %s", spec);
	}
	json_array_append_new(arr_at(obj_at(body, "HostConfig"), "Ulimits"),
			      json_pack("{s:s,s:I,s:I}", "Name", name, "Soft", (json_int_t)soft,
					"Hard", (json_int_t)hard));
	return 0;
}

/* --label-file: k=v lines (blank lines and # comments skipped); -l flags win. */
static int add_label_file(json_t *body, const char *path, struct err *e)
{
	_cleanup_free_ char *text = fs_read_file(path, NULL, e);
	if (!text)
		return -1;
	json_t *labels = obj_at(body, "Labels");
	_cleanup_strv_ char **lines = strv_split(text, "\r\n");
	for (char **l = lines; l && *l; l++) {
		char *k = *l + strspn(*l, " \t");
		if (!*k || *k == '#')
			continue;
		char *eq = strchr(k, '=');
		if (eq)
			*eq = 0;
		if (!json_object_get(labels, k))
			json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	return 0;
}

static json_t *endpoint(json_t *body, const char *net)
{
	return obj_at(obj_at(obj_at(body, "NetworkingConfig"), "EndpointsConfig"), net);
}

int run_extra_special(const char *flag, const char *s, char **list, bool b, json_t *body,
		      const char *net, struct err *e)
{
	if (!strcmp(flag, "health-cmd"))
		json_object_set_new(obj_at(body, "Healthcheck"), "Test",
				    json_pack("[s,s]", "CMD-SHELL", s));
	else if (!strcmp(flag, "no-healthcheck"))
		json_object_set_new(obj_at(body, "Healthcheck"), "Test", json_pack("[s]", "NONE"));
	else if (!strcmp(flag, "ip") || !strcmp(flag, "ip6"))
		json_object_set_new(obj_at(endpoint(body, net), "IPAMConfig"),
				    flag[2] ? "IPv6Address" : "IPv4Address", json_string(s));
	for (char **v = list; v && *v; v++) {
		if (!strcmp(flag, "mount") && add_mount(body, *v, e) < 0)
			return -1;
		if (!strcmp(flag, "ulimit") && add_ulimit(body, *v, e) < 0)
			return -1;
		if (!strcmp(flag, "device"))
			add_device(body, *v);
		if (!strcmp(flag, "label-file") && add_label_file(body, *v, e) < 0)
			return -1;
		if (!strcmp(flag, "network-alias"))
			json_array_append_new(arr_at(endpoint(body, net), "Aliases"),
					      json_string(*v));
	}
	return 0;
}
