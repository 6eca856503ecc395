/* Unit tests for src/runtime/rootfs*: securejoin, then whole prepare/pivot/finalize runs in
 * throw-away mount (and pid, uts, ipc) namespaces on a tiny root in a temp dir. A forked
 * child does the work and reports its checks through a pipe; the host must end unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/rootfs.h"
#include "runtime/securejoin.h"
#include "nsrun.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

static char tmpdir[64]; /* /tmp/berth-rootfs-XXXXXX */
static char rootdir[PATH_MAX];

static void mkfile(const char *rel, const char *content, mode_t mode)
{
	_cleanup_free_ char *p = str_printf("%s/%s", tmpdir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd >= 0) {
		if (write(fd, content, strlen(content)) < 0)
			perror("write");
		fchmod(fd, mode);
		close(fd);
	}
}

static void mkdirs(const char *rel)
{
	_cleanup_free_ char *p = str_printf("%s/%s", tmpdir, rel);
	fs_mkdir_p(p, 0755, NULL);
}

/* ---- the full run ---- */

static struct spec_mount mk_mount(const char *type, const char *src, const char *dest,
				  unsigned long flags, const char *data)
{
	return (struct spec_mount){.type = (char *)type,
				   .source = (char *)src,
				   .destination = (char *)dest,
				   .flags = flags,
				   .data = (char *)data};
}

static char escape_dest[PATH_MAX]; /* inside the root, where /evil/inside must land */

