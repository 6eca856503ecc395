/* image/tarsplit_replay: a recorded tar-split turned back into the tar stream, file contents
 * read from the layer directory without following any symlink. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image/archive.h"
#include "util/cleanup.h"
#include "util/str.h"

/* One record of the split (see tarsplit.c for the format). */
struct ts_rec {
	char type;
	const char *data; /* R bytes, F path */
	size_t n;	  /* R/Z length, F path length */
	uint64_t size;	  /* F */
};

static int next_rec(const char *s, size_t len, size_t *off, struct ts_rec *r, struct err *e)
{
	size_t o = *off;
	if (o + 1 > len)
		return 0;
	r->type = s[o++];
	if (r->type == 'R' || r->type == 'Z') {
		uint32_t n;
		if (o + 4 > len)
			return err_invalid(e, "tar-split: truncated record");
		memcpy(&n, s + o, 4);
		o += 4;
		r->n = n;
		r->data = s + o;
		if (r->type == 'R')
			o += n;
	} else if (r->type == 'F') {
		uint16_t n;
		if (o + 2 > len)
			return err_invalid(e, "tar-split: truncated record");
		memcpy(&n, s + o, 2);
		o += 2;
		r->data = s + o;
		r->n = n;
		o += n;
		if (o + 8 > len)
			return err_invalid(e, "tar-split: truncated record");
		memcpy(&r->size, s + o, 8);
		o += 8;
	} else {
		return err_invalid(e, "tar-split: unknown record type");
	}
	if (o > len)
		return err_invalid(e, "tar-split: truncated record");
	*off = o;
	return 1;
}

int image_tarsplit_size(const char *split, size_t len, int64_t *size, struct err *e)
{
	size_t off = 0;
	struct ts_rec r;
	int k;
	*size = 0;
	while ((k = next_rec(split, len, &off, &r, e)) > 0)
		*size += (int64_t)(r.type == 'F' ? r.size : r.n);
	return k;
}

/* Opens path under the layer directory; no symlink anywhere on the way. */
static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
			       .resolve =
				   RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int replay_file(int dirfd, const struct ts_rec *r, char *buf, size_t bufsz,
		       image_sink_fn *fn, void *arg, struct err *e)
{
	_cleanup_free_ char *path = str_ndup(r->data, r->n);
	_cleanup_close_ int fd = open_beneath(dirfd, path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_sys(e, "layer file %s", path);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != r->size)
		return err_set(e, ERR_INTERNAL, 0, "layer file %s changed since it was stored",
			       path);
	uint64_t left = r->size;
	while (left) {
		ssize_t n = read(fd, buf, left < bufsz ? left : bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? err_sys(e, "read %s", path)
				     : err_set(e, ERR_INTERNAL, 0, "layer file %s shrank", path);
		if (fn(arg, buf, (size_t)n, e) < 0)
			return -1;
		left -= (uint64_t)n;
	}
	return 0;
}

int image_tarsplit_replay(const char *split, size_t len, const char *dir, image_sink_fn *fn,
			  void *arg, struct err *e)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_sys(e, "open %s", dir);
	const size_t bufsz = 256 * 1024;
	_cleanup_free_ char *buf = xcalloc(1, bufsz);
	size_t off = 0;
	struct ts_rec r;
	int k;
	while ((k = next_rec(split, len, &off, &r, e)) > 0) {
		if (r.type == 'R' && fn(arg, r.data, r.n, e) < 0)
			return -1;
		if (r.type == 'F' && replay_file(dirfd, &r, buf, bufsz, fn, arg, e) < 0)
			return -1;
		if (r.type != 'Z')
			continue;
		memset(buf, 0, bufsz);
		for (size_t left = r.n; left;) {
			size_t n = left < bufsz ? left : bufsz;
			if (fn(arg, buf, n, e) < 0)
				return -1;
			left -= n;
		}
	}
	return k;
}
