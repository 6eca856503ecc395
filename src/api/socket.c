/* api/socket: the daemon's Unix sockets: stale-file handling, mode and group. */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/server_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

gid_t server_socket_group(const char *name)
{
	const char *tries[] = {name, "docker", "berth"};
	for (size_t i = name ? 0 : 1; i < ARRAY_SIZE(tries); i++) {
		struct group *g = getgrnam(tries[i]);
		if (g)
			return g->gr_gid;
		if (i == 0)
			break; /* an explicit group that doesn't exist: no fallback */
	}
	return (gid_t)-1;
}

/* A socket file is stale when connecting to it is refused. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(e, "stat %s", path);
	if (!S_ISSOCK(st.st_mode))
		return err_conflict(e, "%s exists and is not a socket", path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return err_conflict(e, "another daemon is already listening on %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_sys(e, "remove stale socket %s", path);
	return 0;
}

int server_listen_unix(const char *path, gid_t gid, struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_invalid(e, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	_cleanup_free_ char *copy = str_dup(path);
	if (fs_mkdir_p(dirname(copy), 0755, e) < 0 || clear_stale(path, &sa, e) < 0)
		return -1;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, "socket");
	/* Nobody but root may connect before the mode and group are right. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return err_sys(e, "bind %s", path);
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		err_sys(e, "chown %s", path);
		unlink(path);
		return -1;
	}
	if (chmod(path, 0660) < 0 || listen(fd, 512) < 0) {
		err_sys(e, "listen on %s", path);
		unlink(path);
		return -1;
	}
	return TAKE_FD(fd);
}