/* Every kind of mount, in an order where later ones depend on earlier ones. */
static size_t full_mounts(struct spec_mount *m)
{
	static char src[PATH_MAX], srcfile[PATH_MAX], rsrc[PATH_MAX];
	unsigned long nosx = MS_NOSUID | MS_NOEXEC | MS_NODEV;
	size_t i = 0;

	snprintf(src, sizeof(src), "%s/src", tmpdir);
	snprintf(srcfile, sizeof(srcfile), "%s/srcfile", tmpdir);
	snprintf(rsrc, sizeof(rsrc), "%s/rsrc", tmpdir);
	m[i++] = mk_mount("proc", "proc", "/proc", nosx, NULL);
	m[i++] =
	    mk_mount("tmpfs", "tmpfs", "/dev", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	m[i++] = mk_mount("devpts", "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5");
	m[i++] = mk_mount("tmpfs", "shm", "/dev/shm", nosx, "mode=1777,size=65536k");
	m[i++] = mk_mount("mqueue", "mqueue", "/dev/mqueue", nosx, NULL);
	m[i++] = mk_mount("sysfs", "sysfs", "/sys", nosx | MS_RDONLY, NULL);
	m[i++] =
	    mk_mount("cgroup", "cgroup", "/sys/fs/cgroup", nosx | MS_RELATIME | MS_RDONLY, NULL);
	m[i++] = mk_mount("tmpfs", "tmpfs", "/tmp", 0, "size=1m");
	m[i] = mk_mount(NULL, src, "/mnt/bind", MS_BIND | MS_RDONLY, NULL);
	m[i++].bind = true;
	m[i] = mk_mount("bind", srcfile, "/etc/hostfile", MS_BIND, NULL);
	m[i++].bind = true;
	m[i++] = mk_mount("tmpfs", "tmpfs", "/evil/inside", MS_RDONLY, NULL);
	m[i++] = mk_mount("tmpfs", "tmpfs", "/evil2/escaped", 0, NULL);
	m[i] = mk_mount("tmpfs", "tmpfs", "/copy", 0, NULL);
	m[i++].tmpcopyup = true; /* as spec_mount_options sets it for "tmpcopyup" */
	m[i] = mk_mount(NULL, rsrc, "/mnt/rro", MS_BIND | MS_REC, NULL);
	m[i].bind = m[i].rbind = true;
	m[i++].recursive_ro = true; /* "rro" */
	m[i++] = mk_mount("tmpfs", "tmpfs", "/mnt/ro-tmpfs", MS_RDONLY | MS_NODEV, NULL);
	return i;
}

static void full_spec(struct spec *s, struct spec_mount *m)
{
	static char *masked[] = {"/testfile", "/testdir", "/nonexistent", NULL};
	static char *readonly[] = {"/dev/shm", "/proc/sys", "/nonexistent2", NULL};
	static struct spec_device devs[2];
	static struct spec_sysctl sysctls[] = {{"kernel.domainname", "berth.test"},
					       {"kernel.shm_rmid_forced", "1"}};
	devs[0] = (struct spec_device){.type = 'c',
				       .path = "/dev/test-null",
				       .major = 1,
				       .minor = 3,
				       .has_mode = true,
				       .mode = 0600,
				       .has_uid = true,
				       .uid = 1000,
				       .has_gid = true,
				       .gid = 1000};
	devs[1] = (struct spec_device){.type = 'c', .path = "/dev/tty", .major = 5, .minor = 0};

	*s = (struct spec){.root_path = rootdir,
			   .root_readonly = true,
			   .mounts = m,
			   .n_mounts = full_mounts(m),
			   .devices = devs,
			   .n_devices = 2,
			   .sysctl = sysctls,
			   .n_sysctl = 2,
			   .masked_paths = masked,
			   .readonly_paths = readonly,
			   .has_process = true};
	s->process.cwd = "/work/dir";
	s->ns[NS_MNT].enabled = s->ns[NS_PID].enabled = true;
	s->ns[NS_UTS].enabled = s->ns[NS_IPC].enabled = true;
}

static void check_dev_tree(void)
{
	check_fs("/dev", TMPFS_MAGIC, false, "/dev");
	check_dev("/dev/null", 1, 3, 0666, 0, 0);
	check_dev("/dev/zero", 1, 5, 0666, 0, 0);
	check_dev("/dev/urandom", 1, 9, 0666, 0, 0);
	check_dev("/dev/tty", 5, 0, 0666, 0, 0);
	check_dev("/dev/test-null", 1, 3, 0600, 1000, 1000);
	check_link("/dev/ptmx", "pts/ptmx");
	check_dev("/dev/ptmx", 5, 2, 0666, 0, 0);
	check_link("/dev/fd", "/proc/self/fd");
	check_link("/dev/stdin", "/proc/self/fd/0");
	check_link("/dev/stderr", "/proc/self/fd/2");
	if (access("/proc/kcore", F_OK) == 0)
		check_link("/dev/core", "/proc/kcore");
	check_fs("/dev/pts", DEVPTS_SUPER_MAGIC, false, "devpts");
	check_fs("/dev/mqueue", MQUEUE_MAGIC, false, "mqueue");
	/* /dev/shm is also a readonly path. */
	check_fs("/dev/shm", TMPFS_MAGIC, true, "/dev/shm");
}

static void check_mounts(void)
{
	check_fs("/proc", PROC_SUPER_MAGIC, false, "proc");
	check_link("/proc/self", "1");
	check_fs("/sys", SYSFS_MAGIC, true, "sysfs");
	check_fs("/sys/fs/cgroup", TMPFS_MAGIC, false, "cgroup v1 tmpfs");
	if (access("/sys/fs/cgroup/memory", F_OK) == 0)
		check_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC, true, "cgroup memory");
	struct statfs sf;
	check(statfs("/tmp", &sf) == 0 && (long long)sf.f_blocks * sf.f_bsize == 1048576,
	      "/tmp tmpfs has size=1m");
	check_content("/mnt/bind/hello", "hello");
	check_erofs("/mnt/bind/new");
	check_content("/etc/hostfile", "file content");
	check_fs(escape_dest, TMPFS_MAGIC, true, "symlinked destination");
	check_fs("/escaped", TMPFS_MAGIC, false, "relative escape clamped to /");
	check_fs("/copy", TMPFS_MAGIC, false, "tmpcopyup");
	check_content("/copy/keep", "kept");
	struct stat st;
	check(stat("/copy/keep", &st) == 0 && (st.st_mode & 07777) == 0640,
	      "tmpcopyup keeps the mode");
	check_erofs("/mnt/rro/new");
	check_erofs("/mnt/rro/sub/new");
	check_fs("/mnt/ro-tmpfs", TMPFS_MAGIC, true, "ro tmpfs");
}

