/* api/socket: the daemon's listening sockets: Unix ones (stale-file handling, mode and
 * group) and TCP ones (addresses read as dockerd's -H tcp://). */
#include <errno.h>
#include <grp.h>
#include <ctype.h>
#include <libgen.h>
#include <netdb.h>
#include <stdlib.h>
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

int server_parse_tcp(const char *spec, char **host, char **port, struct err *e)
{
	const char *colon;
	_cleanup_free_ char *h = NULL;
	if (strchr(spec, '/') || strchr(spec, '?') || strchr(spec, '#'))
		return err_invalid(e, "invalid bind address tcp://%s: no path allowed", spec);
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || (end[1] && end[1] != ':'))
			return err_invalid(e, "invalid bind address tcp://%s", spec);
		h = str_ndup(spec + 1, (size_t)(end - spec - 1));
		colon = end[1] ? end + 1 : NULL;
	} else {
		colon = strrchr(spec, ':');
		if (colon && strchr(spec, ':') != colon)
			return err_invalid(e,
					   "invalid bind address tcp://%s: an IPv6 address "
					   "goes in brackets",
					   spec);
		h = colon ? str_ndup(spec, (size_t)(colon - spec)) : str_dup(spec);
	}
	const char *p = colon ? colon + 1 : "2376";
	char *end;
	errno = 0;
	unsigned long n = strtoul(p, &end, 10);
	if (!*p || *end || errno || n == 0 || n > 65535 || !isdigit((unsigned char)*p))
		return err_invalid(e, "invalid bind address tcp://%s: bad port '%s'", spec, p);
	*host = *h ? TAKE_PTR(h) : str_dup("127.0.0.1");
	*port = str_printf("%lu", n);
	return 0;
}

int server_listen_tcp(const char *spec, struct err *e)
{
	_cleanup_free_ char *host = NULL, *port = NULL;
	if (server_parse_tcp(spec, &host, &port, e) < 0)
		return -1;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return err_invalid(e, "tcp://%s: %s", spec, gai_strerror(r));
	int fd = -1, en = 0;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		int one = 1;
		if (fd < 0)
			en = errno;
		else if ((setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			  bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 512) < 0)) {
			en = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return en == EADDRINUSE
			   ? err_conflict(e, "listen on tcp://%s: %s", spec, strerror(en))
			   : err_errno(e, en, "listen on tcp://%s", spec);
	return fd;
}
