/* io: the monitor's event loop: the process's output to the log and attach clients,
 * clients' input to its stdin, reaping; then draining once the process has exited. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor_priv.h"
#include "runtime/state.h"
#include "util/str.h"

/* After the exit: how long output may still arrive (a background process in an exec'd
 * one's session can hold the pipes), and how long slow clients get to take the rest. */
#define DRAIN_OUTPUT_MS	 4000
#define DRAIN_CLIENTS_MS 5000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mon_close_stdin(struct monitor *m)
{
	m->stdin_closing = true;
}

static void stdin_release(struct monitor *m)
{
	/* With a pty the master is also the output: only stop feeding it. */
	if (m->in_fd >= 0 && m->in_fd != m->master)
		close(m->in_fd);
	m->in_fd = -1;
	mon_buf_free(&m->stdin_q);
}

static void feed_stdin(struct monitor *m)
{
	while (m->in_fd >= 0 && m->stdin_q.len > 0) {
		ssize_t w = write(m->in_fd, m->stdin_q.data, m->stdin_q.len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			/* The process closed its stdin: what is queued can't go anywhere. */
			stdin_release(m);
			return;
		}
		mon_buf_drop(&m->stdin_q, (size_t)w);
	}
	if (m->in_fd >= 0 && m->stdin_closing && m->stdin_q.len == 0)
		stdin_release(m);
}

static void reap(struct monitor *m)
{
	struct signalfd_siginfo si;
	while (read(m->sfd, &si, sizeof(si)) == sizeof(si))
		;
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p != m->pid || m->exited)
			continue;
		m->exited = true;
		m->wait_status = st;
		m->finished_at = state_now_rfc3339();
	}
}

static void close_output(struct monitor *m, int i)
{
	/* With a pty the master is also the stdin and what resize acts on. */
	if (m->out_fd[i] == m->in_fd)
		m->in_fd = -1;
	if (m->out_fd[i] == m->master)
		m->master = -1;
	close(m->out_fd[i]);
	m->out_fd[i] = -1;
}