static void check_paths(void)
{
	check_content("/testfile", "");
	check_fs("/testdir", TMPFS_MAGIC, true, "masked dir");
	check(access("/testdir/inside", F_OK) < 0, "masked dir hides its content");
	check_erofs("/testdir/new");
	check_erofs("/dev/shm/new");
	check_erofs("/newfile");
	check_content("/proc/sys/kernel/domainname", "berth.test\n");
	check_content("/proc/sys/kernel/shm_rmid_forced", "1\n");
	check_erofs("/proc/sys/kernel/domainname");
	struct stat st;
	check(stat("/work/dir", &st) == 0 && S_ISDIR(st.st_mode), "process.cwd was created");
	char cwd[PATH_MAX];
	check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"), "cwd is /");
}

/* The old root must be gone: only the root's bind is mounted on "/". */
static void check_old_root_gone(void)
{
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	_cleanup_strv_ char **lines = mi ? strv_split(mi, "\n") : NULL;
	int on_root = 0;
	bool root_ok = false;
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		if (strv_len(f) > 4 && !strcmp(f[4], "/")) {
			on_root++;
			root_ok = str_has_suffix(rootdir, f[3]);
		}
	}
	check(on_root == 1 && root_ok, "one mount on / (the root's bind), old root detached");
}

static void full_run(void)
{
	struct spec s;
	struct spec_mount m[20];
	struct rootfs_opts o = {0};
	struct err e = ERR_INIT;
	full_spec(&s, m);
	umask(022);
	if (!check(rootfs_prepare(&s, &o, &e) == 0, "prepare (%s)", e.msg))
		return;
	_cleanup_free_ char *naive = str_printf("%s/host/inside", tmpdir);
	check(access(naive, F_OK) < 0 && errno == ENOENT,
	      "a destination through a symlink did not land outside the root");
	char cwd[PATH_MAX];
	check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, rootdir), "prepare leaves cwd in the root");
	if (!check(rootfs_pivot(&s, &o, &e) == 0, "pivot (%s)", e.msg))
		return;
	if (!check(rootfs_finalize(&s, &e) == 0, "finalize (%s)", e.msg))
		return;
	check(getpid() == 1, "runs as pid 1");
	check_dev_tree();
	check_mounts();
	check_paths();
	check_old_root_gone();
}

/* ---- other runs ---- */

static void expect_prepare_error(struct spec_mount *m, const char *want, bool exact)
{
	struct spec s = {.root_path = rootdir, .mounts = m, .n_mounts = 1};
	s.ns[NS_MNT].enabled = true;
	struct err e = ERR_INIT;
	int r = rootfs_prepare(&s, NULL, &e);
	check(r < 0 && (exact ? !strcmp(e.msg, want) : strstr(e.msg, want) != NULL),
	      "error '%s' (got '%s')", want, e.msg);
}

static void errors_run(void)
{
	struct spec_mount m = mk_mount("berthnosuchfs", "none", "/x", 0, NULL);
	expect_prepare_error(&m, "mounts[0] (berthnosuchfs on /x): mount: No such device", true);
	m = mk_mount(NULL, "/nonexistent-berth", "/m", MS_BIND, NULL);
	m.bind = true;
	expect_prepare_error(&m,
			     "mounts[0] (bind on /m): stat /nonexistent-berth: No such file or "
			     "directory",
			     true);
	/* runc checks binds and "other" types (not tmpfs) against /proc. */
	m = mk_mount("bind", "/tmp", "/proc/foo", MS_BIND, NULL);
	m.bind = true;
	expect_prepare_error(&m, "/proc/foo\" cannot be mounted because it is inside /proc", false);
	m = mk_mount(NULL, "/tmp", "/proc", MS_BIND, NULL);
	m.bind = true;
	expect_prepare_error(&m, "/proc\" cannot be mounted because it is not of type proc", false);
	m = mk_mount("proc", "proc", "/symproc", 0, NULL);
	expect_prepare_error(&m,
			     "mounts[0] (proc on /symproc): filesystem \"proc\" must be "
			     "mounted on ordinary directory",
			     true);
}

