/* sync: seqpacket messages with optional SCM_RIGHTS. */
#include "runtime/sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_packet(int fd, const void *buf, size_t len, int passfd, struct err *e)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (passfd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, "send to runtime peer");
	return 0;
}

static size_t msg_len(const struct sync_msg *m)
{
	return offsetof(struct sync_msg, text) + strlen(m->text) + 1;
}

int sync_send(int fd, enum sync_type type, int32_t value, struct err *e)
{
	struct sync_msg m = {.type = type, .value = value};
	return send_packet(fd, &m, msg_len(&m), -1, e);
}

int sync_send_fd(int fd, enum sync_type type, int passfd, struct err *e)
{
	struct sync_msg m = {.type = type, .value = 0};
	return send_packet(fd, &m, msg_len(&m), passfd, e);
}

void sync_send_error(int fd, const struct err *err)
{
	struct sync_msg m = {.type = SYNC_ERROR, .value = err->kind};
	snprintf(m.text, sizeof(m.text), "%s", err->msg[0] ? err->msg : "unknown error");
	send_packet(fd, &m, msg_len(&m), -1, NULL);
}

int sync_recv(int fd, struct sync_msg *m, int *passfd, struct err *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	if (passfd)
		*passfd = -1;
	memset(m, 0, sizeof(*m));
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, "receive from container process");
	if (n == 0)
		return err_set(e, ERR_INTERNAL, EPIPE,
			       "container process exited before it was set up");
	m->text[sizeof(m->text) - 1] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;
			memcpy(&got, CMSG_DATA(c), sizeof(int));
			if (passfd)
				*passfd = got;
			else
				close(got);
		}
	}
	return 0;
}

/* A received message m that should be of type: its SYNC_ERROR, or a protocol error. */
static int sync_expect_type(const struct sync_msg *m, enum sync_type type, struct err *e)
{
	if (m->type == SYNC_ERROR)
		return err_set(e, m->value ? (enum err_kind)m->value : ERR_INTERNAL, 0, "%s",
			       m->text);
	if (m->type != type)
		return err_set(e, ERR_INTERNAL, EPROTO, "unexpected message %u from container",
			       m->type);
	return 0;
}

int sync_expect_fd(int fd, enum sync_type type, struct sync_msg *m, int *passfd, struct err *e)
{
	if (sync_recv(fd, m, passfd, e) < 0)
		return -1;
	if (m->type == type)
		return 0;
	if (passfd && *passfd >= 0)
		close(*passfd);
	if (passfd)
		*passfd = -1;
	return sync_expect_type(m, type, e);
}

int sync_expect(int fd, enum sync_type type, struct sync_msg *m, struct err *e)
{
	if (sync_recv(fd, m, NULL, e) < 0)
		return -1;
	return sync_expect_type(m, type, e);
}

int sync_send_fd_named(int sock, int passfd, const char *name, struct err *e)
{
	return send_packet(sock, name, strlen(name), passfd, e);
}