/* One read of a stream; its end (EOF, or EIO of a pty whose slave is gone) closes it. */
static void on_output(struct monitor *m, int i)
{
	char buf[32768];
	ssize_t n = read(m->out_fd[i], buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_output(m, i);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (m->log.fd >= 0)
		jlog_write(&m->log, i == 0 ? JLOG_STDOUT : JLOG_STDERR, buf, (size_t)n, &ts);
	mon_broadcast(m, i + 1, buf, (size_t)n);
}

static void sweep_clients(struct monitor *m)
{
	size_t k = 0;
	for (size_t i = 0; i < m->n_clients; i++) {
		struct mon_client *c = &m->clients[i];
		if (c->dead) {
			/* A vanished stdin client ends the stdin as its EOF would. */
			if (c->kind == CLIENT_ATTACH && c->hello && c->want_in && !c->in_eof &&
			    m->o.stdin_once)
				mon_close_stdin(m);
			close(c->fd);
			mon_buf_free(&c->in);
			mon_buf_free(&c->out);
			continue;
		}
		m->clients[k++] = *c;
	}
	m->n_clients = k;
}

enum { P_SIG, P_ATTACH, P_CONTROL, P_OUT0, P_OUT1, P_IN, P_FIXED };

static short client_events(const struct monitor *m, const struct mon_client *c)
{
	short ev = 0;
	if (!c->in_eof && m->stdin_q.len < MON_STDIN_MAX_QUEUE)
		ev |= POLLIN;
	if (c->out.len > 0)
		ev |= POLLOUT;
	return ev;
}

/* Whether a client is behind: the output waits for it (dropping it if it stays behind). */
static bool clients_behind(struct monitor *m)
{
	bool behind = false;
	int64_t now = now_ms();
	for (size_t i = 0; i < m->n_clients; i++) {
		struct mon_client *c = &m->clients[i];
		if (c->dead || c->out.len <= MON_CLIENT_HIGH_QUEUE) {
			c->slow_since = 0;
			continue;
		}
		if (!c->slow_since)
			c->slow_since = now;
		if (now - c->slow_since > MON_CLIENT_SLOW_MS)
			c->dead = true;
		else
			behind = true;
	}
	return behind;
}

static size_t fill_pollfds(struct monitor *m, struct pollfd *p, bool paused)
{
	bool want_in = m->in_fd >= 0 && m->stdin_q.len > 0;
	p[P_SIG] = (struct pollfd){.fd = m->sfd, .events = POLLIN};
	p[P_ATTACH] = (struct pollfd){.fd = m->attach_l, .events = POLLIN};
	p[P_CONTROL] = (struct pollfd){.fd = m->control_l, .events = POLLIN};
	p[P_OUT0] = (struct pollfd){.fd = paused ? -1 : m->out_fd[0], .events = POLLIN};
	p[P_OUT1] = (struct pollfd){.fd = paused ? -1 : m->out_fd[1], .events = POLLIN};
	/* A pty master is one fd for both directions: poll it once. */
	p[P_IN] = (struct pollfd){.fd = -1};
	if (want_in && m->in_fd == m->out_fd[0] && !paused)
		p[P_OUT0].events |= POLLOUT;
	else if (want_in && m->in_fd != m->out_fd[0])
		p[P_IN] = (struct pollfd){.fd = m->in_fd, .events = POLLOUT};
	for (size_t i = 0; i < m->n_clients; i++)
		p[P_FIXED + i] = (struct pollfd){.fd = m->clients[i].fd,
						 .events = client_events(m, &m->clients[i])};
	return P_FIXED + m->n_clients;
}

static void handle_clients(struct monitor *m, const struct pollfd *p, size_t n)
{
	/* Only the clients polled: accept() may have grown the array since. */
	for (size_t i = 0; i < n; i++) {
		struct mon_client *c = &m->clients[i];
		short re = p[P_FIXED + i].revents;
		if (re & (POLLIN | POLLHUP | POLLERR))
			mon_client_read(m, c);
		/* POLLHUP: the peer shut both ways. Once its input is read to the end, a
		 * gone client would be polled (and reported) again and again: drop it. */
		if ((re & POLLERR) || ((re & POLLHUP) && c->in_eof))
			c->dead = true;
		if ((re & POLLOUT) || c->close_when_flushed)
			mon_client_write(c);
	}
}

/* The process has exited and its output is all read: clients get EOF after the rest. */
static void finish_output(struct monitor *m, bool *done)
{
	if (*done)
		return;
	*done = true;
	m->output_done = true;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (m->log.fd >= 0)
		jlog_flush(&m->log, &ts);
	/* One still to say what it wants gets EOF after its request (client_input). */
	for (size_t i = 0; i < m->n_clients; i++) {
		if (m->clients[i].kind == CLIENT_ATTACH && m->clients[i].hello) {
			m->clients[i].close_when_flushed = true;
			mon_client_write(&m->clients[i]);
		}
	}
}

static bool clients_pending(const struct monitor *m)
{
	for (size_t i = 0; i < m->n_clients; i++)
		if (m->clients[i].kind == CLIENT_ATTACH &&
		    (m->clients[i].out.len > 0 || !m->clients[i].hello))
			return true;
	return false;
}

static void handle_io(struct monitor *m, const struct pollfd *p)
{
	if (p[P_SIG].revents & POLLIN)
		reap(m);
	if (p[P_ATTACH].revents & POLLIN)
		mon_accept(m, m->attach_l, CLIENT_ATTACH);
	if (p[P_CONTROL].revents & POLLIN)
		mon_accept(m, m->control_l, CLIENT_CONTROL);
	for (int i = 0; i < 2; i++)
		if (m->out_fd[i] >= 0 && (p[P_OUT0 + i].revents & (POLLIN | POLLHUP | POLLERR)))
			on_output(m, i);
}

int mon_wait_start(struct monitor *m, struct err *e)
{
	int64_t deadline = now_ms() + MON_WAIT_START_MS;
	struct pollfd *p = NULL;
	while (!m->go) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		p = xrealloc(p, (P_FIXED + m->n_clients) * sizeof(*p));
		size_t n = fill_pollfds(m, p, false);
		if (poll(p, n, (int)left) < 0 && errno != EINTR) {
			free(p);
			return err_sys(e, "poll");
		}
		handle_io(m, p);
		handle_clients(m, p, n - P_FIXED);
		sweep_clients(m);
	}
	free(p);
	/* whoever connected just before the "start" is served from the start too */
	mon_accept(m, m->attach_l, CLIENT_ATTACH);
	return 0;
}

int mon_loop(struct monitor *m, struct err *e)
{
	int64_t exit_ms = 0;
	bool output_done = false;
	struct pollfd *p = NULL;
	for (;;) {
		if (m->exited && !exit_ms)
			exit_ms = now_ms();
		bool outputs = m->out_fd[0] >= 0 || m->out_fd[1] >= 0;
		if (m->exited && outputs && now_ms() - exit_ms > DRAIN_OUTPUT_MS) {
			for (int i = 0; i < 2; i++)
				if (m->out_fd[i] >= 0)
					close_output(m, i);
			outputs = false;
		}
		if (m->exited && !outputs)
			finish_output(m, &output_done);
		if (output_done && (!clients_pending(m) || now_ms() - exit_ms > DRAIN_CLIENTS_MS))
			break;
		bool paused = clients_behind(m);
		int timeout = m->exited || paused ? 50 : -1;
		p = xrealloc(p, (P_FIXED + m->n_clients) * sizeof(*p));
		size_t n = fill_pollfds(m, p, paused);
		if (poll(p, n, timeout) < 0 && errno != EINTR) {
			free(p);
			return err_sys(e, "poll");
		}
		handle_io(m, p);
		handle_clients(m, p, n - P_FIXED);
		sweep_clients(m);
		/* After the clients: what they sent or asked (close-stdin) takes effect now. */
		feed_stdin(m);
	}
	free(p);
	return 0;
}