static void nopivot_run(void)
{
	struct spec_mount m = mk_mount("proc", "proc", "/proc", 0, NULL);
	struct spec s = {.root_path = rootdir, .mounts = &m, .n_mounts = 1};
	s.ns[NS_MNT].enabled = s.ns[NS_PID].enabled = true;
	struct rootfs_opts o = {.no_pivot = true};
	struct err e = ERR_INIT;
	if (!check(rootfs_prepare(&s, &o, &e) == 0, "prepare (%s)", e.msg) ||
	    !check(rootfs_pivot(&s, &o, &e) == 0, "pivot with no_pivot (%s)", e.msg) ||
	    !check(rootfs_finalize(&s, &e) == 0, "finalize (%s)", e.msg))
		return;
	check_content("/testfile", "Forbidden information!");
	check_fs("/proc", PROC_SUPER_MAGIC, false, "proc");
	char cwd[PATH_MAX];
	check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"), "cwd is /");
}

/* With userns set, devices are bind mounts of the host's nodes (no chown of those!). */
static void userns_dev_run(void)
{
	struct spec_mount m[] = {mk_mount("proc", "proc", "/proc", 0, NULL),
				 mk_mount("tmpfs", "tmpfs", "/dev", MS_NOSUID, "mode=755")};
	struct spec_device d = {
	    .type = 'c', .path = "/dev/full", .major = 1, .minor = 7, .has_uid = true, .uid = 1000};
	struct spec s = {
	    .root_path = rootdir, .mounts = m, .n_mounts = 2, .devices = &d, .n_devices = 1};
	s.ns[NS_MNT].enabled = true;
	struct rootfs_opts o = {.userns = true};
	struct err e = ERR_INIT;
	if (!check(rootfs_prepare(&s, &o, &e) == 0, "prepare (%s)", e.msg) ||
	    !check(rootfs_pivot(&s, &o, &e) == 0, "pivot (%s)", e.msg))
		return;
	check_dev("/dev/null", 1, 3, 0666, 0, 0);
	check_dev("/dev/full", 1, 7, 0666, 0, 0);
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	check(mi && strstr(mi, " /dev/null ") && strstr(mi, " /dev/full "),
	      "device nodes are bind mounts");
}

/* rootfsPropagation rshared: the parent is made private so that pivot_root works. */
static void shared_run(void)
{
	struct spec s = {.root_path = rootdir, .rootfs_propagation = MS_SHARED | MS_REC};
	s.ns[NS_MNT].enabled = true;
	struct err e = ERR_INIT;
	if (!check(rootfs_prepare(&s, NULL, &e) == 0, "prepare (%s)", e.msg))
		return;
	check(rootfs_pivot(&s, NULL, &e) == 0, "pivot under a shared / (%s)", e.msg);
}

