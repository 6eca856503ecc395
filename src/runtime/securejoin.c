/* securejoin: path resolution scoped to a root directory (the semantics of Go's
 * filepath-securejoin, which runc uses for every mount destination). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

#define SECUREJOIN_MAX_LINKS 255

/* Pops the first component off *rest (which is replaced by what follows it). */
static char *pop_component(char **rest)
{
	char *slash = strchr(*rest, '/');
	char *comp = slash ? str_ndup(*rest, (size_t)(slash - *rest)) : str_dup(*rest);
	char *next = str_dup(slash ? slash + 1 : "");
	free(*rest);
	*rest = next;
	return comp;
}

static char *read_link(const char *path, struct err *e)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0) {
		err_sys(e, "readlink %s", path);
		return NULL;
	}
	buf[n] = '\0';
	return str_dup(buf);
}

/* Joins root and an absolute clean path inside it. */
static char *root_join(const char *root, const char *clean)
{
	_cleanup_free_ char *j = str_printf("%s%s", root, clean);
	return path_clean(j);
}

char *securejoin_resolve(const char *root, const char *unsafe, struct err *e)
{
	_cleanup_free_ char *rest = str_dup(unsafe ? unsafe : "");
	/* The resolved part so far, "a/b/": never contains symlinks (but may hold ".."). */
	_cleanup_free_ char *done = str_dup("");
	int links = 0;

	while (*rest) {
		_cleanup_free_ char *comp = pop_component(&rest);
		_cleanup_free_ char *scoped_raw = str_printf("/%s%s", done, comp);
		_cleanup_free_ char *scoped = path_clean(scoped_raw);
		if (!strcmp(scoped, "/")) {
			done[0] = '\0';
			continue;
		}
		_cleanup_free_ char *full = root_join(root, scoped);
		struct stat st;
		bool missing = false;
		if (lstat(full, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				err_sys(e, "lstat %s", full);
				return NULL;
			}
			missing = true;
		}
		/* A missing component can't be a link: take it as it is. */
		if (missing || !S_ISLNK(st.st_mode)) {
			char *d = str_printf("%s%s/", done, comp);
			free(done);
			done = d;
			continue;
		}
		if (++links > SECUREJOIN_MAX_LINKS) {
			err_set(e, ERR_INVALID, ELOOP, "resolve %s in %s: too many symlinks",
				unsafe, root);
			return NULL;
		}
		_cleanup_free_ char *target = read_link(full, e);
		if (!target)
			return NULL;
		/* An absolute target starts over from the root. */
		if (target[0] == '/')
			done[0] = '\0';
		char *r = str_printf("%s/%s", target, rest);
		free(rest);
		rest = r;
	}
	_cleanup_free_ char *tail_raw = str_printf("/%s", done);
	_cleanup_free_ char *tail = path_clean(tail_raw);
	return root_join(root, tail);
}

const char *securejoin_fd_path(int fd, char *buf)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

int securejoin_open(const char *root, const char *unsafe, char **resolved, struct err *e)
{
	_cleanup_free_ char *path = securejoin_resolve(root, unsafe, e);
	if (!path)
		return -1;
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "open %s", path);
	/* Between resolving and opening, a component may have become a symlink pointing out of
	 * the root: the kernel's view of the fd tells where we really are. */
	char procfd[32], real[PATH_MAX];
	ssize_t n = readlink(securejoin_fd_path(fd, procfd), real, sizeof(real) - 1);
	if (n < 0)
		return err_sys(e, "readlink %s (for %s)", procfd, path);
	real[n] = '\0';
	if (strcmp(real, path))
		return err_set(e, ERR_INVALID, EXDEV,
			       "possibly malicious path detected: refusing to operate on %s "
			       "(resolves to %s)",
			       path, real);
	if (resolved)
		*resolved = TAKE_PTR(path);
	return TAKE_FD(fd);
}
