/* nsrun: runs a unit test's body in a child in throw-away namespaces (optionally a user
 * namespace mapped by the parent) and turns the checks it reports through a pipe into TAP. */
#ifndef BERTH_TESTS_NSRUN_H
#define BERTH_TESTS_NSRUN_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/str.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

static int result_fd = -1; /* in the child: where checks are reported */

/* In the child: one check, as "1 name" or "0 name" for the parent to turn into TAP. */
static inline __attribute__((format(printf, 2, 3))) bool check(bool cond, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	dprintf(result_fd, "%d %s\n", cond ? 1 : 0, buf);
	return cond;
}

/* How a run is set up: extra namespaces, and with userns a user namespace mapping
 * container root to USERNS_HOST_ID; before_userns runs privileged, in the run's own mount
 * namespace, just before the user namespace is made. */
struct run {
	const char *what;
	int flags;
	bool userns;
	void (*before_userns)(void);
	void (*fn)(void);
};

#define USERNS_HOST_ID 100000

/* In the child: enters the namespaces, then runs fn (as pid 1 with CLONE_NEWPID). */
static inline void run_child(const struct run *r, int sync_w, int ack_r)
{
	/* Private first: nothing the test does may propagate to the host. */
	if (!check(unshare(CLONE_NEWNS) == 0, "unshare") ||
	    !check(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / rprivate"))
		_exit(1);
	if (r->userns) {
		char c;
		if (r->before_userns)
			r->before_userns();
		if (!check(unshare(CLONE_NEWUSER) == 0, "unshare user namespace") ||
		    write(sync_w, "u", 1) != 1 || read(ack_r, &c, 1) != 1 ||
		    !check(setresgid(0, 0, 0) == 0 && setresuid(0, 0, 0) == 0, "become root"))
			_exit(1);
	}
	if (!check(unshare(CLONE_NEWNS | r->flags) == 0, "unshare namespaces"))
		_exit(1);
	if (r->flags & CLONE_NEWPID) {
		pid_t inner = fork();
		if (inner > 0) {
			int st;
			waitpid(inner, &st, 0);
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
		}
	}
	r->fn();
	_exit(0);
}

/* In the parent: writes the child's id maps once it has its user namespace. */
static inline void map_ids(pid_t pid, int sync_r, int ack_w)
{
	char c;
	if (read(sync_r, &c, 1) != 1)
		return; /* the child failed before: it reports why */
	_cleanup_free_ char *map = str_printf("0 %d 65536\n", USERNS_HOST_ID);
	_cleanup_free_ char *uid = str_printf("/proc/%d/uid_map", (int)pid);
	_cleanup_free_ char *gid = str_printf("/proc/%d/gid_map", (int)pid);
	struct err e = ERR_INIT;
	ok(fs_write_string(uid, map, &e) == 0 && fs_write_string(gid, map, &e) == 0,
	   "write id maps (%s)", e.msg);
	if (write(ack_w, "a", 1) != 1)
		perror("write");
}

/* Runs r in a child and turns what it reports into TAP lines. */
static inline void run_in_ns(const struct run *r)
{
	int p[2], sync[2], ack[2];
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0) {
		ok(0, "%s: pipe", r->what);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(sync[0]);
		close(ack[1]);
		result_fd = p[1];
		run_child(r, sync[1], ack[0]);
	}
	close(p[1]);
	close(sync[1]);
	close(ack[0]);
	if (r->userns)
		map_ids(pid, sync[0], ack[1]);
	close(sync[0]);
	close(ack[1]);
	FILE *f = fdopen(p[0], "r");
	char line[1200];
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ok(line[0] == '1', "%s: %s", r->what, line + 2);
	}
	if (f)
		fclose(f);
	int st = 0;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child exited cleanly", r->what);
}

/* ---- checks used inside the container ---- */

static inline void check_fs(const char *path, long magic, bool ro, const char *what)
{
	struct statfs sf;
	struct statvfs sv;
	if (!check(statfs(path, &sf) == 0 && statvfs(path, &sv) == 0, "%s: statfs %s", what, path))
		return;
	check(sf.f_type == magic, "%s: %s is the right filesystem (0x%lx)", what, path,
	      (long)sf.f_type);
	check(!!(sv.f_flag & ST_RDONLY) == ro, "%s: %s is %s", what, path, ro ? "ro" : "rw");
}

static inline void check_erofs(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	int err = errno;
	if (fd >= 0)
		close(fd);
	check(fd < 0 && err == EROFS, "writing %s fails with EROFS (%s)", path,
	      fd < 0 ? strerror(err) : "opened");
}

static inline void check_content(const char *path, const char *want)
{
	_cleanup_free_ char *got = fs_read_file(path, NULL, NULL);
	check(got && !strcmp(got, want), "%s reads '%s' (got '%s')", path, want,
	      got ? got : "(error)");
}

static inline void check_link(const char *path, const char *want)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	check(n > 0 && !strcmp(buf, want), "%s -> %s (got '%s')", path, want, buf);
}

static inline void check_dev(const char *path, unsigned maj, unsigned min, mode_t mode, uid_t uid,
			     gid_t gid)
{
	struct stat st;
	if (!check(stat(path, &st) == 0, "stat %s", path))
		return;
	check(S_ISCHR(st.st_mode) && major(st.st_rdev) == maj && minor(st.st_rdev) == min,
	      "%s is char %u:%u", path, maj, min);
	check((st.st_mode & 07777) == mode, "%s has mode %o (got %o)", path, mode,
	      st.st_mode & 07777);
	check(st.st_uid == uid && st.st_gid == gid, "%s owned by %u:%u", path, uid, gid);
}

#endif