/* In a cgroup namespace, v1 hierarchies are fresh cgroup mounts showing the namespace root. */
static void cgroupns_run(void)
{
	unsigned long nosx = MS_NOSUID | MS_NOEXEC | MS_NODEV;
	struct spec_mount m[] = {
	    mk_mount("tmpfs", "tmpfs", "/sys", nosx, NULL),
	    mk_mount("cgroup", "cgroup", "/sys/fs/cgroup", nosx | MS_RDONLY, NULL)};
	struct spec s = {.root_path = rootdir, .mounts = m, .n_mounts = 2};
	s.ns[NS_MNT].enabled = s.ns[NS_CGROUP].enabled = true;
	struct rootfs_opts o = {.new_cgroupns = true};
	struct err e = ERR_INIT;
	if (!check(rootfs_prepare(&s, &o, &e) == 0, "prepare (%s)", e.msg))
		return;
	_cleanup_free_ char *systemd = str_printf("%s/sys/fs/cgroup/systemd", rootdir);
	_cleanup_free_ char *memory = str_printf("%s/sys/fs/cgroup/memory", rootdir);
	if (access("/sys/fs/cgroup/systemd", F_OK) == 0)
		check_fs(systemd, CGROUP_SUPER_MAGIC, true, "name=systemd");
	if (access("/sys/fs/cgroup/memory", F_OK) < 0)
		return;
	check_fs(memory, CGROUP_SUPER_MAGIC, true, "memory");
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	_cleanup_free_ char *want = str_printf(" / %s ", memory);
	check(mi && strstr(mi, want), "the memory hierarchy shows the namespace's root");
}

/* ---- a real user namespace ---- */

static struct spec us_spec;
static struct spec_mount us_mounts[8];
static int *us_fds;

/* Privileged, in the run's mount namespace: a nosuid,nodev,noexec tmpfs (whose flags the user
 * namespace finds locked) and the bind sources opened while we still can reach them. */
static void userns_prepare(void)
{
	static char secret[PATH_MAX], locked[PATH_MAX];
	unsigned long nosx = MS_NOSUID | MS_NOEXEC | MS_NODEV;
	size_t i = 0;
	snprintf(secret, sizeof(secret), "%s/secret/dir", tmpdir);
	snprintf(locked, sizeof(locked), "%s/locked", tmpdir);
	check(mount("tmpfs", locked, "tmpfs", nosx, "size=64k") == 0, "nosuid,nodev,noexec source");
	us_mounts[i++] = mk_mount("proc", "proc", "/proc", nosx, NULL);
	us_mounts[i++] = mk_mount("tmpfs", "tmpfs", "/dev", MS_NOSUID, "mode=755");
	us_mounts[i++] = mk_mount("sysfs", "sysfs", "/sys", nosx | MS_RDONLY, NULL);
	us_mounts[i] = mk_mount(NULL, secret, "/mnt/secret", MS_BIND | MS_RDONLY, NULL);
	us_mounts[i++].bind = true;
	us_mounts[i] = mk_mount(NULL, locked, "/mnt/locked", MS_BIND | MS_RDONLY, NULL);
	us_mounts[i++].bind = true;
	us_spec = (struct spec){
	    .root_path = rootdir, .root_readonly = true, .mounts = us_mounts, .n_mounts = i};
	us_spec.ns[NS_MNT].enabled = us_spec.ns[NS_PID].enabled = true;
	us_spec.ns[NS_USER].enabled = true;
	us_fds = rootfs_open_mount_sources(&us_spec);
	check(us_fds[0] < 0 && us_fds[3] >= 0 && us_fds[4] >= 0, "bind sources opened");
	/* This one goes by path: its flags stay locked and the remount must keep them. */
	close(us_fds[4]);
	us_fds[4] = -1;
}

static void userns_run(void)
{
	struct rootfs_opts o = {.userns = true, .mount_fds = us_fds};
	struct err e = ERR_INIT;
	check(access(us_mounts[3].source, F_OK) < 0 && errno == EACCES,
	      "the container's root can't reach the bind source by path");
	if (!check(rootfs_prepare(&us_spec, &o, &e) == 0, "prepare (%s)", e.msg) ||
	    !check(rootfs_pivot(&us_spec, &o, &e) == 0, "pivot (%s)", e.msg) ||
	    !check(rootfs_finalize(&us_spec, &e) == 0, "finalize (%s)", e.msg))
		return;
	rootfs_close_mount_sources(us_fds, us_spec.n_mounts);
	check_content("/mnt/secret/hello", "hello");
	check_erofs("/mnt/secret/new");
	check_fs("/sys", SYSFS_MAGIC, true, "sysfs refused: the host's /sys bound read-only");
	struct statvfs sv;
	unsigned long want = ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC;
	check(statvfs("/mnt/locked", &sv) == 0 && (sv.f_flag & want) == want,
	      "bind remount kept the locked nosuid,nodev,noexec and added ro");
	check_dev("/dev/null", 1, 3, 0666, 65534, 65534);
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	check(mi && strstr(mi, " /dev/null "), "/dev/null is a bind of the host's");
	check_erofs("/newfile");
}

