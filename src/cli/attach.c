/* cli/attach: the upgrade handshake and the stream pump. The head of a 101 reply is read
 * by hand because libcurl has no raw-stream mode after an upgrade. */
#include "cli/attach.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cli/http.h"
#include "cli/http_conn.h"
#include "cli/stream.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

/* Reads until the end of the head; the rest read so far stays in *buf after it. */
static int read_head(int fd, char **buf, size_t *len, size_t *head_len, struct err *e)
{
	size_t cap = 4096;
	*buf = xmalloc(cap + 1);
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(e, ERR_UNAVAILABLE, 0, "the daemon closed the connection");
		*len += (size_t)n;
		(*buf)[*len] = 0;
		char *end = strstr(*buf, "\r\n\r\n");
		if (end) {
			*head_len = (size_t)(end - *buf) + 4;
			return 0;
		}
		if (*len == cap) {
			if (cap > (1 << 20))
				return err_set(e, ERR_UNAVAILABLE, 0, "reply head too long");
			cap *= 2;
			*buf = xrealloc(*buf, cap + 1);
		}
	}
}

/* An error reply: its body (Content-Length, else to EOF) as the daemon's message. */
static int hijack_error(int fd, int status, char *buf, size_t len, size_t hl, struct err *e)
{
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : (size_t)-1;
	size_t have = len - hl, cap = have + 4096;
	_cleanup_free_ char *body = xmalloc(cap + 1);
	memcpy(body, buf + hl, have);
	while (have < want) {
		if (have == cap)
			body = xrealloc(body, (cap *= 2) + 1);
		ssize_t n = read(fd, body + have, cap - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	body[have] = 0;
	_cleanup_json_ json_t *j = json_loads(body, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	return err_set(e,
		       status == 404   ? ERR_NOT_FOUND
		       : status == 409 ? ERR_CONFLICT
		       : status == 400 ? ERR_INVALID
				       : ERR_INTERNAL,
		       0, "Error response from daemon: %s", msg ? msg : body);
}

int cli_hijack(const char *sock, const char *path, const char *body, struct hijack *h,
	       struct err *e)
{
	h->fd = -1;
	h->pre = NULL;
	h->pre_len = 0;
	_cleanup_close_ int fd = http_dial(sock, e);
	if (fd < 0)
		return -1;
	size_t blen = body ? strlen(body) : 0;
	_cleanup_free_ char *req = str_printf(
	    "POST /v" CLI_API_VERSION "%s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: berth-cli\r\n"
	    "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    path, blen, body ? body : "");
	if (fs_write_all(fd, req, strlen(req)) < 0)
		return err_sys(e, "sending %s", path);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, hl = 0;
	if (read_head(fd, &buf, &len, &hl, e) < 0)
		return -1;
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return err_set(e, ERR_INTERNAL, 0, "malformed reply from the daemon");
	if (status >= 400)
		return hijack_error(fd, status, buf, len, hl, e);
	if (status != 101 && status != 200)
		return err_set(e, ERR_INTERNAL, 0, "unexpected reply %d to %s", status, path);
	h->pre_len = len - hl;
	h->pre = str_ndup(buf + hl, h->pre_len);
	h->fd = TAKE_FD(fd);
	return 0;
}

void cli_hijack_close(struct hijack *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	free(h->pre);
	h->pre = NULL;
}

static struct termios saved_tio;
static bool tio_saved;

void cli_tty_raw(void)
{
	struct termios t;
	if (!isatty(0) || tcgetattr(0, &t) < 0)
		return;
	saved_tio = t;
	tio_saved = true;
	cfmakeraw(&t);
	/* keep output post-processing: the pty inside already sends \r\n */
	tcsetattr(0, TCSADRAIN, &t);
}

void cli_tty_restore(void)
{
	if (tio_saved)
		tcsetattr(0, TCSADRAIN, &saved_tio);
	tio_saved = false;
}

static void send_size(struct pump *p)
{
	struct winsize ws;
	if (p->resize && (ioctl(1, TIOCGWINSZ, &ws) == 0 || ioctl(0, TIOCGWINSZ, &ws) == 0) &&
	    ws.ws_row && ws.ws_col)
		p->resize(ws.ws_row, ws.ws_col, p->ud);
}

int cli_detach_keys_parse(const char *spec, unsigned char *keys, size_t *n, struct err *e)
{
	static const char specials[] = "@[\\]^_"; /* ctrl-@ is 0, ctrl-[ 27 ... ctrl-_ 31 */
	_cleanup_strv_ char **parts = strv_split(spec, ",");
	*n = 0;
	for (char **k = parts; k && *k; k++) {
		const char *c = *k;
		int v = -1;
		if (strlen(c) == 1) {
			v = (unsigned char)c[0];
		} else if (!strncasecmp(c, "ctrl-", 5) && strlen(c) == 6) {
			char x = (char)tolower((unsigned char)c[5]);
			const char *sp = strchr(specials, x);
			v = x >= 'a' && x <= 'z' ? x - 'a' + 1
			    : sp && x		 ? (sp == specials ? 0 : 26 + (int)(sp - specials))
						 : -1;
		}
		if (v < 0 || *n >= CLI_DETACH_KEYS_MAX)
			return err_invalid(e, "Invalid detach keys (%s) provided", spec);
		keys[(*n)++] = (unsigned char)v;
	}
	if (!*n)
		return err_invalid(e, "Invalid detach keys (%s) provided", spec);
	return 0;
}

/* stdin to the socket; in TTY mode the detach sequence (default ctrl-p ctrl-q) detaches:
 * its bytes are held while they match and sent on when the match breaks. 0 go on,
 * 1 EOF/detach. */
static int relay_stdin(int sock, struct pump *p, size_t *held)
{
	static const unsigned char def[] = {0x10, 0x11};
	const unsigned char *keys = p->nkeys ? p->keys : def;
	size_t nkeys = p->nkeys ? p->nkeys : sizeof(def);
	char buf[8192], out[8192 + CLI_DETACH_KEYS_MAX];
	ssize_t n = read(0, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return 1;
	size_t o = 0;
	for (ssize_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (p->tty && ch == keys[*held]) {
			if (++*held == nkeys) {
				p->detached = true;
				return 1;
			}
			continue;
		}
		/* a broken match: what was held goes through, then this byte is looked at anew */
		if (p->tty && *held) {
			memcpy(out + o, keys, *held);
			o += *held;
			*held = 0;
			if (ch == keys[0]) {
				*held = 1;
				continue;
			}
		}
		out[o++] = (char)ch;
	}
	return fs_write_all(sock, out, o) < 0 ? 1 : 0;
}

void cli_pump_signals(bool tty, bool proxy, sigset_t *set)
{
	static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	sigemptyset(set);
	if (tty)
		sigaddset(set, SIGWINCH);
	for (size_t i = 0; proxy && i < ARRAY_SIZE(proxied); i++)
		sigaddset(set, proxied[i]);
	sigprocmask(SIG_BLOCK, set, NULL);
}

int cli_pump(struct hijack *h, struct pump *p, struct err *e)
{
	struct demux d;
	demux_init(&d, p->tty);
	if (h->pre_len && demux_feed(&d, h->pre, h->pre_len) < 0)
		return err_sys(e, "writing output");
	sigset_t set;
	cli_pump_signals(p->tty, p->proxy != NULL, &set);
	_cleanup_close_ int sfd = p->tty || p->proxy ? signalfd(-1, &set, SFD_CLOEXEC) : -1;
	if (p->tty)
		send_size(p);
	if (!p->stdin_on)
		shutdown(h->fd, SHUT_WR);
	bool in_open = p->stdin_on;
	size_t held = 0;
	for (;;) {
		struct pollfd pf[3] = {
		    {h->fd, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, "poll");
		}
		if (pf[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0 && si.ssi_signo == SIGWINCH)
				send_size(p);
			else if (p->proxy)
				p->proxy((int)si.ssi_signo, p->ud);
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR) && relay_stdin(h->fd, p, &held)) {
			in_open = false;
			if (p->detached)
				return 0;
			shutdown(h->fd, SHUT_WR);
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[32768];
			ssize_t n = read(h->fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != ECONNRESET)
				return err_sys(e, "reading the stream");
			if (n <= 0)
				return 0;
			if (demux_feed(&d, buf, (size_t)n) < 0)
				return 0;
		}
	}
}

int cli_pump_close(struct hijack *h, struct pump *p, struct err *e)
{
	if (p->tty && p->stdin_on)
		cli_tty_raw();
	int r = cli_pump(h, p, e);
	cli_tty_restore();
	cli_hijack_close(h);
	return r;
}
