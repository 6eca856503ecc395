/* api/containers_json: container JSON shapes: inspect (the record plus NetworkSettings),
 * list items, and the list filters (id, name, label, status, exited, ancestor, before,
 * since, network, volume). */
#include <stdlib.h>
#include <string.h>

#include "api/containers.h"
#include "api/filters.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static const char *network_name(const json_t *rec)
{
	const char *m =
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode"));
	if (!m || !*m || !strcmp(m, "default"))
		return "bridge";
	return m;
}

static json_t *endpoint(void)
{
	return json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}",
			 "IPAMConfig", "Links", "Aliases", "NetworkID", "", "EndpointID", "",
			 "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
			 "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", "",
			 "DriverOpts");
}

static json_t *network_settings(const json_t *rec)
{
	json_t *ns = json_pack(
	    "{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s, s:i, s:s, "
	    "s:s}",
	    "Bridge", "", "SandboxID", "", "HairpinMode", 0, "LinkLocalIPv6Address", "",
	    "LinkLocalIPv6PrefixLen", 0, "Ports", json_object(), "SandboxKey", "",
	    "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "", "Gateway", "",
	    "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPPrefixLen", 0,
	    "IPv6Gateway", "", "MacAddress", "");
	json_object_set_new(ns, "Networks", json_pack("{s:o}", network_name(rec), endpoint()));
	return ns;
}

/* ?size=1: SizeRw and SizeRootFs of rec's container set on out (inspect and list). */
static void size_fields(struct api_req *req, const json_t *rec, json_t *out)
{
	if (!api_query_bool(req, "size"))
		return;
	int64_t rw = 0, rootfs = 0;
	engine_container_size(req->eng, json_string_value(json_object_get(rec, "Id")), &rw,
			      &rootfs);
	json_object_set_new(out, "SizeRw", json_integer(rw));
	json_object_set_new(out, "SizeRootFs", json_integer(rootfs));
}

json_t *api_container_inspect_json(struct api_req *req, json_t *rec)
{
	json_object_del(rec, "_NetworkingConfig");
	if (!json_is_object(json_object_get(rec, "NetworkSettings")))
		json_object_set_new(rec, "NetworkSettings", network_settings(rec));
	if (!json_object_get(rec, "Mounts") || json_is_null(json_object_get(rec, "Mounts")))
		json_object_set_new(rec, "Mounts", json_array());
	size_fields(req, rec, rec);
	return rec;
}

static char *command_of(const json_t *rec)
{
	_cleanup_strv_ char **args = NULL;
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(rec, "Args"), i, v)
		strv_push(&args, json_string_value(v));
	const char *path = json_string_value(json_object_get(rec, "Path"));
	if (!args)
		return str_dup(path ? path : "");
	_cleanup_free_ char *joined = strv_join(args, " ");
	return str_printf("%s %s", path ? path : "", joined);
}

/* The list's Ports ({IP, PrivatePort, PublicPort, Type}) and Networks from the record's
 * NetworkSettings (filled by the engine at start). */
static void summary_network(json_t *item, const json_t *rec)
{
	const json_t *ns = json_object_get(rec, "NetworkSettings");
	if (!json_is_object(json_object_get(ns, "Networks")))
		return;
	json_object_set_new(json_object_get(item, "NetworkSettings"), "Networks",
			    json_deep_copy(json_object_get(ns, "Networks")));
	json_t *ports = json_object_get(item, "Ports");
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)json_object_get(ns, "Ports"), key, v) {
		int priv = atoi(key);
		const char *slash = strchr(key, '/');
		const char *type = slash ? slash + 1 : "tcp";
		if (!json_array_size(v))
			json_array_append_new(
			    ports, json_pack("{s:i, s:s}", "PrivatePort", priv, "Type", type));
		size_t i;
		json_t *b;
		json_array_foreach (v, i, b) {
			const char *hp = json_string_value(json_object_get(b, "HostPort"));
			json_array_append_new(ports, json_pack("{s:O, s:i, s:i, s:s}", "IP",
							       json_object_get(b, "HostIp"),
							       "PrivatePort", priv, "PublicPort",
							       hp ? atoi(hp) : 0, "Type", type));
		}
	}
}

json_t *api_container_summary_json(struct api_req *req, const json_t *rec, int64_t now)
{
	const json_t *cfg = json_object_get(rec, "Config");
	const json_t *st = json_object_get(rec, "State");
	_cleanup_free_ char *cmd = command_of(rec);
	_cleanup_free_ char *status = container_status_text(st, now);
	int64_t created = 0;
	store_time_parse(json_string_value(json_object_get(rec, "Created")), &created, NULL);
	json_t *labels = json_object_get(cfg, "Labels");
	json_t *item = json_pack(
	    "{s:O, s:[O], s:O, s:O, s:s, s:I, s:[], s:o, s:O, s:s, s:{s:s}, s:{s:{s:o}}, s:[]}",
	    "Id", json_object_get(rec, "Id"), "Names", json_object_get(rec, "Name"), "Image",
	    json_object_get(cfg, "Image"), "ImageID", json_object_get(rec, "Image"), "Command", cmd,
	    "Created", (json_int_t)(created / 1000000000), "Ports", "Labels",
	    json_is_object(labels) ? json_deep_copy(labels) : json_object(), "State",
	    json_object_get(st, "Status"), "Status", status, "HostConfig", "NetworkMode",
	    json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "NetworkMode")),
	    "NetworkSettings", "Networks", network_name(rec), endpoint(), "Mounts");
	if (json_is_array(json_object_get(rec, "Mounts")))
		json_object_set_new(item, "Mounts", json_deep_copy(json_object_get(rec, "Mounts")));
	json_array_extend(json_object_get(item, "Names"), json_object_get(rec, "_LinkNames"));
	summary_network(item, rec);
	size_fields(req, rec, item);
	return item;
}

