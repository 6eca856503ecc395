/* control: one request per connection on control.sock: resize, status, close-stdin, start. */
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "monitor/monitor_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static json_t *control_resize(struct monitor *m, const json_t *req, struct err *e)
{
	int64_t h = 0, w = 0;
	bool hp = false, wp = false;
	if (jx_i64(req, "height", "resize", &h, &hp, e) < 0 ||
	    jx_i64(req, "width", "resize", &w, &wp, e) < 0)
		return NULL;
	if (!hp || !wp || h < 0 || w < 0 || h > 65535 || w > 65535) {
		err_invalid(e, "resize: height and width must be numbers in 0..65535");
		return NULL;
	}
	if (m->master >= 0) {
		struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
		if (ioctl(m->master, TIOCSWINSZ, &ws) < 0) {
			err_sys(e, "resize the pty");
			return NULL;
		}
	}
	return json_pack("{s:b}", "ok", 1);
}

static json_t *control_dispatch(struct monitor *m, const json_t *req, struct err *e)
{
	const char *op = NULL;
	if (jx_str(req, "op", "request", &op, e) < 0)
		return NULL;
	if (!op) {
		err_invalid(e, "request: op is missing");
		return NULL;
	}
	if (!strcmp(op, "resize"))
		return control_resize(m, req, e);
	if (!strcmp(op, "status"))
		return json_pack("{s:b, s:i, s:b}", "ok", 1, "pid", (int)m->pid, "running",
				 !m->exited);
	if (!strcmp(op, "start")) {
		m->go = true;
		return json_pack("{s:b}", "ok", 1);
	}
	if (!strcmp(op, "close-stdin")) {
		mon_close_stdin(m);
		return json_pack("{s:b}", "ok", 1);
	}
	err_invalid(e, "unknown op: %s", op);
	return NULL;
}

void mon_control(struct monitor *m, struct mon_client *c, const char *line, size_t len)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *req = jx_loads(line, len, &e);
	_cleanup_json_ json_t *reply = NULL;
	if (req && !json_is_object(req))
		err_invalid(&e, "request: not a JSON object");
	else if (req)
		reply = control_dispatch(m, req, &e);
	if (!reply)
		reply = json_pack("{s:b, s:s}", "ok", 0, "error", e.msg);
	/* jansson's parse errors quote the input, which need not be UTF-8: json_pack refuses
	 * such a message, and the monitor must answer rather than abort */
	if (!reply)
		reply = json_pack("{s:b, s:s}", "ok", 0, "error", "request: not valid JSON");
	_cleanup_free_ char *s = jx_dumps(reply);
	mon_buf_add(&c->out, s, strlen(s));
	mon_buf_add(&c->out, "\n", 1);
	c->close_when_flushed = true;
	mon_client_write(c);
}
