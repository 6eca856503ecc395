/* engine/userns_netns: a --userns-remap container's network namespace, made by the daemon
 * inside a user namespace of the container's own (its mappings written by the daemon), as
 * dockerd gets it from runc: the namespace belongs to the container's root, so its
 * CAP_NET_RAW and CAP_NET_ADMIN work there (ping, ip link) and sysfs can be mounted. Both
 * are kept by bind mounts: <path> and <path>.userns, which the container joins. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/engine_priv.h"
#include "engine/userns.h"
#include "util/cleanup.h"
#include "util/str.h"

/* The child: a new user namespace, then (once the parent wrote its maps) a new network
 * namespace in it with lo up. Only syscalls: it is a fork of a threaded daemon. */
static void child(int to_parent, int from_parent)
{
	char c = 'u';
	if (unshare(CLONE_NEWUSER) < 0 || write(to_parent, &c, 1) != 1 ||
	    read(from_parent, &c, 1) != 1 || unshare(CLONE_NEWNET) < 0)
		_exit(1);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		_exit(1);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		_exit(1);
	c = 'n';
	if (write(to_parent, &c, 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

static int bind_ns(pid_t pid, const char *ns, const char *path, struct err *e)
{
	_cleanup_close_ int fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		return err_sys(e, "create %s", path);
	_cleanup_free_ char *src = str_printf("/proc/%d/ns/%s", (int)pid, ns);
	if (mount(src, path, NULL, MS_BIND, NULL) < 0)
		return err_sys(e, "bind %s namespace on %s", ns, path);
	return 0;
}

static int expect(int fd, char want, struct err *e)
{
	char c = 0;
	ssize_t n;
	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1 || c != want)
		return err_set(e, ERR_INTERNAL, 0,
			       "--userns-remap: the network namespace's helper failed");
	return 0;
}

/* With the child stopped after its user namespace: maps, the network namespace, binds. */
static int converse(const struct engine *eng, pid_t pid, int from_child, int to_child,
		    const char *path, const char *owner, struct err *e)
{
	char go = 'g';
	if (expect(from_child, 'u', e) < 0 || userns_write_maps(eng->userns, pid, e) < 0 ||
	    write(to_child, &go, 1) != 1 || expect(from_child, 'n', e) < 0)
		return -1;
	if (bind_ns(pid, "user", owner, e) < 0 || bind_ns(pid, "net", path, e) < 0)
		return -1;
	return 0;
}

int engine_userns_netns_create(const struct engine *eng, const json_t *rec, const char *path,
			       struct err *e)
{
	if (!engine_userns_private(eng, json_object_get(rec, "HostConfig")))
		return container_netns_create(path, e);
	_cleanup_free_ char *owner = str_printf("%s.userns", path);
	int up[2], down[2];
	if (pipe2(up, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	if (pipe2(down, O_CLOEXEC) < 0) {
		close(up[0]);
		close(up[1]);
		return err_sys(e, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0)
		child(up[1], down[0]);
	close(up[1]);
	close(down[0]);
	int r = pid < 0 ? err_sys(e, "fork") : converse(eng, pid, up[0], down[1], path, owner, e);
	close(up[0]);
	close(down[1]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (r < 0)
		container_netns_remove(path); /* and the user namespace's file */
	return r;
}
