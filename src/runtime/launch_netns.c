/* launch_netns: a container's new network namespace, with its loopback up (runc's
 * "loopback" network). The direct launch's container process makes its own (launch.c). */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
