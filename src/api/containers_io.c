/* api/containers_io: attach (hijacked; relayed from the monitor's attach socket, its
 * frames turned into Docker's 8-byte stdcopy headers without a TTY) and logs (the json-file
 * log read back, chunked, framed the same way). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/containers.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

static const char *stream_type(struct api_req *req, bool tty)
{
	if (tty || !api_version_ge(req, 1, 42))
		return "application/vnd.docker.raw-stream";
	return "application/vnd.docker.multiplexed-stream";
}

static void stdcopy_header(unsigned char h[8], int stream, size_t len)
{
	h[0] = (unsigned char)stream;
	h[1] = h[2] = h[3] = 0;
	h[4] = (unsigned char)(len >> 24);
	h[5] = (unsigned char)(len >> 16);
	h[6] = (unsigned char)(len >> 8);
	h[7] = (unsigned char)len;
}

static bool send_all(int fd, const void *p, size_t len)
{
	const char *b = p;
	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		b += n;
		len -= (size_t)n;
	}
	return true;
}

bool api_send_frame(int fd, bool tty, int stream, const char *data, size_t len)
{
	if (!len)
		return true;
	if (!tty) {
		unsigned char h[8];
		stdcopy_header(h, stream, len);
		if (!send_all(fd, h, sizeof(h)))
			return false;
	}
	return send_all(fd, data, len);
}

/* "ctrl-p,ctrl-q" (moby's term.ToBytes): ctrl-<a-z @ [ \\ ] ^ _> or a single character. */
int api_detach_keys_parse(const char *s, unsigned char *out, size_t *n, struct err *e)
{
	*n = 0;
	_cleanup_strv_ char **v = strv_split(s, ",");
	for (char **p = v; p && *p; p++) {
		unsigned char k;
		const char *t = *p;
		if (strlen(t) == 1) {
			k = (unsigned char)t[0];
		} else if (!strncmp(t, "ctrl-", 5) && strlen(t) == 6) {
			unsigned char c = (unsigned char)t[5];
			if (c >= 'a' && c <= 'z')
				k = (unsigned char)(c - 'a' + 1);
			else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' ||
				 c == '_')
				k = (unsigned char)(c == '@' ? 0 : c - '[' + 27);
			else
				return err_invalid(e, "Unknown character: '%s'", t);
		} else {
			return err_invalid(e, "Unknown character: '%s'", t);
		}
		if (*n == 16)
			return err_invalid(e, "too many detach keys: %s", s);
		out[(*n)++] = k;
	}
	return 0;
}

/* Forwards stdin, holding back a partial detach sequence; true when it was completed. */
static bool forward_stdin(struct attach_sess *a, int mon, const char *buf, size_t n)
{
	char out[16384 + 16];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)buf[i];
		if (a->nkeys && b == a->keys[a->matched]) {
			if (++a->matched == a->nkeys) {
				send_all(mon, out, o);
				return true;
			}
			continue;
		}
		memcpy(out + o, a->keys, a->matched);
		o += a->matched;
		a->matched = 0;
		if (a->nkeys && b == a->keys[0]) {
			a->matched = 1;
			continue;
		}
		out[o++] = (char)b;
	}
	send_all(mon, out, o);
	return false;
}

static bool sock_gone(void *arg)
{
	return api_socket_gone(*(int *)arg);
}

static void replay_logs(struct attach_sess *a, int sock)
{
	struct container_logs_opts o = {.stdout_ = a->out, .stderr_ = a->err, .tail = -1};
	bool tty;
	struct container_logs *l = engine_container_logs_open(a->eng, a->id, &o, &tty, NULL);
	char *text;
	size_t len;
	int stream;
	int64_t ns;
	while (l && engine_container_logs_next(l, &stream, &text, &len, &ns, NULL, NULL) > 0) {
		bool ok = api_send_frame(sock, a->tty, stream, text, len);
		free(text);
		if (!ok)
			break;
	}
	engine_container_logs_free(l);
}

/* Monitor frames ([stream][be32 len][payload]) to the client until the monitor closes. */
struct relay {
	char buf[65536 + 5];
	size_t len;
};

static bool relay_output(struct relay *r, int mon, int sock, bool tty, size_t *sent, bool *eof)
{
	ssize_t n = recv(mon, r->buf + r->len, sizeof(r->buf) - r->len, 0);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		*eof = true;
		return true;
	}
	r->len += (size_t)n;
	size_t off = 0;
	while (r->len - off >= 5) {
		const unsigned char *h = (const unsigned char *)r->buf + off;
		size_t plen = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
		if (plen > sizeof(r->buf) - 5) {
			*eof = true; /* a broken stream */
			return true;
		}
		if (r->len - off < 5 + plen)
			break;
		if (!api_send_frame(sock, tty, h[0] == 2 ? 2 : 1, r->buf + off + 5, plen))
			return false;
		if (sent)
			sent[h[0] == 2 ? 2 : 1] += plen;
		off += 5 + plen;
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
	return true;
}

