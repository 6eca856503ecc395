/* monitor_fuzz: libFuzzer target for what a container monitor reads from its clients: the
 * attach hello line (then stdin) on attach.sock and the request line on control.sock, fed
 * through mon_client_read over a socketpair; and mon_parse_size (log-opt max-size).
 * Input: a first byte choosing the path (0 attach, 1 control, 2 size; bit 2: the process has
 * exited; bit 3: stdin_once; bit 4: the container has no stdin, as without -i), then the bytes
 * the client sends before shutting down. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/monitor_priv.h"
#include "util/cleanup.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The control reply: one JSON object and a newline. */
static void check_reply(int fd)
{
	char buf[65536];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return;
	buf[n] = '\0';
	struct err e = ERR_INIT;
	if (buf[n - 1] != '\n')
		abort();
	_cleanup_json_ json_t *j = jx_loads(buf, (size_t)n - 1, &e);
	if (!json_is_object(j))
		abort();
}

static void feed(const uint8_t *data, size_t size, enum mon_client_kind kind, uint8_t flags)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	int big = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (size && send(sv[1], data, size, 0) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	struct monitor m = {.in_fd = 100000, .master = -1, .exited = flags & 4};
	m.o.stdin_open = !(flags & 16);
	m.o.stdin_once = m.o.stdin_open && (flags & 8); /* the options refuse it without -i */
	struct mon_client c = {.fd = sv[0], .kind = kind};
	for (int i = 0; i < 64 && !c.dead && !c.in_eof; i++)
		mon_client_read(&m, &c);
	if (kind == CLIENT_ATTACH && (!c.want_in || !m.o.stdin_open) && m.stdin_q.len)
		abort(); /* no stdin wanted, or none to give: nothing is queued */
	if (kind == CLIENT_ATTACH && c.hello && !c.dead && c.want_in && m.o.stdin_open) {
		/* everything after the hello line is the process's stdin, byte for byte */
		const uint8_t *nl = memchr(data, '\n', size);
		if (!nl)
			abort();
		size_t rest = size - (size_t)(nl + 1 - data);
		if (m.stdin_q.len != rest || (rest && memcmp(m.stdin_q.data, nl + 1, rest)))
			abort();
	}
	if (kind == CLIENT_CONTROL)
		check_reply(sv[1]);
	mon_buf_free(&c.in);
	mon_buf_free(&c.out);
	mon_buf_free(&m.stdin_q);
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	uint8_t flags = data[0];
	data++, size--;
	switch (flags & 3) {
	case 0:
		feed(data, size, CLIENT_ATTACH, flags);
		break;
	case 1:
		feed(data, size, CLIENT_CONTROL, flags);
		break;
	default: {
		_cleanup_free_ char *s = strndup((const char *)data, size);
		uint64_t out;
		struct err e = ERR_INIT;
		if (mon_parse_size(s, &out, &e) < 0 && e.kind == ERR_NONE)
			abort();
	}
	}
	return 0;
}
