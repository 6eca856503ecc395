/* monitor_priv: the monitor's state shared by its files (options, the process's stdio,
 * clients, the event loop). Only for src/monitor. */
#ifndef BERTH_MONITOR_PRIV_H
#define BERTH_MONITOR_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/jsonlog.h"
#include "util/err.h"

enum mon_mode { MON_RUN, MON_EXEC };

struct mon_opts {
	enum mon_mode mode;
	char *root, *id, *bundle, *state_dir, *process, *log_path; /* absolute */
	bool tty, stdin_open, stdin_once, systemd_cgroup;
	bool wait_start;       /* the process starts on the control op "start" (or after a while) */
	uint64_t log_max_size; /* 0: unlimited */
	int log_max_file;
	int ready_fd; /* -1: none */
	/* the sockets made listening by the daemon (-1: the monitor makes them) */
	int attach_fd, control_fd;
};

/* Parses `run|exec --flag value ...`; paths made absolute. */
int mon_opts_parse(struct mon_opts *o, int argc, char **argv, struct err *e);
void mon_opts_release(struct mon_opts *o);
/* Bytes, or Docker's max-size form ("10m", "1.5g", "512KiB": powers of 1024). */
int mon_parse_size(const char *s, uint64_t *out, struct err *e);

struct mon_buf {
	char *data;
	size_t len, cap;
};
void mon_buf_add(struct mon_buf *b, const void *data, size_t len);
void mon_buf_drop(struct mon_buf *b, size_t n); /* removes n bytes from the front */
void mon_buf_free(struct mon_buf *b);

/* A client with more output queued than HIGH pauses the reading of the process's output
 * for at most SLOW_MS: a client that can't catch up in that time is dropped (as Docker)
 * rather than stall the container; MAX is the hard limit of its queue. */
#define MON_CLIENT_HIGH_QUEUE (1u << 20)
#define MON_CLIENT_SLOW_MS    1000
#define MON_CLIENT_MAX_QUEUE  (4u << 20)
/* Stdin queued for the process at most; beyond it clients are not read. */
#define MON_STDIN_MAX_QUEUE (1u << 20)

enum mon_client_kind { CLIENT_ATTACH, CLIENT_CONTROL };

struct mon_client {
	int fd;
	enum mon_client_kind kind;
	bool hello;			  /* its request line has been read */
	bool want_in, want_out, want_err; /* attach */
	bool in_eof;			  /* it shut down its writing side */
	bool close_when_flushed, dead;
	int64_t slow_since; /* ms (monotonic) since its queue is over HIGH, 0 if not */
	struct mon_buf in, out;
};

struct monitor {
	struct mon_opts o;
	pid_t pid; /* the container's process */
	char *started_at, *finished_at;
	int wait_status;
	bool exited;
	bool output_done; /* exited and every byte of output read and handed to the clients */
	bool tty;
	int out_fd[2]; /* stdout, stderr read ends; with a tty [0] is the pty master */
	int in_fd;     /* the process's stdin: pipe write end (or the pty master), -1 */
	int master;    /* pty master or -1 */
	bool stdin_closing;
	struct mon_buf stdin_q;
	int attach_l, control_l, sfd;
	struct mon_client *clients;
	size_t n_clients;
	bool go; /* --wait-start: the daemon said "start" */
	struct jlog log;
};

/* start: creates and starts the container (run) or the process (exec) with its stdio
 * wired to m; on failure *exit_code is 127/126/125. */
int mon_start(struct monitor *m, int *exit_code, struct err *e);
/* Docker's mapping of a start error to an exit code. */
int mon_start_exit_code(const char *msg);

/* io: the event loop until the process exited and its output is drained and delivered. */
int mon_loop(struct monitor *m, struct err *e);
/* --wait-start: serves the sockets until the "start" op (the daemon's attach clients are
 * connected by then, so they miss no output) or MON_WAIT_START_MS. */
int mon_wait_start(struct monitor *m, struct err *e);
#define MON_WAIT_START_MS 5000
void mon_close_stdin(struct monitor *m);

/* attach: clients of attach.sock and control.sock. */
int mon_listen(const char *name, struct err *e);
/* A listening socket handed over by the daemon, made non-blocking. */
int mon_adopt(int fd);
void mon_accept(struct monitor *m, int lfd, enum mon_client_kind kind);
void mon_client_read(struct monitor *m, struct mon_client *c);
void mon_client_write(struct mon_client *c);
/* Queues a frame of output for every client that wants the stream. */
void mon_broadcast(struct monitor *m, int stream, const char *data, size_t len);
/* Frame header: [stream][u32 big-endian length]. */
void mon_frame_header(unsigned char hdr[5], int stream, uint32_t len);
/* control.c: handles a request line, queues the reply. */
void mon_control(struct monitor *m, struct mon_client *c, const char *line, size_t len);

#endif
