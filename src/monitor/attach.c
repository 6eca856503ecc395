/* attach: the monitor's sockets: attach clients (framed output to them, their stdin to
 * the process) and control connections; a client never blocks the monitor. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/monitor_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void mon_buf_add(struct mon_buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 256;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void mon_buf_drop(struct mon_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		/* A burst's big buffer is not kept for the container's whole life. */
		if (b->cap > 65536)
			mon_buf_free(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void mon_buf_free(struct mon_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void mon_frame_header(unsigned char hdr[5], int stream, uint32_t len)
{
	hdr[0] = (unsigned char)stream;
	hdr[1] = (unsigned char)(len >> 24);
	hdr[2] = (unsigned char)(len >> 16);
	hdr[3] = (unsigned char)(len >> 8);
	hdr[4] = (unsigned char)len;
}

/* name is relative to the state directory (our cwd): sun_path is short. Bound and
 * listening under a temporary name, then renamed: whoever sees the name can connect. */
int mon_listen(const char *name, struct err *e)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_sys(e, "socket");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_free_ char *tmp = str_printf("%s.tmp", name);
	if (strlen(tmp) >= sizeof(sa.sun_path))
		return err_invalid(e, "socket name too long: %s", name);
	strcpy(sa.sun_path, tmp);
	unlink(tmp);
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return err_sys(e, "bind %s", tmp);
	if (listen(fd, 64) < 0 || rename(tmp, name) < 0) {
		err_sys(e, "listen on %s", name);
		unlink(tmp);
		return -1;
	}
	return TAKE_FD(fd);
}

int mon_adopt(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

void mon_accept(struct monitor *m, int lfd, enum mon_client_kind kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		m->clients = xrealloc(m->clients, (m->n_clients + 1) * sizeof(*m->clients));
		m->clients[m->n_clients++] = (struct mon_client){.fd = fd, .kind = kind};
		/* Its request is usually there already: registered before more output is read,
		 * a client that connected before the start misses nothing. */
		mon_client_read(m, &m->clients[m->n_clients - 1]);
	}
}

static void queue(struct mon_client *c, int stream, const char *data, size_t len)
{
	if (c->dead)
		return;
	if (c->out.len + len + 5 > MON_CLIENT_MAX_QUEUE) {
		/* Too slow to follow: drop it rather than stall the container. */
		c->dead = true;
		return;
	}
	unsigned char hdr[5];
	mon_frame_header(hdr, stream, (uint32_t)len);
	mon_buf_add(&c->out, hdr, sizeof(hdr));
	mon_buf_add(&c->out, data, len);
}

void mon_broadcast(struct monitor *m, int stream, const char *data, size_t len)
{
	for (size_t i = 0; i < m->n_clients; i++) {
		struct mon_client *c = &m->clients[i];
		if (c->kind != CLIENT_ATTACH || !c->hello)
			continue;
		if ((stream == 1 && c->want_out) || (stream == 2 && c->want_err)) {
			queue(c, stream, data, len);
			mon_client_write(c);
		}
	}
}

void mon_client_write(struct mon_client *c)
{
	while (c->out.len > 0 && !c->dead) {
		ssize_t w = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			c->dead = true;
			return;
		}
		mon_buf_drop(&c->out, (size_t)w);
	}
	if (c->out.len == 0 && c->close_when_flushed)
		c->dead = true;
}

static int attach_hello(struct mon_client *c, const char *line, size_t len)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *j = jx_loads(line, len, &e);
	if (!j || !json_is_object(j))
		return -1;
	if (jx_bool(j, "stdin", "attach", &c->want_in, &e) < 0 ||
	    jx_bool(j, "stdout", "attach", &c->want_out, &e) < 0 ||
	    jx_bool(j, "stderr", "attach", &c->want_err, &e) < 0)
		return -1;
	return 0;
}

static void client_stdin(struct monitor *m, struct mon_client *c, const char *data, size_t len)
{
	/* Before the start (--wait-start) it is queued for the stdin to come. */
	bool started = m->pid > 0;
	if (!c->want_in || !m->o.stdin_open || (started && m->in_fd < 0) || m->stdin_closing ||
	    len == 0)
		return;
	mon_buf_add(&m->stdin_q, data, len);
}

/* Everything before the first '\n' is the request; after it (attach) is stdin. */
static void client_input(struct monitor *m, struct mon_client *c, const char *data, size_t len)
{
	if (c->hello) {
		client_stdin(m, c, data, len);
		return;
	}
	mon_buf_add(&c->in, data, len);
	char *nl = memchr(c->in.data, '\n', c->in.len);
	if (!nl) {
		if (c->in.len > 65536)
			c->dead = true;
		return;
	}
	size_t ll = (size_t)(nl - c->in.data);
	c->hello = true;
	if (c->kind == CLIENT_CONTROL) {
		mon_control(m, c, c->in.data, ll);
	} else if (attach_hello(c, c->in.data, ll) < 0) {
		c->dead = true;
	}
	if (!c->dead && c->kind == CLIENT_ATTACH && m->output_done) {
		/* Nothing more will come: EOF right away. (Not merely m->exited: the output
		 * may still be in the pipes, and this client is owed it.) */
		c->close_when_flushed = true;
	}
	if (!c->dead && c->kind == CLIENT_ATTACH)
		client_stdin(m, c, nl + 1, c->in.len - ll - 1);
	mon_buf_free(&c->in);
}

static void client_eof(struct monitor *m, struct mon_client *c)
{
	c->in_eof = true;
	if (!c->hello) {
		c->dead = true;
		return;
	}
	if (c->kind == CLIENT_ATTACH && c->want_in && m->o.stdin_once)
		mon_close_stdin(m);
}

void mon_client_read(struct monitor *m, struct mon_client *c)
{
	char buf[16384];
	for (int rounds = 0; rounds < 16 && !c->in_eof && !c->dead; rounds++) {
		if (m->stdin_q.len >= MON_STDIN_MAX_QUEUE)
			return;
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			c->dead = true;
			return;
		}
		if (n == 0) {
			client_eof(m, c);
			return;
		}
		client_input(m, c, buf, (size_t)n);
	}
}
