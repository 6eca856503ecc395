/* seccomp_agent: the runtime's side of SCMP_ACT_NOTIFY: the listener fd of a container
 * process goes to the seccomp agent with the container process state (runc's protocol). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/seccomp_priv.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The runtime-spec version runc 1.1.5 reports (as in the hooks' state). */
#define AGENT_OCI_VERSION "1.0.2-dev"
/* The name the state gives the listener in "fds" (runtime-spec's SeccompFdName). */
#define AGENT_FD_NAME "seccompFd"

/* A stream connection to path; "@name" is in the abstract namespace (as Go's net.Dial). */
static int agent_connect(const char *path, struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(sa.sun_path))
		return err_invalid(e, "linux.seccomp.listenerPath: '%s' is not a valid socket path",
				   path);
	memcpy(sa.sun_path, path, n);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	else
		len++; /* the terminating NUL of a path name */
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, "cannot get seccomp socket");
	int r;
	do
		r = connect(fd, (struct sockaddr *)&sa, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_sys(e,
			       "failed to connect with seccomp agent specified in the seccomp "
			       "profile: dial unix %s: connect",
			       path);
	return TAKE_FD(fd);
}

int seccomp_agent_send(const struct seccomp_filter *f, int listener, pid_t pid, const json_t *state,
		       struct err *e)
{
	if (!f || !f->listener_path)
		return err_invalid(e, "linux.seccomp.listenerPath: listenerPath is not set");
	_cleanup_json_ json_t *j = json_pack("{s:s, s:[s], s:I}", "ociVersion", AGENT_OCI_VERSION,
					     "fds", AGENT_FD_NAME, "pid", (json_int_t)pid);
	/* runc leaves out an empty metadata (omitempty). */
	if (f->listener_metadata && *f->listener_metadata)
		json_object_set_new(j, "metadata", json_string(f->listener_metadata));
	if (state)
		json_object_set(j, "state", (json_t *)state);
	_cleanup_free_ char *text = jx_dumps(j);
	_cleanup_close_ int sock = agent_connect(f->listener_path, e);
	if (sock < 0)
		return -1;
	if (sync_send_fd_named(sock, listener, text, e) < 0)
		return err_wrap(e, "cannot send seccomp fd to %s", f->listener_path);
	return 0;
}
