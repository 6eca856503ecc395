/* api/images_import: POST /images/create?fromSrc=URL: the archive is fetched by a thread that
 * writes dockerd's progress lines ("Downloading from", "Importing" bars, the image ID, or an
 * error message) into a pipe the chunked reply reads, so the client sees them as they come. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/images.h"
#include "image/progress.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct url_import {
	struct engine_import *imp;
	int rfd, wfd;
	pthread_t thread;
	bool running;
};

static int put_line(struct url_import *u, json_t *msg)
{
	_cleanup_free_ char *s = jx_dumps(msg);
	json_decref(msg);
	_cleanup_free_ char *line = str_printf("%s\r\n", s);
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t n = write(u->wfd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1; /* the client left */
		off += (size_t)n;
	}
	return 0;
}

/* jsonmessage.JSONProgress: a 50-column bar when the total is known. -1 when the client
 * left: the download stops (as dockerd's request context is cancelled). */
static int on_progress(void *arg, int64_t cur, int64_t total)
{
	struct url_import *u = arg;
	char c[32], t[32], bar[160];
	progress_human_size(cur, c, sizeof(c));
	if (total > 0 && cur <= total) {
		int w = (int)(50 * cur / total);
		progress_human_size(total, t, sizeof(t));
		snprintf(bar, sizeof(bar), "[%.*s%s%*s] %10s/%s", w > 0 ? w - (w < 50) : 0,
			 "==================================================", w < 50 ? ">" : "",
			 50 - w - (w < 50 ? 0 : 0) - (w < 50), "", c, t);
	} else {
		snprintf(bar, sizeof(bar), "%10s", c);
	}
	return put_line(u, json_pack("{s:s, s:{s:I, s:I}, s:s}", "status", "Importing",
				     "progressDetail", "current", (json_int_t)cur, "total",
				     (json_int_t)total, "progress", bar));
}

static void *url_thread(void *arg)
{
	struct url_import *u = arg;
	struct err e = ERR_INIT;
	put_line(
	    u, json_pack("{s:s+}", "status", "Downloading from ", engine_image_import_url(u->imp)));
	struct image *img = NULL;
	/* a failed download is never finished (url_free aborts the import): only a complete
	 * body may become an image */
	if (engine_image_import_fetch(u->imp, on_progress, u, &e) == 0)
		img = engine_image_import_finish(u->imp, &e);
	if (img)
		put_line(u, json_pack("{s:s}", "status", img->id));
	else
		put_line(u, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", e.msg, "error",
				      e.msg));
	image_put(img);
	close(TAKE_FD(u->wfd));
	return NULL;
}

static ssize_t url_read(void *arg, char *buf, size_t max)
{
	struct url_import *u = arg;
	for (;;) {
		ssize_t n = read(u->rfd, buf, max);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? n : n == 0 ? API_STREAM_END : API_STREAM_ERROR;
	}
}

static void url_free(void *arg)
{
	struct url_import *u = arg;
	if (u->rfd >= 0)
		close(u->rfd); /* the thread's writes fail from now on; it still finishes */
	if (u->running)
		pthread_join(u->thread, NULL);
	if (u->wfd >= 0)
		close(u->wfd);
	engine_image_import_free(u->imp);
	free(u);
}

void api_images_import_url(struct api_req *req, struct engine_import *imp)
{
	struct url_import *u = xcalloc(1, sizeof(*u));
	*u = (struct url_import){.imp = imp, .rfd = -1, .wfd = -1};
	int p[2], r = pipe2(p, O_CLOEXEC) < 0 ? errno : 0;
	if (r == 0) {
		u->rfd = p[0];
		u->wfd = p[1];
		r = pthread_create(&u->thread, NULL, url_thread, u);
	}
	if (r != 0) {
		struct err e = ERR_INIT;
		err_errno(&e, r, "import from %s", engine_image_import_url(imp));
		url_free(u);
		api_reply_error(req, &e);
		return;
	}
	u->running = true;
	api_reply_stream(req, 200, "application/json", url_read, u, url_free);
}
