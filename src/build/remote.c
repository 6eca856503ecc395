/* build/remote: POST /build?remote=URL: the URL's body downloaded (libcurl, through
 * image_fetch) into the build's directory; a tar (plain or compressed) becomes the context,
 * anything else is the Dockerfile itself (dockerd's text/plain case), with dockerd's
 * "Downloading context" progress. Git URLs are refused:
 * they would need a git client in the daemon. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_priv.h"
#include "image/progress.h"
#include "image/tar.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

struct remote_dl {
	struct build *b;
	int fd;
	int64_t got, shown; /* bytes received, and at the last message */
	int64_t shown_ns;   /* the last message's time */
};

static void show(struct remote_dl *d)
{
	d->shown = d->got;
	d->shown_ns = progress_now();
	build_say_json(d->b, progress_bar("Downloading context", d->b->o.remote, d->got, 0, 0));
}

/* The body to the file, with dockerd's progress reader on it: id "Downloading context", the
 * URL as status, the size so far (its total is the request's body length: none); a message
 * per 512 KiB at most every 100 ms, and one at the end (the caller's). */
static int sink_fd(void *arg, const void *data, size_t len)
{
	struct remote_dl *d = arg;
	if (fs_write_all(d->fd, data, len) < 0)
		return -1;
	d->got += (int64_t)len;
	if (d->got - d->shown > 512 * 1024 &&
	    (!d->shown_ns || progress_now() - d->shown_ns >= 100 * 1000000))
		show(d);
	return 0;
}

static bool is_git(const char *u)
{
	return str_has_prefix(u, "git://") || str_has_prefix(u, "git@") ||
	       str_has_suffix(u, ".git") || strstr(u, ".git#") || str_has_prefix(u, "github.com/");
}

/* A tar: "ustar" at 257, or a compressed stream. */
static bool looks_like_tar(int fd)
{
	char head[512];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n >= 262 && !memcmp(head + 257, "ustar", 5))
		return true;
	return n > 0 && image_tar_compressed(head, (size_t)n);
}

int build_context_remote(struct build *b, struct err *e)
{
	const char *url = b->o.remote;
	if (is_git(url))
		return err_invalid(e,
				   "unable to prepare context: git repositories are not "
				   "supported as build contexts by this daemon: %s",
				   url);
	if (!str_has_prefix(url, "http://") && !str_has_prefix(url, "https://"))
		return err_invalid(e, "remoteURL (%s) could not be recognized as URL", url);
	_cleanup_free_ char *tmp = str_printf("%s/remote-XXXXXX", b->dir);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "build: temporary file");
	struct remote_dl dl = {b, fd, 0, 0, 0};
	int r = image_fetch(url, sink_fd, NULL, &dl, e);
	if (r == 1)
		r = err_sys(e, "build: write %s", tmp);
	if (r < 0)
		return err_wrap(
		    e, "unable to prepare context: unable to download remote context %s", url);
	show(&dl);
	if (!looks_like_tar(fd)) {
		const char *name =
		    b->o.dockerfile && *b->o.dockerfile ? b->o.dockerfile : "Dockerfile";
		_cleanup_free_ char *df = str_printf("%s/%s", b->ctx, name);
		if (strchr(name, '/') || rename(tmp, df) < 0)
			return err_invalid(e, "Cannot locate specified Dockerfile: %s", name);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	struct image_tar_result res;
	r = image_tar_extract(fd, b->ctx, &res, e);
	unlink(tmp);
	return r < 0 ? err_wrap(e, "failed to read the build context") : 0;
}
