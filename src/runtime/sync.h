/* sync: the message protocol between the runtime and the processes it forks (stage1,
 * container init, exec) over a SOCK_SEQPACKET pair: one message per packet, fds attached. */
#ifndef BERTH_RUNTIME_SYNC_H
#define BERTH_RUNTIME_SYNC_H

#include <stdint.h>

#include "util/err.h"

enum sync_type {
	SYNC_GO = 1,  /* parent -> child: cgroup joined, carry on */
	SYNC_USERMAP, /* child -> parent: write my uid/gid maps */
	SYNC_USERMAP_ACK,
	SYNC_PID,   /* stage1 -> parent: value = pid of the container process */
	SYNC_HOOKS, /* init -> parent: run prestart/createRuntime hooks now */
	SYNC_HOOKS_ACK,
	SYNC_CGROUP_MADE,  /* parent -> init: the cgroup is configured: limits, devices (late join)
			    */
	SYNC_CGROUP_DONE,  /* parent -> init: moved into the cgroup (late join), value = its pid */
	SYNC_CONSOLE,	   /* child -> parent: the pty master is attached */
	SYNC_READY,	   /* child -> parent: set up; about to wait for start / exec */
	SYNC_SECCOMP,	   /* child -> parent: value = its seccomp listener fd (by number) */
	SYNC_SECCOMP_DONE, /* parent -> child: the agent has the listener */
	SYNC_ERROR,	   /* child -> parent: text = the error */
	SYNC_CGROUP_DIRS,  /* parent -> init: the cgroup directories exist (late join) */
};

struct sync_msg {
	uint32_t type;
	int32_t value;
	char text[ERR_MSG_MAX];
};

int sync_send(int fd, enum sync_type type, int32_t value, struct err *e);
int sync_send_fd(int fd, enum sync_type type, int passfd, struct err *e);
/* Sends SYNC_ERROR with the error's message (best effort). */
void sync_send_error(int fd, const struct err *err);
/* Receives one message; *passfd (optional) gets an attached fd or -1. EOF is an error. */
int sync_recv(int fd, struct sync_msg *m, int *passfd, struct err *e);
/* Receives and requires type; a SYNC_ERROR becomes e. */
int sync_expect(int fd, enum sync_type type, struct sync_msg *m, struct err *e);
/* The same, and *passfd gets an attached fd or -1 (closed when the message is not type). */
int sync_expect_fd(int fd, enum sync_type type, struct sync_msg *m, int *passfd, struct err *e);
/* Sends fd over a unix socket with a name payload (runc's console-socket protocol). */
int sync_send_fd_named(int sock, int passfd, const char *name, struct err *e);

#endif
