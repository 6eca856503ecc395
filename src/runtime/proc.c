/* proc: the last steps of the container process before execve, in runc's order (see
 * libcontainer/standard_init_linux.go and finalizeNamespace in init_linux.go). */
#include "runtime/proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/proc_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"

void proc_go_strerror(int errnum, char *buf, size_t size)
{
	snprintf(buf, size, "%s", strerror(errnum));
	buf[0] = (char)tolower((unsigned char)buf[0]);
}

int proc_set_rlimits(const struct spec_process *p, struct err *e)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct spec_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (setrlimit(r->resource, &rl) < 0)
			return err_sys(e, "process.rlimits[%zu]: error setting rlimit type %d", i,
				       r->resource);
	}
	return 0;
}

int proc_set_oom_score_adj(const struct spec_process *p, struct err *e)
{
	if (!p->has_oom_score_adj)
		return 0;
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	if (fs_write_string("/proc/self/oom_score_adj", buf, e) < 0)
		return err_wrap(e, "process.oomScoreAdj");
	return 0;
}

/* runc's fixStdioPermissions: stdio made outside the container must belong to the new user
 * (a console must stay usable); /dev/null and ids the namespace can't map are left alone. */
static void stdio_chown(uid_t uid)
{
	struct stat null;
	dev_t null_rdev = stat("/dev/null", &null) == 0 ? null.st_rdev : makedev(1, 3);
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_uid == uid)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == null_rdev)
			continue;
		/* EINVAL/EPERM: unmapped ids; EROFS: read-only /dev. Best effort, as runc. */
		(void)fchown(fd, uid, st.st_gid);
	}
}

/* In a user namespace whose setgroups is "deny" no group list can be set at all. */
static bool setgroups_allowed(void)
{
	char buf[16] = "";
	_cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	return n <= 0 || strncmp(buf, "deny", 4) != 0;
}

int proc_user_switch(const struct spec_user *u, struct err *e)
{
	stdio_chown(u->uid);
	if (setgroups_allowed() && setgroups(u->n_additional_gids, u->additional_gids) < 0)
		return err_sys(e, "unable to setup user: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0) {
		if (errno == EINVAL)
			return err_invalid(e,
					   "unable to setup user: cannot set gid to unmapped user "
					   "in user namespace (gid %u)",
					   (unsigned)u->gid);
		return err_sys(e, "unable to setup user: setresgid(%u)", (unsigned)u->gid);
	}
	if (setresuid(u->uid, u->uid, u->uid) < 0) {
		if (errno == EINVAL)
			return err_invalid(e,
					   "unable to setup user: cannot set uid to unmapped user "
					   "in user namespace (uid %u)",
					   (unsigned)u->uid);
		return err_sys(e, "unable to setup user: setresuid(%u)", (unsigned)u->uid);
	}
	return 0;
}

static int load_seccomp(struct seccomp_filter *f, struct err *e)
{
	if (seccomp_filter_load(f, e) < 0)
		return err_wrap(e, "unable to init seccomp");
	return 0;
}

/* Capabilities and identity; keep-caps holds the permitted set across the uid change. */
static int switch_identity(const struct spec_process *p, struct err *e)
{
	/* The uid change clears the parent-death signal; put it back afterwards. */
	int pdeath = 0;
	if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) < 0)
		return err_sys(e, "prctl(PR_GET_PDEATHSIG)");
	/* Absent process.capabilities gives empty sets: runc then drops every capability. */
	if (proc_caps_drop_bounding(p->caps.bounding, e) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(e, "unable to set keep caps");
	if (proc_user_switch(&p->user, e) < 0)
		return -1;
	if (pdeath && prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
		return err_sys(e, "can't restore pdeath signal");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(e, "unable to clear keep caps");
	return proc_caps_apply(&p->caps, e);
}

int proc_finalize(const struct spec_process *p, struct seccomp_filter *seccomp, struct err *e)
{
	/* Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it while we have it.
	 * With it, load as late as possible so the profile needs to allow fewer syscalls. */
	if (seccomp && !p->no_new_privileges && load_seccomp(seccomp, e) < 0)
		return -1;
	if (switch_identity(p, e) < 0)
		return -1;
	umask(p->user.has_umask ? p->user.umask : 0022);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(e, "prctl(SET_NO_NEW_PRIVS)");
	if (seccomp && p->no_new_privileges && load_seccomp(seccomp, e) < 0)
		return -1;
	return 0;
}