static const char *const list_filters[] = {
    "ancestor", "before", "exited", "id",      "isolation", "label",   "name",	 "status",
    "health",	"since",  "volume", "network", "is-task",   "publish", "expose", NULL};

static const char *const statuses[] = {"created", "restarting", "running", "removing",
				       "paused",  "exited",	"dead",	   NULL};

/* A network filter value: a network name or ID (prefix) the container is attached to. */
static bool network_match(const json_t *vals, const json_t *rec)
{
	const json_t *nets = json_object_get(json_object_get(rec, "NetworkSettings"), "Networks");
	if (!json_is_object(nets))
		return api_filters_match_str(vals, network_name(rec));
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		const char *want = json_string_value(v), *k;
		json_t *ep;
		json_object_foreach ((json_t *)nets, k, ep) {
			const char *id = json_string_value(json_object_get(ep, "NetworkID"));
			if (str_eq(k, want) || (want && *want && id && str_has_prefix(id, want)))
				return true;
		}
	}
	return false;
}

/* moby's volume filter: a mount's volume name (a bind's source) or destination. */
static bool volume_match(const json_t *vals, const json_t *mounts)
{
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		if (!name || !*name)
			name = json_string_value(json_object_get(m, "Source"));
		if (api_filters_match_str(vals, name) ||
		    api_filters_match_str(vals,
					  json_string_value(json_object_get(m, "Destination"))))
			return true;
	}
	return false;
}

int api_container_filters_check(json_t *f, struct err *e)
{
	if (api_filters_validate(f, list_filters, e) < 0)
		return -1;
	size_t i;
	json_t *v;
	json_array_foreach (api_filters_get(f, "status"), i, v) {
		bool ok = false;
		for (const char *const *s = statuses; *s; s++)
			ok = ok || !strcmp(*s, json_string_value(v));
		if (!ok)
			return err_invalid(e, "Unrecognised filter value for status: %s",
					   json_string_value(v));
	}
	static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
	json_array_foreach (api_filters_get(f, "health"), i, v) {
		bool ok = false;
		for (const char *const *h = healths; *h; h++)
			ok = ok || !strcmp(*h, json_string_value(v));
		if (!ok)
			return err_invalid(e, "Unrecognised filter value for health: %s",
					   json_string_value(v));
	}
	json_array_foreach (api_filters_get(f, "exited"), i, v) {
		int code;
		if (str_to_int(json_string_value(v), &code, "exited", NULL) < 0)
			return err_invalid(e, "invalid filter 'exited=%s'", json_string_value(v));
	}
	return 0;
}

/* ancestor: the container's image is (or descends from) one of the named images. */
static bool ancestor_match(struct api_req *req, const json_t *vals, const char *image_id)
{
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		struct image *img = engine_image_get(req->eng, json_string_value(v), NULL);
		if (!img)
			continue;
		_cleanup_free_ char *id = str_dup(img->id);
		image_put(img);
		if (str_eq(id, image_id))
			return true;
	}
	return false;
}

bool api_container_filter_match(struct api_req *req, const json_t *f, const json_t *rec)
{
	const json_t *st = json_object_get(rec, "State");
	const char *id = json_string_value(json_object_get(rec, "Id"));
	json_t *vals;
	if ((vals = api_filters_get(f, "id")) && !api_filters_match_regex(vals, id))
		return false;
	if ((vals = api_filters_get(f, "name")) &&
	    !api_filters_match_regex(vals, json_string_value(json_object_get(rec, "Name"))))
		return false;
	if ((vals = api_filters_get(f, "status")) &&
	    !api_filters_match_str(vals, json_string_value(json_object_get(st, "Status"))))
		return false;
	if ((vals = api_filters_get(f, "exited"))) {
		char code[16];
		snprintf(code, sizeof(code), "%lld",
			 (long long)json_integer_value(json_object_get(st, "ExitCode")));
		if (!str_eq(json_string_value(json_object_get(st, "Status")), "exited") ||
		    !api_filters_match_str(vals, code))
			return false;
	}
	if ((vals = api_filters_get(f, "health"))) {
		const char *h =
		    json_string_value(json_object_get(json_object_get(st, "Health"), "Status"));
		if (!api_filters_match_str(vals, h ? h : "none"))
			return false;
	}
	if (!api_filters_match_labels(f, "label",
				      json_object_get(json_object_get(rec, "Config"), "Labels")))
		return false;
	if ((vals = api_filters_get(f, "ancestor")) &&
	    !ancestor_match(req, vals, json_string_value(json_object_get(rec, "Image"))))
		return false;
	if ((vals = api_filters_get(f, "network")) && !network_match(vals, rec))
		return false;
	if ((vals = api_filters_get(f, "volume")) && json_array_size(vals) &&
	    !volume_match(vals, json_object_get(rec, "Mounts")))
		return false;
	return true;
}