/* ---- in the parent ---- */

static void test_securejoin(void)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *a = securejoin_resolve(rootdir, "/evil/inside", &e);
	_cleanup_free_ char *wa = str_printf("%s%s/host/inside", rootdir, tmpdir);
	is_str(a, wa, "securejoin: absolute symlink stays inside the root");
	_cleanup_free_ char *b = securejoin_resolve(rootdir, "/evil2/x/../y", &e);
	_cleanup_free_ char *wb = str_printf("%s/y", rootdir);
	is_str(b, wb, "securejoin: relative symlink and .. clamped to the root");
	_cleanup_free_ char *c = securejoin_resolve(rootdir, "../../etc//passwd", &e);
	_cleanup_free_ char *wc = str_printf("%s/etc/passwd", rootdir);
	is_str(c, wc, "securejoin: leading .. clamped");
	_cleanup_free_ char *d = securejoin_resolve(rootdir, "/loop/x", &e);
	ok(!d && e.errnum == ELOOP, "securejoin: symlink loop is ELOOP (%s)", e.msg);
	_cleanup_free_ char *f = securejoin_resolve(rootdir, "/testfile/x", &e);
	_cleanup_free_ char *wf = str_printf("%s/testfile/x", rootdir);
	is_str(f, wf, "securejoin: a file in the middle is taken as is");
	int fd = securejoin_open(rootdir, "/evil2", NULL, &e);
	ok(fd >= 0, "securejoin_open of a symlink resolves it inside (%s)", e.msg);
	if (fd >= 0)
		close(fd);
}

static void expect_validate(struct spec *s, const char *want)
{
	struct err e = ERR_INIT;
	int r = rootfs_validate(s, &e);
	if (!want)
		ok(r == 0, "validate ok (%s)", e.msg);
	else
		ok(r < 0 && strstr(e.msg, want), "validate: '%s' (got '%s')", want, e.msg);
}

static void test_validate(void)
{
	struct spec_sysctl sc = {"net.ipv4.ip_forward", "1"};
	struct spec s = {.root_path = rootdir, .sysctl = &sc, .n_sysctl = 1};
	expect_validate(&s, "linux.sysctl: sysctl \"net.ipv4.ip_forward\" not allowed in host "
			    "network namespace");
	s.ns[NS_NET].enabled = true;
	expect_validate(&s, NULL);
	s.ns[NS_NET].path = "/proc/self/ns/net";
	expect_validate(&s, "not allowed in host network namespace");
	sc = (struct spec_sysctl){"kernel.shmmax", "1"};
	expect_validate(&s, "sysctl \"kernel.shmmax\" is not allowed in the hosts ipc namespace");
	s.ns[NS_IPC].enabled = true;
	expect_validate(&s, NULL);
	sc = (struct spec_sysctl){"kernel.hostname", "x"};
	s.ns[NS_UTS].enabled = true;
	expect_validate(&s, "conflicts with the OCI \"hostname\" field");
	sc = (struct spec_sysctl){"vm.swappiness", "1"};
	expect_validate(&s, "sysctl \"vm.swappiness\" is not in a separate kernel namespace");
	s.n_sysctl = 0;
	_cleanup_free_ char *link = str_printf("%s/rootlink", tmpdir);
	s.root_path = link;
	expect_validate(&s, NULL);
	s.root_path = "/nonexistent-berth-root";
	expect_validate(&s, "invalid rootfs: stat /nonexistent-berth-root: No such file");
	s.root_path = rootdir;
	s.masked_paths = (char *[]){"/x", NULL};
	s.ns[NS_MNT].enabled = false;
	expect_validate(&s, "without a private MNT namespace");
}

