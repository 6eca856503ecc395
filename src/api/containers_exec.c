/* api/exec: exec instances: POST /containers/{id}/exec, POST /exec/{id}/start (detached:
 * 200 empty; attached: hijacked like attach, ExitCode set before the stream closes),
 * GET /exec/{id}/json, POST /exec/{id}/resize. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/containers.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void api_exec_create(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	if (!body && e.kind != ERR_NONE) {
		api_reply_error(req, &e);
		return;
	}
	json_t *cmd = json_object_get(body, "Cmd");
	if (body && json_is_string(cmd))
		json_object_set_new(body, "Cmd", json_pack("[O]", cmd));
	_cleanup_free_ char *id =
	    engine_exec_create(req->eng, api_param(req, "id"), body ? body : json_object(), &e);
	if (!id) {
		api_reply_error(req, &e);
		return;
	}
	api_reply_json(req, 201, json_pack("{s:s}", "Id", id));
}

void api_exec_inspect(struct api_req *req)
{
	struct err e = ERR_INIT;
	json_t *j = engine_exec_inspect(req->eng, api_param(req, "id"), &e);
	api_reply_result_json(req, j, &e, 200);
}

void api_exec_resize(struct api_req *req)
{
	struct err e = ERR_INIT;
	int h = 0, w = 0;
	int r = api_query_int(req, "h", &h, &e) < 0 || api_query_int(req, "w", &w, &e) < 0 ? -1 : 0;
	if (r == 0)
		r = engine_exec_resize(req->eng, api_param(req, "id"), h, w, &e);
	api_reply_result(req, r, &e, 200);
}

struct exec_sess {
	struct attach_sess a;
	char exec_id[65];
};

static void exec_session(void *arg, int sock, const char *extra, size_t extra_len)
{
	struct exec_sess *x = arg;
	_cleanup_free_ char *hello = str_printf(
	    "{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s,\"logs\":false}\n",
	    x->a.in ? "true" : "false", x->a.out ? "true" : "false", x->a.err ? "true" : "false");
	struct err e = ERR_INIT;
	int mon = -1;
	bool tty;
	if (engine_exec_start(x->a.eng, x->exec_id, hello, &mon, &tty, &e) < 0) {
		/* after the 101 the error can only travel in the stream */
		_cleanup_free_ char *msg = str_printf("%s\r\n", e.msg);
		api_send_frame(sock, x->a.tty, 1, msg, strlen(msg));
	} else if (mon >= 0) {
		bool detached = api_attach_relay(&x->a, sock, mon, extra, extra_len);
		close(mon);
		/* clients read ExitCode right after EOF */
		if (!detached)
			engine_exec_wait(x->a.eng, x->exec_id, store_time_now() + 5000000000LL);
	}
	shutdown(sock, SHUT_WR);
}

void api_exec_start(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body = api_body_json(req, &e);
	if (!body && e.kind != ERR_NONE) {
		api_reply_error(req, &e);
		return;
	}
	const char *id = api_param(req, "id");
	json_t *info = engine_exec_inspect(req->eng, id, &e);
	if (!info) {
		api_reply_error(req, &e);
		return;
	}
	bool tty = json_is_true(json_object_get(json_object_get(info, "ProcessConfig"), "tty"));
	bool in = json_is_true(json_object_get(info, "OpenStdin"));
	bool out = json_is_true(json_object_get(info, "OpenStdout"));
	bool errs = json_is_true(json_object_get(info, "OpenStderr"));
	_cleanup_free_ char *keys = str_dup(json_string_value(json_object_get(info, "DetachKeys")));
	json_decref(info);
	if (json_is_true(json_object_get(body, "Detach"))) {
		bool t;
		int fd;
		api_reply_result(req, engine_exec_start(req->eng, id, NULL, &fd, &t, &e), &e, 200);
		return;
	}
	struct exec_sess *x = xcalloc(1, sizeof(*x));
	x->a.eng = req->eng;
	/* framing follows the start's Tty, as dockerd (the process's pty the create's) */
	x->a.tty = json_is_true(json_object_get(body, "Tty"));
	(void)tty;
	x->a.in = in;
	x->a.out = out;
	x->a.err = errs;
	x->a.stdin_once = true;
	snprintf(x->exec_id, sizeof(x->exec_id), "%s", id);
	if (api_detach_keys_parse(keys && *keys ? keys : "ctrl-p,ctrl-q", x->a.keys, &x->a.nkeys,
				  &e) < 0) {
		free(x);
		api_reply_error(req, &e);
		return;
	}
	const char *type = x->a.tty || !api_version_ge(req, 1, 42)
			       ? "application/vnd.docker.raw-stream"
			       : "application/vnd.docker.multiplexed-stream";
	api_reply_upgrade(req, type, exec_session, x, free);
}