bool api_attach_relay(struct attach_sess *a, int sock, int mon, const char *extra, size_t extra_len)
{
	if (a->in && extra_len && forward_stdin(a, mon, extra, extra_len))
		return true;
	bool detached = false;
	struct relay *r = xcalloc(1, sizeof(*r));
	bool client_in = true, eof = false;
	char buf[16384];
	while (!eof) {
		/* a closed client keeps reporting POLLHUP: stop polling it once its input ended */
		struct pollfd p[2] = {{mon, POLLIN, 0}, {client_in ? sock : -1, POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !relay_output(r, mon, sock, a->tty, a->sent, &eof))
			break; /* the client left */
		if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			if (a->in && forward_stdin(a, mon, buf, (size_t)n)) {
				detached = true; /* the process keeps running */
				break;
			}
			continue;
		}
		client_in = false;
		if (n < 0)
			break;
		/* EOF on the client's stdin: StdinOnce closes the container's stdin; an attach
		 * with stdin otherwise ends here; without stdin it is just the half-close. */
		if (a->in && a->stdin_once && !a->tty)
			shutdown(mon, SHUT_WR);
		else if (a->in)
			break;
	}
	free(r);
	return detached;
}

static void attach_free(void *arg)
{
	struct attach_sess *a = arg;
	engine_container_attach_free(a->handle);
	free(a);
}

static bool tail_frame(void *arg, int stream, const char *data, size_t len)
{
	struct attach_sess *a = arg;
	if ((stream == 1 && !a->out) || (stream == 2 && !a->err))
		return true;
	a->tailed += len;
	return api_send_frame(a->sock, a->tty, stream, data, len);
}

static void attach_session(void *arg, int sock, const char *extra, size_t extra_len)
{
	struct attach_sess *a = arg;
	if (a->logs && !a->stream) {
		/* "the logs so far" of a container started a moment ago: give a short-lived
		 * process (docker-py's create, start, attach(logs)) a moment to finish, as
		 * dockerd's slower path does; a long-running one costs 200 ms at most */
		struct container_waiter *w =
		    engine_container_wait_begin(a->eng, a->id, WAIT_NOT_RUNNING, NULL);
		int code;
		if (w)
			engine_container_wait_end(w, store_time_now() + 200000000LL, &code);
		engine_container_wait_free(w);
	}
	if (a->logs)
		replay_logs(a, sock);
	if (a->stream) {
		int64_t off;
		int mon = engine_container_attach_end(a->handle, sock_gone, &sock, &off);
		log_debug("attach %.12s: fd %d, log offset %lld", a->id, mon, (long long)off);
		bool detached = false;
		if (mon >= 0) {
			detached = api_attach_relay(a, sock, mon, extra, extra_len);
			close(mon);
		}
		/* attached before the start: whatever the live stream missed is in the log */
		a->sock = sock;
		{
			if (!detached && off >= 0) {
				/* the exit is recorded after the monitor flushed the log */
				engine_container_attach_settle(a->handle,
							       store_time_now() + 2000000000LL);
				int tr =
				    engine_container_attach_tail(a->handle, a->sent, tail_frame, a);
				log_debug("attach %.12s: live %zu+%zu bytes, tail %d: %zu", a->id,
					  a->sent[1], a->sent[2], tr, a->tailed);
			}
		}
	}
	shutdown(sock, SHUT_WR);
}

