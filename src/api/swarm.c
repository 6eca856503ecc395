/* api/swarm: POST /swarm/init, /swarm/join (a clear 501: one node only), /swarm/leave,
 * /swarm/update, /swarm/unlock; GET /swarm, /swarm/unlockkey, /nodes, /nodes/{id}. */
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/swarm.h"
#include "engine/swarm.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void api_swarm_init(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	_cleanup_free_ char *id = e.kind == ERR_NONE ? engine_swarm_init(req->eng, body, &e) : NULL;
	api_reply_result_json(req, id ? json_string(id) : NULL, &e, 200);
}

void api_swarm_join(struct api_req *req)
{
	if (!strcmp(engine_swarm_status(req->eng), "inactive"))
		api_reply_message(req, 501,
				  "berth runs single-node swarms only: joining another node's "
				  "swarm is not supported (use \"docker swarm init\")");
	else
		api_reply_message(req, 503,
				  "This node is already part of a swarm. Use \"docker swarm "
				  "leave\" to leave this swarm and join another one.");
}

void api_swarm_leave(struct api_req *req)
{
	struct err e = ERR_INIT;
	api_reply_result(req, engine_swarm_leave(req->eng, api_query_bool(req, "force"), &e), &e,
			 200);
}

void api_swarm_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	api_reply_result_json(req, engine_swarm_inspect(req->eng, &e), &e, 200);
}

/* strconv.ParseBool's spellings; absent is false. */
static int flag(struct api_req *req, const char *key, bool *out, struct err *e)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	const char *v = api_query(req, key);
	*out = false;
	if (!v || !*v)
		return 0;
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(v, yes[i]))
			return *out = true, 0;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return err_invalid(e, "invalid value for %s: %s", key, v);
}

void api_swarm_update(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *v = api_query(req, "version");
	int64_t version;
	struct swarm_rotate rot;
	if (!v || str_to_i64(v, &version, "version", NULL) < 0 || version < 0)
		err_invalid(&e, "invalid swarm version '%s'", v ? v : "");
	else if (flag(req, "rotateWorkerToken", &rot.worker, &e) == 0 &&
		 flag(req, "rotateManagerToken", &rot.manager, &e) == 0)
		flag(req, "rotateManagerUnlockKey", &rot.unlock_key, &e);
	_cleanup_json_ json_t *body = e.kind == ERR_NONE ? api_body_json(req, &e) : NULL;
	int r = e.kind != ERR_NONE ? -1 : engine_swarm_update(req->eng, version, body, &rot, &e);
	api_reply_result(req, r, &e, 200);
}

void api_swarm_unlockkey(struct api_req *req)
{
	struct err e = ERR_INIT;
	api_reply_result_json(req, engine_swarm_unlockkey(req->eng, &e), &e, 200);
}

void api_swarm_unlock(struct api_req *req)
{
	struct err e = ERR_INIT;
	engine_swarm_unlock(req->eng, &e);
	api_reply_error(req, &e);
}

void api_nodes_list(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	api_reply_result_json(req, f ? engine_swarm_nodes(req->eng, f, &e) : NULL, &e, 200);
}

void api_node_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	api_reply_result_json(req, engine_swarm_node(req->eng, api_param(req, "id"), &e), &e, 200);
}

void api_node_update(struct api_req *req)
{
	struct err e = ERR_INIT;
	const char *v = api_query(req, "version");
	int64_t version = 0;
	if (!v || str_to_i64(v, &version, "version", NULL) < 0 || version < 0)
		err_invalid(&e, "invalid node version '%s'", v ? v : "");
	_cleanup_json_ json_t *body = e.kind == ERR_NONE ? api_body_json(req, &e) : NULL;
	int r = e.kind != ERR_NONE
		    ? -1
		    : engine_swarm_node_update(req->eng, api_param(req, "id"), version, body, &e);
	api_reply_result(req, r, &e, 200);
}

void api_node_delete(struct api_req *req)
{
	struct err e = ERR_INIT;
	engine_swarm_node_remove(req->eng, api_param(req, "id"), &e);
	api_reply_error(req, &e);
}
