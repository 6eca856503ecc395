/* api/system_check: GET /system/check (berth's own, for `berth system check`): the engine's
 * consistency check as {"Problems": [...]}; 200 whatever it finds, the client judges. */
#include "api/api.h"
#include "api/http.h"
#include "engine/engine_check.h"
#include "util/cleanup.h"

void api_system_check(struct api_req *req)
{
	_cleanup_strv_ char **problems = engine_check(req->eng);
	json_t *a = json_array();
	for (char **p = problems; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	api_reply_json(req, 200, json_pack("{s:o}", "Problems", a));
}