static void build_tree(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s/rootfs", tmpdir);
	mkdirs("rootfs/proc");
	mkdirs("rootfs/sys");
	mkdirs("rootfs/etc");
	mkdirs("rootfs/mnt");
	mkdirs("rootfs/testdir");
	mkdirs("rootfs/copy");
	mkdirs("host");
	mkdirs("src");
	mkdirs("rsrc/sub");
	mkdirs("rootfs/mnt/secret");
	mkdirs("rootfs/mnt/locked");
	mkdirs("secret/dir");
	mkdirs("locked");
	mkfile("secret/dir/hello", "hello", 0644);
	/* The user namespace's root must get to the root, not into secret/. */
	_cleanup_free_ char *secret = str_printf("%s/secret", tmpdir);
	if (chmod(tmpdir, 0711) < 0 || chmod(secret, 0700) < 0)
		perror("chmod");
	mkfile("rootfs/testfile", "Forbidden information!", 0644);
	mkfile("rootfs/testdir/inside", "x", 0644);
	mkfile("rootfs/copy/keep", "kept", 0640);
	mkfile("src/hello", "hello", 0644);
	mkfile("srcfile", "file content", 0644);
	_cleanup_free_ char *host = str_printf("%s/host", tmpdir);
	_cleanup_free_ char *evil = str_printf("%s/evil", rootdir);
	_cleanup_free_ char *evil2 = str_printf("%s/evil2", rootdir);
	_cleanup_free_ char *loop = str_printf("%s/loop", rootdir);
	_cleanup_free_ char *symproc = str_printf("%s/symproc", rootdir);
	_cleanup_free_ char *rootlink = str_printf("%s/rootlink", tmpdir);
	if (symlink(host, evil) < 0 || symlink("../../../..", evil2) < 0 ||
	    symlink("loop", loop) < 0 || symlink("/symlink", symproc) < 0 ||
	    symlink(rootdir, rootlink) < 0)
		perror("symlink");
	snprintf(escape_dest, sizeof(escape_dest), "%s/inside", host);
}

/* In the child before the run: a submount in the rro source (in the child's namespace). */
static void full_run_with_submount(void)
{
	_cleanup_free_ char *sub = str_printf("%s/rsrc/sub", tmpdir);
	if (!check(mount("tmpfs", sub, "tmpfs", 0, "size=64k") == 0, "tmpfs under the rro source"))
		return;
	full_run();
}

static bool host_mounts_clean(void)
{
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	return mi && !strstr(mi, tmpdir);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP rootfs tests need root\n");
		return 0;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-rootfs-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	build_tree();
	test_securejoin();
	test_validate();
	static const struct run runs[] = {
	    {"full", CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC, false, NULL,
	     full_run_with_submount},
	    {"errors", 0, false, NULL, errors_run},
	    {"no-pivot", CLONE_NEWPID, false, NULL, nopivot_run},
	    {"devices by bind", CLONE_NEWPID, false, NULL, userns_dev_run},
	    {"rshared root", 0, false, NULL, shared_run},
	    {"cgroup namespace", CLONE_NEWCGROUP, false, NULL, cgroupns_run},
	    {"user namespace", CLONE_NEWPID, true, userns_prepare, userns_run},
	};
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		run_in_ns(&runs[i]);

	ok(host_mounts_clean(), "host mountinfo has nothing of the test");
	struct stat st;
	ok(stat("/dev/null", &st) == 0 && st.st_uid == 0 && st.st_gid == 0 &&
	       (st.st_mode & 07777) == 0666,
	   "host /dev/null unchanged");
	_cleanup_free_ char *naive = str_printf("%s/host/inside", tmpdir);
	ok(access(naive, F_OK) < 0, "nothing was created through the escaping symlink");
	struct err e = ERR_INIT;
	ok(fs_rm_rf(tmpdir, &e) == 0, "temp dir removed (%s)", e.msg);
	return tap_done();
}
