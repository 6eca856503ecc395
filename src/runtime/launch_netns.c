/* launch_netns: a container's new network namespace, with its loopback up (runc's
 * "loopback" network): made by a task of its own that create starts as soon as the config
 * is read, so its ~0.4 ms overlaps the runtime's own preparation (launch.c), or else by
 * the container process itself. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/launch.h"

int launch_loopback_up(struct err *e)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return err_sys(e, "set up loopback: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (r < 0)
		err_sys(e, "set up loopback");
	close(s);
	return r < 0 ? -1 : 0;
}

int launch_netns_new(struct err *e)
{
	if (unshare(CLONE_NEWNET) < 0)
		return err_sys(e, "create network namespace");
	return launch_loopback_up(e);
}

/* The maker is a task of its own that shares our memory and fds, not a thread: in a
 * threaded process glibc broadcasts set*id calls to all threads, which the container
 * process (cloned later, without them) would wait for forever. It uses only plain
 * syscalls; what failed is left in m for the parent. */
static int maker_main(void *arg)
{
	struct launch_netns *m = arg;
	struct err e = ERR_INIT;
	if (launch_netns_new(&e) < 0) {
		m->errnum = e.errnum;
		m->what = "create network namespace";
		return 1;
	}
	m->fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (m->fd < 0) {
		m->errnum = errno;
		m->what = "open the new network namespace";
		return 1;
	}
	return 0;
}

#define MAKER_STACK (64 * 1024)

int launch_netns_start(struct launch_netns *m, struct err *e)
{
	*m = (struct launch_netns){.fd = -1, .pid = -1};
	m->stack =
	    mmap(NULL, MAKER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->stack == MAP_FAILED) {
		m->stack = NULL;
		return err_sys(e, "network namespace task stack");
	}
	m->pid = clone(maker_main, (char *)m->stack + MAKER_STACK, CLONE_VM | CLONE_FILES, m);
	if (m->pid < 0) {
		err_sys(e, "start network namespace task");
		munmap(m->stack, MAKER_STACK);
		m->stack = NULL;
		return -1;
	}
	return 0;
}

int launch_netns_finish(struct launch_netns *m, struct err *e)
{
	if (m->pid < 0)
		return m->fd;
	while (waitpid(m->pid, NULL, __WCLONE) < 0 && errno == EINTR)
		;
	m->pid = -1;
	munmap(m->stack, MAKER_STACK);
	m->stack = NULL;
	if (m->fd < 0)
		return err_set(e, ERR_INTERNAL, m->errnum, "%s: %s",
			       m->what ? m->what : "network namespace", strerror(m->errnum));
	return m->fd;
}

void launch_netns_release(struct launch_netns *m)
{
	struct err ignore = ERR_INIT;
	launch_netns_finish(m, &ignore);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

bool launch_netns_early(const struct spec *s)
{
	if (!s->ns[NS_NET].enabled || s->ns[NS_NET].path)
		return false;
	if (s->ns[NS_CGROUP].enabled && !s->ns[NS_CGROUP].path)
		return false;
	for (int t = 0; t < NS_COUNT; t++)
		if (s->ns[t].enabled && (s->ns[t].path || t == NS_USER || t == NS_TIME))
			return false;
	return true;
}
