/* api/networks: GET /networks (filters: driver, id, label, name, scope, type, dangling),
 * inspect, create, delete, prune (label, until), connect and disconnect. */
#include <string.h>

#include "api/filters.h"
#include "api/networks.h"
#include "engine/network.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static bool predefined(const json_t *n)
{
	const char *name = json_string_value(json_object_get(n, "Name"));
	return str_eq(name, "bridge") || str_eq(name, "host") || str_eq(name, "none");
}

/* Any value of filter name matches (substring for name, prefix for id). */
static bool match_any(const json_t *f, const char *name, const char *have, int how)
{
	json_t *vals = api_filters_get(f, name);
	if (!vals)
		return true;
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		const char *s = json_string_value(v);
		if (s && have &&
		    (how == 0	? !strcmp(have, s)
		     : how == 1 ? strstr(have, s) != NULL
				: str_has_prefix(have, s)))
			return true;
	}
	return false;
}

static bool list_match(const json_t *f, const json_t *n)
{
	const char *type = predefined(n) ? "builtin" : "custom";
	json_t *dangling = api_filters_get(f, "dangling");
	if (dangling) {
		bool want = str_eq(json_string_value(json_array_get(dangling, 0)), "true") ||
			    str_eq(json_string_value(json_array_get(dangling, 0)), "1");
		bool is = !predefined(n) && !json_object_size(json_object_get(n, "Containers"));
		if (want != is)
			return false;
	}
	return match_any(f, "driver", json_string_value(json_object_get(n, "Driver")), 0) &&
	       match_any(f, "name", json_string_value(json_object_get(n, "Name")), 1) &&
	       match_any(f, "id", json_string_value(json_object_get(n, "Id")), 2) &&
	       match_any(f, "scope", json_string_value(json_object_get(n, "Scope")), 0) &&
	       match_any(f, "type", type, 0) &&
	       api_filters_match_labels(f, "label", json_object_get(n, "Labels"));
}

void api_networks_list(struct api_req *req)
{
	static const char *const accepted[] = {"dangling", "driver", "id",   "label",
					       "name",	   "scope",  "type", NULL};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	if (!f || api_filters_validate(f, accepted, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	json_t *type = api_filters_get(f, "type");
	size_t i;
	json_t *v;
	json_array_foreach (type, i, v)
		if (!str_eq(json_string_value(v), "custom") &&
		    !str_eq(json_string_value(v), "builtin")) {
			api_reply_message(req, 400, "invalid filter: 'type'='%s'",
					  json_string_value(v));
			return;
		}
	_cleanup_json_ json_t *all = engine_network_list(req->eng);
	json_t *out = json_array();
	json_array_foreach (all, i, v) {
		if (!list_match(f, v))
			continue;
		json_object_set_new(v, "Containers", json_object());
		json_array_append(out, v);
	}
	api_reply_json(req, 200, out);
}

void api_network_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *term = api_param(req, "id"), *scope = api_query(req, "scope");
	json_t *n = engine_network_inspect(req->eng, term, &e);
	const char *have = json_string_value(json_object_get(n, "Scope"));
	/* ?scope= as dockerd: another scope's network is not found, except a swarm network
	 * named by (a prefix of) its ID */
	if (n && scope && *scope && !str_eq(have, scope) &&
	    !(str_eq(have, "swarm") &&
	      str_has_prefix(json_string_value(json_object_get(n, "Id")), term))) {
		json_decref(n);
		n = NULL;
		err_notfound(&e, "network %s not found", term);
	}
	api_reply_result_json(req, n, &e, 200);
}

void api_network_create(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	json_t *r = e.kind == ERR_NONE ? engine_network_create(req->eng, body, &e) : NULL;
	api_reply_result_json(req, r, &e, 201);
}

void api_network_delete(struct api_req *req)
{
	struct err e = ERR_INIT;
	api_reply_result(req, engine_network_remove(req->eng, api_param(req, "id"), &e), &e, 204);
}

struct prune_filter {
	const json_t *f;
	int64_t until; /* ns, 0 = none */
};

/* Non-zero: keep the network (it doesn't match the filters). */
static int prune_keep(const json_t *n, void *arg)
{
	struct prune_filter *pf = arg;
	json_t *neg = api_filters_get(pf->f, "label!");
	const json_t *labels = json_object_get(n, "Labels");
	int64_t created = 0;
	store_time_parse(json_string_value(json_object_get(n, "Created")), &created, NULL);
	if (pf->until && created >= pf->until)
		return 1;
	if (!api_filters_match_labels(pf->f, "label", labels))
		return 1;
	return neg && json_array_size(neg) && api_filters_match_labels(pf->f, "label!", labels);
}

static int parse_until(const json_t *f, int64_t *out, struct err *e)
{
	const char *s = json_string_value(json_array_get(api_filters_get(f, "until"), 0));
	*out = 0;
	if (!s)
		return 0;
	int64_t secs;
	if (str_to_i64(s, &secs, "until", NULL) == 0) {
		*out = secs * 1000000000;
		return 0;
	}
	if (store_time_parse(s, out, NULL) == 0)
		return 0;
	return err_invalid(e, "invalid filter 'until=%s'", s);
}

void api_networks_prune(struct api_req *req)
{
	static const char *const accepted[] = {"label", "label!", "until", NULL};
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	struct prune_filter pf = {f, 0};
	if (!f || api_filters_validate(f, accepted, &e) < 0 || parse_until(f, &pf.until, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	json_t *names = engine_network_prune(req->eng, prune_keep, &pf, &e);
	api_reply_json(
	    req, 200,
	    json_pack("{s:o}", "NetworksDeleted",
		      json_array_size(names) ? names : (json_decref(names), json_null())));
}

/* connect's and disconnect's body (into *body) and its Container (borrowed); NULL and e
 * set when the body is bad or names none. */
static const char *body_container(struct api_req *req, json_t **body, struct err *e)
{
	*body = api_body_json(req, e);
	const char *cont = json_string_value(json_object_get(*body, "Container"));
	if (e->kind == ERR_NONE && (!cont || !*cont))
		err_invalid(e, "no container specified");
	return e->kind == ERR_NONE ? cont : NULL;
}

void api_network_connect(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = NULL;
	const char *cont = body_container(req, &body, &e);
	int r = cont ? engine_network_connect(req->eng, api_param(req, "id"), cont,
					      json_object_get(body, "EndpointConfig"), &e)
		     : -1;
	api_reply_result(req, r, &e, 200);
}

void api_network_disconnect(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = NULL;
	const char *cont = body_container(req, &body, &e);
	int r = cont ? engine_network_disconnect(req->eng, api_param(req, "id"), cont,
						 json_is_true(json_object_get(body, "Force")), &e)
		     : -1;
	api_reply_result(req, r, &e, 200);
}

void api_container_link_delete(struct api_req *req)
{
	struct err e = ERR_INIT;
	if (!api_query_bool(req, "link")) {
		api_reply_message(req, 404, "page not found");
		return;
	}
	if (engine_container_link_remove(req->eng, api_param(req, "id"), api_param(req, "link"),
					 &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_empty(req, 204);
}