void api_container_attach(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct attach_sess *a = xcalloc(1, sizeof(*a));
	a->eng = req->eng;
	a->in = api_query_bool(req, "stdin");
	a->out = api_query_bool(req, "stdout");
	a->err = api_query_bool(req, "stderr");
	a->logs = api_query_bool(req, "logs");
	a->stream = api_query_bool(req, "stream");
	struct container_io io;
	if (engine_container_io(req->eng, api_param(req, "id"), &io, &e) < 0) {
		free(a);
		api_reply_error(req, &e);
		return;
	}
	snprintf(a->id, sizeof(a->id), "%s", io.id);
	a->tty = io.tty;
	a->stdin_once = io.stdin_once;
	a->in = a->in && io.open_stdin;
	container_io_release(&io);
	if (!api_query_bool(req, "stdin") && !a->out && !a->err) {
		free(a);
		api_reply_message(req, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	const char *keys = api_query(req, "detachKeys");
	if (api_detach_keys_parse(keys && *keys ? keys : "ctrl-p,ctrl-q", a->keys, &a->nkeys, &e) <
	    0) {
		free(a);
		api_reply_error(req, &e);
		return;
	}
	engine_container_event(req->eng, a->id, "attach");
	if (a->stream) {
		_cleanup_free_ char *hello = str_printf(
		    "{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s,\"logs\":false}\n",
		    a->in ? "true" : "false", a->out ? "true" : "false", a->err ? "true" : "false");
		a->handle = engine_container_attach_begin(req->eng, a->id, hello, &e);
		if (!a->handle) {
			free(a);
			api_reply_error(req, &e);
			return;
		}
	}
	api_reply_upgrade(req, stream_type(req, a->tty), attach_session, a, attach_free);
}

struct logs_stream {
	struct container_logs *l;
	bool tty, timestamps, ended, follow;
	int sock;
	int stream;    /* of the entry in pending */
	char *pending; /* the entry's bytes (time stamp and text), no frame header */
	size_t len, off;
};

/* The next entry into ls->pending: 1, 0 (none now, or the end: ls->ended), -1 (client gone). */
static int logs_fill(struct logs_stream *ls)
{
	free(ls->pending);
	ls->pending = NULL;
	ls->off = ls->len = 0;
	char *text;
	size_t len;
	int64_t ns;
	int r =
	    engine_container_logs_next(ls->l, &ls->stream, &text, &len, &ns, sock_gone, &ls->sock);
	if (r == 0)
		ls->ended = true;
	if (r == 0 || r == 2)
		return 0;
	if (r < 0)
		return -1;
	char ts[STORE_TIME_MAX + 1] = "";
	if (ls->timestamps) {
		store_time_format_fixed(ns, ts);
		strcat(ts, " ");
	}
	size_t tl = strlen(ts);
	ls->pending = xmalloc(tl + len);
	memcpy(ls->pending, ts, tl);
	memcpy(ls->pending + tl, text, len);
	ls->len = tl + len;
	free(text);
	return 1;
}

/* Fills buf with as many entries as are there: 100 MiB of logs are a million lines, and both
 * this side and the client's demultiplexer pay per send and per frame. Without follow,
 * consecutive entries of a stream share a frame (clients read it all); a followed stream
 * keeps a frame per entry, which docker-py hands out as one item each. Waits only while it
 * has nothing at all to send. */
static ssize_t logs_read(void *arg, char *buf, size_t max)
{
	struct logs_stream *ls = arg;
	size_t filled = 0, hdr = 0, flen = 0; /* the open frame: header offset, length */
	int fstream = 0;		      /* its stream; 0: none open */
	while (filled < max) {
		if (ls->off == ls->len) {
			if (ls->ended)
				break;
			engine_container_logs_nowait(ls->l, filled > 0);
			int r = logs_fill(ls);
			if (r < 0 && !filled)
				return API_STREAM_ERROR;
			if (r <= 0)
				break;
			continue;
		}
		if (!ls->tty && (fstream != ls->stream || (ls->follow && ls->off == 0))) {
			if (max - filled <= 8)
				break;
			if (fstream)
				stdcopy_header((unsigned char *)buf + hdr, fstream, flen);
			hdr = filled;
			fstream = ls->stream;
			flen = 0;
			filled += 8;
		}
		size_t n = ls->len - ls->off < max - filled ? ls->len - ls->off : max - filled;
		memcpy(buf + filled, ls->pending + ls->off, n);
		ls->off += n;
		filled += n;
		flen += n;
	}
	if (fstream)
		stdcopy_header((unsigned char *)buf + hdr, fstream, flen);
	if (!filled && ls->ended)
		return API_STREAM_END;
	return (ssize_t)filled;
}

static void logs_free(void *arg)
{
	struct logs_stream *ls = arg;
	engine_container_logs_free(ls->l);
	free(ls->pending);
	free(ls);
}

void api_container_logs(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct container_logs_opts o = {.stdout_ = api_query_bool(req, "stdout"),
					.stderr_ = api_query_bool(req, "stderr"),
					.follow = api_query_bool(req, "follow"),
					.tail = -1};
	const char *tail = api_query(req, "tail"), *since = api_query(req, "since"),
		   *until = api_query(req, "until");
	if (!o.stdout_ && !o.stderr_) {
		api_reply_message(req, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	if (tail && *tail && strcmp(tail, "all") != 0 &&
	    (str_to_i64(tail, &o.tail, "tail", NULL) < 0 || o.tail < 0))
		o.tail = -1;
	if ((since && *since && strcmp(since, "0") &&
	     store_time_parse_unix(since, &o.since, &e) < 0) ||
	    (until && *until && strcmp(until, "0") &&
	     store_time_parse_unix(until, &o.until, &e) < 0)) {
		api_reply_error(req, &e);
		return;
	}
	bool tty;
	struct container_logs *l =
	    engine_container_logs_open(req->eng, api_param(req, "id"), &o, &tty, &e);
	if (!l) {
		api_reply_error(req, &e);
		return;
	}
	struct logs_stream *ls = xcalloc(1, sizeof(*ls));
	ls->l = l;
	ls->tty = tty;
	ls->timestamps = api_query_bool(req, "timestamps");
	ls->follow = o.follow;
	ls->sock = api_req_socket(req);
	api_reply_stream(req, 200, api_version_ge(req, 1, 42) ? stream_type(req, tty) : NULL,
			 logs_read, ls, logs_free);
}
