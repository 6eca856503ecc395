/* sechelper: one privileged operation per call, for the security tests (busybox has no
 * keyctl, and its applets hide errno). Prints "ok" or "errno=N" and exits 0; "euid" prints
 * the effective uid (it is installed setuid root). Built static: it runs in a busybox root. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(long rc)
{
	if (rc < 0)
		printf("errno=%d\n", errno);
	else
		printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	if (!strcmp(op, "euid")) {
		printf("%d\n", (int)geteuid());
		return 0;
	}
	/* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3), create=0 */
	if (!strcmp(op, "keyctl"))
		return report(syscall(SYS_keyctl, 0, -3, 0));
	if (!strcmp(op, "add_key"))
		return report(syscall(SYS_add_key, "user", "berth-test", "x", 1, -3));
	if (!strcmp(op, "init_module"))
		return report(syscall(SYS_init_module, "", 0UL, ""));
	if (!strcmp(op, "finit_module"))
		return report(syscall(SYS_finit_module, 0, "", 0));
	if (!strcmp(op, "mount"))
		return report(mount("none", argc > 2 ? argv[2] : "/mnt", "tmpfs", 0, NULL));
	if (!strcmp(op, "unshare"))
		return report(unshare(CLONE_NEWNS | CLONE_NEWUTS));
	if (!strcmp(op, "open") && argc > 2) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		report(fd);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	fprintf(stderr, "usage: sechelper euid|keyctl|add_key|init_module|finit_module|"
			"mount [DIR]|unshare|open PATH\n");
	return 2;
}
