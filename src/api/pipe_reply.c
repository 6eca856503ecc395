/* api/pipe_reply: a chunked 200 reply whose body a thread writes into a pipe (docker save,
 * container export): the pipe, the thread, the reads and the clean-up in one place. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/http.h"
#include "util/cleanup.h"
#include "util/str.h"

struct pipe_reply {
	api_pipe_fill_fn *fill;
	void (*free_arg)(void *);
	void *arg;
	int rfd, wfd;
	pthread_t thread;
	bool running;
	int rc;
};

static void *pipe_thread(void *p)
{
	struct pipe_reply *st = p;
	st->rc = st->fill(st->arg, st->wfd);
	close(TAKE_FD(st->wfd));
	return NULL;
}

static void pipe_join(struct pipe_reply *st)
{
	if (st->running) {
		pthread_join(st->thread, NULL);
		st->running = false;
	}
}

static ssize_t pipe_read(void *p, char *buf, size_t max)
{
	struct pipe_reply *st = p;
	for (;;) {
		ssize_t n = read(st->rfd, buf, max);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			return n;
		pipe_join(st);
		/* a failure mid-stream ends the chunked body without its terminator */
		return n == 0 && st->rc == 0 ? API_STREAM_END : API_STREAM_ERROR;
	}
}

static void pipe_free(void *p)
{
	struct pipe_reply *st = p;
	if (st->rfd >= 0)
		close(st->rfd); /* a writer still going gets EPIPE and stops */
	pipe_join(st);
	if (st->wfd >= 0)
		close(st->wfd);
	if (st->free_arg)
		st->free_arg(st->arg);
	free(st);
}

void api_reply_pipe(struct api_req *req, const char *type, api_pipe_fill_fn *fill, void *arg,
		    void (*free_arg)(void *), const char *what)
{
	struct pipe_reply *st = xcalloc(1, sizeof(*st));
	*st = (struct pipe_reply){
	    .fill = fill, .free_arg = free_arg, .arg = arg, .rfd = -1, .wfd = -1};
	int p[2];
	int r = pipe2(p, O_CLOEXEC) < 0 ? errno : 0;
	if (r == 0) {
		st->rfd = p[0];
		st->wfd = p[1];
		fcntl(st->wfd, F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; a smaller pipe works */
		r = pthread_create(&st->thread, NULL, pipe_thread, st);
	}
	if (r != 0) {
		struct err e = ERR_INIT;
		err_errno(&e, r, "%s", what);
		pipe_free(st);
		api_reply_error(req, &e);
		return;
	}
	st->running = true;
	api_reply_stream(req, 200, type, pipe_read, st, pipe_free);
}
