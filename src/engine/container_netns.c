/* engine/container_netns: a container's private network namespace with its loopback up (as
 * dockerd's sandbox for "none" and, until bridges exist, the default network), kept alive
 * by a bind mount on a file in the container's run directory. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

struct netns_job {
	const char *path;
	int err;
	const char *what;
};

static int lo_up(void)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

/* A thread of its own: the new namespace is this thread's only (never the daemon's). */
static void *netns_thread(void *p)
{
	struct netns_job *j = p;
	char self[64];
	if (unshare(CLONE_NEWNET) < 0) {
		j->err = errno;
		j->what = "unshare";
		return NULL;
	}
	if (lo_up() < 0) {
		j->err = errno;
		j->what = "bring up lo";
		return NULL;
	}
	snprintf(self, sizeof(self), "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
	if (mount(self, j->path, NULL, MS_BIND, NULL) < 0) {
		j->err = errno;
		j->what = "bind mount";
	}
	return NULL;
}

int container_netns_create(const char *path, struct err *e)
{
	int fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		return err_sys(e, "create %s", path);
	close(fd);
	struct netns_job j = {path, 0, NULL};
	pthread_t t;
	if (pthread_create(&t, NULL, netns_thread, &j) != 0)
		return err_set(e, ERR_INTERNAL, 0, "network namespace: cannot start a thread");
	pthread_join(t, NULL);
	if (j.err) {
		umount2(path, MNT_DETACH);
		unlink(path);
		return err_errno(e, j.err, "network namespace %s: %s", path, j.what);
	}
	return 0;
}

static void unbind(const char *path)
{
	while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	unlink(path);
}

void container_netns_remove(const char *path)
{
	unbind(path);
	/* --userns-remap: the user namespace that owns it (engine/userns_netns.c) */
	_cleanup_free_ char *owner = str_printf("%s.userns", path);
	if (access(owner, F_OK) == 0)
		unbind(owner);
}
