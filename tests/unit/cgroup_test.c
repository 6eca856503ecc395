/* Unit tests for src/runtime/cgroup*: path resolution on v1/v2/hybrid hosts and systemd
 * slices, state JSON, the device rule model; as root, a real container cgroup on this host
 * (limits, members, freezer, stats, kill, destroy) and a v2 one inside the hybrid unified
 * hierarchy (BPF device filter, cgroup.freeze). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/cgroup_priv.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

#define MI_LINE(id, mnt, fs, opts)                                                                 \
	id " 23 0:" id " / " mnt " rw,nosuid,nodev,noexec,relatime shared:9 - " fs " " fs " " opts \
	   "\n"

static const char hybrid_mi[] =
    "22 1 0:20 / /sys rw,nosuid - sysfs sysfs rw\n"
    "31 22 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n" MI_LINE(
	"32", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct")
	MI_LINE("34", "/sys/fs/cgroup/cpuset", "cgroup", "rw,cpuset")
	    MI_LINE("35", "/sys/fs/cgroup/memory", "cgroup", "rw,memory")
		MI_LINE("36", "/sys/fs/cgroup/devices", "cgroup", "rw,devices")
		    MI_LINE("40", "/sys/fs/cgroup/systemd", "cgroup", "rw,xattr,name=systemd")
			MI_LINE("41", "/sys/fs/cgroup/unified", "cgroup2", "rw,nsdelegate");

static const char hybrid_pc[] = "9:name=systemd:/user.slice/session-1.scope\n"
				"4:memory:/user.slice\n"
				"3:cpuset:/\n"
				"2:cpu,cpuacct:/user.slice\n"
				"1:devices:/user.slice\n"
				"0::/user.slice/session-1.scope\n";

static const char v2_mi[] = "22 1 0:20 / /sys rw - sysfs sysfs rw\n" MI_LINE(
    "30", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate,memory_recursiveprot");
static const char v2_pc[] = "0::/user.slice/user-0.slice/session-3.scope\n";

static const char *path_of(struct cgroup *cg, const char *ctl)
{
	const char *p = cg ? cgroup_path(cg, ctl) : NULL;
	return p ? p : "(none)";
}

static void test_resolve_hybrid(void)
{
	struct err e = ERR_INIT;
	struct cgroup *cg = cgroup_new_from(hybrid_mi, hybrid_pc, "/a/b", "id", false, &e);
	ok(cg != NULL, "hybrid: resolves (%s)", e.msg);
	if (!cg)
		return;
	is_int(cgroup_mode(cg), CGROUP_MODE_HYBRID, "hybrid: mode");
	const struct cgroup_hier *h;
	is_int(cgroup_hierarchies(cg, &h), 6, "hybrid: every joined hierarchy incl. unified");
	is_str(path_of(cg, "memory"), "/sys/fs/cgroup/memory/a/b", "absolute: under the root");
	is_str(path_of(cg, "cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/a/b", "co-mounted cpuacct");
	is_str(path_of(cg, "cpu"), path_of(cg, "cpuacct"), "cpu and cpuacct share a directory");
	is_str(path_of(cg, "name=systemd"), "/sys/fs/cgroup/systemd/a/b", "name=systemd joined");
	is_str(path_of(cg, ""), "/sys/fs/cgroup/unified/a/b", "cgroup2 joined on hybrid");
	ok(cgroup_path(cg, "pids") == NULL, "unmounted controller has no path");
	cgroup_free(cg);

	cg = cgroup_new_from(hybrid_mi, hybrid_pc, "x/../../../y", "id", false, &e);
	is_str(path_of(cg, "memory"), "/sys/fs/cgroup/memory/user.slice/y",
	       "relative: under own cgroup, can't climb out");
	is_str(path_of(cg, "cpuset"), "/sys/fs/cgroup/cpuset/y", "relative: per hierarchy");
	is_str(path_of(cg, ""), "/sys/fs/cgroup/unified/user.slice/session-1.scope/y",
	       "relative: unified under own cgroup");
	cgroup_free(cg);

	cg = cgroup_new_from(hybrid_mi, hybrid_pc, NULL, "ctr1", false, &e);
	is_str(path_of(cg, "devices"), "/sys/fs/cgroup/devices/user.slice/ctr1",
	       "no cgroupsPath: <own cgroup>/<id> as runc");
	cgroup_free(cg);
}

static void test_resolve_v2_v1(void)
{
	struct err e = ERR_INIT;
	struct cgroup *cg = cgroup_new_from(v2_mi, v2_pc, "/a/b", "id", false, &e);
	ok(cg && cgroup_mode(cg) == CGROUP_MODE_V2, "v2: mode");
	is_str(path_of(cg, ""), "/sys/fs/cgroup/a/b", "v2: absolute");
	ok(cg && cgroup_path(cg, "memory") == NULL, "v2: no per-controller hierarchies");
	cgroup_free(cg);
	cg = cgroup_new_from(v2_mi, v2_pc, "ct", "id", false, &e);
	is_str(path_of(cg, ""), "/sys/fs/cgroup/user.slice/user-0.slice/ct",
	       "v2: relative goes beside the caller's leaf, as runc");
	cgroup_free(cg);

	/* v1 only: the unified line of /proc/self/cgroup has no mount. */
	const char *v1_mi = MI_LINE("35", "/sys/fs/cgroup/memory", "cgroup", "rw,memory")
	    MI_LINE("36", "/sys/fs/cgroup/devices", "cgroup", "rw,devices");
	cg = cgroup_new_from(v1_mi, "2:memory:/\n1:devices:/\n0::/\n", "/c", "id", false, &e);
	ok(cg && cgroup_mode(cg) == CGROUP_MODE_V1, "v1: mode");
	ok(cg && !cgroup_path(cg, ""), "v1: no unified hierarchy");
	cgroup_free(cg);

	const char *nodev = MI_LINE("35", "/sys/fs/cgroup/memory", "cgroup", "rw,memory");
	cg = cgroup_new_from(nodev, "2:memory:/\n", "/c", "id", false, &e);
	ok(!cg && strstr(e.msg, "mountpoint for devices not found"), "v1 without devices: %s",
	   e.msg);
	cg = cgroup_new_from("", "", "/c", "id", false, &e);
	ok(!cg && strstr(e.msg, "no cgroup mount"), "no cgroup mounts: %s", e.msg);

	/* Nested: the mount's root is the caller's cgroup as seen from the host. */
	const char *nested = "35 23 0:35 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup "
			     "rw,memory\n36 23 0:36 /docker/abc /sys/fs/cgroup/devices rw - "
			     "cgroup cgroup rw,devices\n";
	cg = cgroup_new_from(nested, "2:memory:/docker/abc\n1:devices:/docker/abc\n", "sub", "id",
			     false, &e);
	is_str(path_of(cg, "memory"), "/sys/fs/cgroup/memory/sub", "mount root is stripped");
	cgroup_free(cg);
}

static void systemd_case(const char *in, const char *want, const char *what)
{
	struct err e = ERR_INIT;
	struct cgroup *cg = cgroup_new_from(hybrid_mi, hybrid_pc, in, "ctr", true, &e);
	if (!want) {
		ok(!cg && e.kind == ERR_INVALID, "systemd: %s rejected (%s)", what, e.msg);
		cgroup_free(cg);
		return;
	}
	is_str(path_of(cg, "memory"), want, "systemd: %s", what);
	cgroup_free(cg);
}

static void test_systemd(void)
{
	systemd_case("machine-pod.slice:runc-cgroups:integration-test-7",
		     "/sys/fs/cgroup/memory/machine.slice/machine-pod.slice/"
		     "runc-cgroups-integration-test-7.scope",
		     "slice expansion and scope name");
	systemd_case(NULL, "/sys/fs/cgroup/memory/system.slice/runc-ctr.scope",
		     "default system.slice/runc-<id>.scope");
	systemd_case(":docker:abc", "/sys/fs/cgroup/memory/system.slice/docker-abc.scope",
		     "empty slice means system.slice");
	systemd_case("-.slice:p:n", "/sys/fs/cgroup/memory/p-n.scope", "root slice");
	systemd_case("a-b.slice:p:c.slice", "/sys/fs/cgroup/memory/a.slice/a-b.slice/c.slice",
		     "a slice as name stays a slice");
	systemd_case("/abs/path", NULL, "a plain path");
	systemd_case("a--b.slice:p:n", NULL, "empty slice component");
	systemd_case("a/b.slice:p:n", NULL, "slash in slice");
	systemd_case("user:p:n", NULL, "slice without .slice");
	struct err e = ERR_INIT;
	struct cgroup *cg = cgroup_new_from(hybrid_mi, hybrid_pc, "x:y", "ctr", true, &e);
	is_str(e.msg,
	       "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, "
	       "got \"x:y\" instead",
	       "systemd: runc's message for a bad cgroupsPath");
	cgroup_free(cg);
}

static void test_json(void)
{
	struct err e = ERR_INIT;
	struct cgroup *cg = cgroup_new_from(hybrid_mi, hybrid_pc, "/j/k", "id", false, &e);
	if (!ok(cg != NULL, "json: source cgroup"))
		return;
	strv_push(&cg->created, "/sys/fs/cgroup/memory/j/k");
	json_t *j = cgroup_to_json(cg);
	_cleanup_free_ char *s = jx_dumps(j);
	struct cgroup *back = cgroup_from_json(j, &e);
	ok(back != NULL, "json: reloads (%s)", e.msg);
	json_t *j2 = back ? cgroup_to_json(back) : NULL;
	_cleanup_free_ char *s2 = j2 ? jx_dumps(j2) : NULL;
	is_str(s2, s, "json: round trip is exact");
	ok(back && cgroup_mode(back) == CGROUP_MODE_HYBRID, "json: mode kept");
	is_str(path_of(back, "name=systemd"), "/sys/fs/cgroup/systemd/j/k", "json: paths kept");
	ok(strstr(s, "\"created\":[\"/sys/fs/cgroup/memory/j/k\"]") != NULL,
	   "json: created directories recorded");
	json_decref(j2);
	cgroup_free(back);

	json_object_set_new(j, "mode", json_string("v3"));
	ok(!cgroup_from_json(j, &e) && strstr(e.msg, "cgroup.mode"), "json: bad mode: %s", e.msg);
	json_object_set_new(j, "mode", json_string("v1"));
	json_object_set_new(json_array_get(json_object_get(j, "hierarchies"), 1), "path",
			    json_string("/etc"));
	ok(!cgroup_from_json(j, &e) && strstr(e.msg, "cgroup.hierarchies[1].path"),
	   "json: path outside its hierarchy: %s", e.msg);
	ok(!cgroup_from_json(NULL, &e), "json: missing object");
	json_decref(j);
	cgroup_free(cg);
}

static struct spec_device_rule rule(bool allow, char type, int64_t maj, int64_t min,
				    const char *acc)
{
	struct spec_device_rule r = {.allow = allow, .type = type, .major = maj, .minor = min};
	snprintf(r.access, sizeof(r.access), "%s", acc);
	return r;
}

static char *transition_str(const char *list, const struct spec_device_rule *rules, size_t n)
{
	struct cg_dev_emu cur, target;
	struct err e = ERR_INIT;
	if (cg_dev_emu_from_list(&cur, list, &e) < 0 || cg_dev_emu_build(&target, rules, n, &e) < 0)
		return str_dup(e.msg);
	struct spec_device_rule *out;
	size_t nout;
	cg_dev_emu_transition(&cur, &target, &out, &nout);
	char **v = NULL;
	for (size_t i = 0; i < nout; i++) {
		char buf[64];
		cg_dev_rule_string(&out[i], buf, sizeof(buf));
		strv_push_take(&v, str_printf("%s %s", out[i].allow ? "allow" : "deny", buf));
	}
	char *s = v ? strv_join(v, "; ") : str_dup("");
	strv_free(v);
	free(out);
	cg_dev_emu_release(&cur);
	cg_dev_emu_release(&target);
	return s;
}

static void test_devices_model(void)
{
	struct spec_device_rule r1[] = {rule(false, 'a', -1, -1, "rwm"),
					rule(true, 'c', 1, 3, "rwm"), rule(true, 'c', -1, -1, "m")};
	_cleanup_free_ char *t1 = transition_str("a *:* rwm\n", r1, 3);
	is_str(t1, "deny a *:* rwm; allow c *:* m; allow c 1:3 rwm",
	       "devices: fresh cgroup -> reset then allows (wildcards first)");
	struct spec_device_rule r2[] = {rule(true, 'c', 1, 3, "rwm"), rule(true, 'c', 1, 7, "rw")};
	_cleanup_free_ char *t2 = transition_str("c 1:3 rwm\nc 1:5 rwm\n", r2, 2);
	is_str(t2, "deny c 1:5 rwm; allow c 1:7 rw", "devices: minimal transition, no reset");
	_cleanup_free_ char *t3 = transition_str("c 1:3 rwm\n", r2, 1);
	is_str(t3, "", "devices: same rules -> nothing to write");
	struct spec_device_rule r4[] = {rule(true, 'c', -1, -1, "rwm"),
					rule(false, 'c', 1, 3, "w")};
	_cleanup_free_ char *t4 = transition_str("", r4, 2);
	ok(strstr(t4, "cannot punch a hole") != NULL, "devices: hole in wildcard refused: %s", t4);
	struct spec_device_rule r5[] = {rule(true, 'a', -1, -1, "rwm"),
					rule(false, 'b', 8, -1, "rwm")};
	_cleanup_free_ char *t5 = transition_str("c 1:3 rwm\n", r5, 2);
	is_str(t5, "allow a *:* rwm; deny b 8:* rwm", "devices: switch to allow-by-default");
	struct spec_device_rule r6[] = {rule(true, 'c', 1, 3, "rw"), rule(false, 'c', 1, 3, "w")};
	_cleanup_free_ char *t6 = transition_str("", r6, 2);
	is_str(t6, "allow c 1:3 r", "devices: deny removes access bits");
}

/* A child that runs commands from the parent once it sits in the cgroup. */
struct child {
	pid_t pid;
	int cmd, res;
};

static void child_loop(int cmd, int res)
{
	char c;
	while (read(cmd, &c, 1) == 1) {
		char out[2] = {'k', 'k'};
		if (c == 'm') {
			/* Charge some memory to the cgroup (mmap: no allocator, ASan's
			 * included, stands between us and the kernel's accounting). */
			char *p = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED)
				memset(p, 1, 8 << 20);
		} else if (c == 'b') {
			/* More than the test's limit: the OOM killer ends us here. */
			for (int i = 0; i < 64; i++) {
				char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (p != MAP_FAILED)
					memset(p, 1, 1 << 20);
			}
		} else if (c == 'd') {
			int a = open("/dev/null", O_RDWR | O_CLOEXEC);
			int b = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			out[0] = a >= 0 ? '1' : '0';
			out[1] = b >= 0 ? '1' : '0';
		}
		if (write(res, out, 2) != 2)
			_exit(1);
	}
	_exit(0);
}

static int child_start(struct child *ch)
{
	int a[2], b[2];
	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	ch->pid = fork();
	if (ch->pid == 0) {
		close(a[1]);
		close(b[0]);
		child_loop(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	ch->cmd = a[1];
	ch->res = b[0];
	return ch->pid > 0 ? 0 : -1;
}

/* Sends a command; returns the two reply bytes as a string ("kk", "10" ...). */
static const char *child_ask(struct child *ch, char c)
{
	static char buf[3];
	memset(buf, 0, sizeof(buf));
	if (write(ch->cmd, &c, 1) != 1 || read(ch->res, buf, 2) != 2)
		return "??";
	return buf;
}

static int child_reap(struct child *ch)
{
	int st = 0;
	if (ch->pid <= 0)
		return -1;
	close(ch->cmd);
	close(ch->res);
	while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
		;
	ch->pid = 0;
	return st;
}

static char *read_cg(struct cgroup *cg, const char *ctl, const char *file)
{
	const char *dir = cgroup_path(cg, ctl);
	if (!dir)
		return str_dup("(no hierarchy)");
	char *s = cg_read(dir, file, NULL);
	return s ? s : str_dup("(unreadable)");
}

#define CHECK_FILE(cg, ctl, file, want, ...)                      \
	do {                                                      \
		_cleanup_free_ char *_v = read_cg(cg, ctl, file); \
		is_str(_v, want, __VA_ARGS__);                    \
	} while (0)

static void skip(const char *why)
{
	printf("ok %d # skip %s\n", ++tap_n, why);
}

/* Every hierarchy of cg: the directory is gone. */
static bool all_gone(struct cgroup *cg)
{
	const struct cgroup_hier *h;
	size_t n = cgroup_hierarchies(cg, &h);
	bool gone = true;
	for (size_t i = 0; i < n; i++)
		gone &= access(h[i].path, F_OK) < 0 && errno == ENOENT;
	return gone;
}

/* mkdir (or rmdir) "<mountpoint>/<name>" in every hierarchy of cg. */
static void each_root_dir(struct cgroup *cg, const char *name, bool make)
{
	const struct cgroup_hier *h;
	size_t n = cgroup_hierarchies(cg, &h);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = path_join(h[i].mountpoint, name);
		if (make)
			mkdir(p, 0755);
		else
			rmdir(p);
	}
}

static void live_limits_v1(struct cgroup *cg)
{
	struct err e = ERR_INIT;
	struct spec_device_rule rules[] = {rule(false, 'a', -1, -1, "rwm")};
	struct spec_resources r = {.has_mem_limit = true,
				   .mem_limit = 64 << 20,
				   .has_mem_swap = true,
				   .mem_swap = 128 << 20,
				   .has_mem_reservation = true,
				   .mem_reservation = 32 << 20,
				   .has_cpu_shares = true,
				   .cpu_shares = 512,
				   .has_cpu_quota = true,
				   .cpu_quota = 50000,
				   .has_cpu_period = true,
				   .cpu_period = 100000,
				   .has_pids_limit = true,
				   .pids_limit = 20,
				   .cpu_cpus = "0",
				   .cpu_mems = "0",
				   .devices = rules,
				   .n_devices = 1};
	ok(cgroup_apply(cg, &r, &e) == 0, "v1 apply (%s)", e.msg);
	CHECK_FILE(cg, "memory", "memory.limit_in_bytes", "67108864", "memory limit");
	CHECK_FILE(cg, "memory", "memory.memsw.limit_in_bytes", "134217728", "memory+swap");
	CHECK_FILE(cg, "memory", "memory.soft_limit_in_bytes", "33554432", "reservation");
	CHECK_FILE(cg, "cpu", "cpu.shares", "512", "cpu shares");
	CHECK_FILE(cg, "cpu", "cpu.cfs_quota_us", "50000", "cfs quota");
	CHECK_FILE(cg, "cpu", "cpu.cfs_period_us", "100000", "cfs period");
	CHECK_FILE(cg, "pids", "pids.max", "20", "pids.max");
	CHECK_FILE(cg, "cpuset", "cpuset.cpus", "0", "cpuset.cpus");
	_cleanup_free_ char *dl = read_cg(cg, "devices", "devices.list");
	ok(strstr(dl, "c 1:3 rwm") && strstr(dl, "c 136:* rwm") && !strstr(dl, "a *:*"),
	   "devices.list: deny all + runc's defaults");
}

static void live_update_v1(struct cgroup *cg)
{
	struct err e = ERR_INIT;
	/* update: lower memory below the old swap, then unlimited; pids unlimited; period only */
	struct spec_resources u = {.has_mem_limit = true,
				   .mem_limit = 32 << 20,
				   .has_mem_swap = true,
				   .mem_swap = 48 << 20};
	ok(cgroup_apply(cg, &u, &e) == 0, "update memory+swap down (%s)", e.msg);
	CHECK_FILE(cg, "memory", "memory.memsw.limit_in_bytes", "50331648", "swap lowered");
	u = (struct spec_resources){.has_mem_limit = true,
				    .mem_limit = -1,
				    .has_pids_limit = true,
				    .pids_limit = -1,
				    .has_cpu_period = true,
				    .cpu_period = 200000};
	ok(cgroup_apply(cg, &u, &e) == 0, "update unlimited (%s)", e.msg);
	_cleanup_free_ char *root_lim =
	    cg_read("/sys/fs/cgroup/memory", "memory.limit_in_bytes", NULL);
	CHECK_FILE(cg, "memory", "memory.limit_in_bytes", root_lim, "memory -1 = unlimited");
	CHECK_FILE(cg, "memory", "memory.memsw.limit_in_bytes", root_lim, "swap follows -1");
	CHECK_FILE(cg, "pids", "pids.max", "max", "pids -1 = max");
	CHECK_FILE(cg, "cpu", "cpu.cfs_quota_us", "50000", "quota untouched by a period update");
	CHECK_FILE(cg, "cpu", "cpu.cfs_period_us", "200000", "period updated");

	u = (struct spec_resources){.cpu_cpus = "999"};
	ok(cgroup_apply(cg, &u, &e) < 0 && strstr(e.msg, "write 999 to ") &&
	       strstr(e.msg, "/cpuset.cpus: "),
	   "error names file and value: %s", e.msg);
	json_t *uni = json_pack("{s:s}", "memory.min", "1");
	u = (struct spec_resources){.unified = uni};
	ok(cgroup_apply(cg, &u, &e) < 0 && strstr(e.msg, "invalid configuration"),
	   "unified on v1 refused: %s", e.msg);
	json_decref(uni);
}

static void live_limits_v2(struct cgroup *cg)
{
	struct err e = ERR_INIT;
	struct spec_resources r = {.has_mem_limit = true,
				   .mem_limit = 64 << 20,
				   .has_cpu_shares = true,
				   .cpu_shares = 100,
				   .has_cpu_quota = true,
				   .cpu_quota = 50000,
				   .has_pids_limit = true,
				   .pids_limit = 20};
	ok(cgroup_apply(cg, &r, &e) == 0, "v2 apply (%s)", e.msg);
	CHECK_FILE(cg, "", "memory.max", "67108864", "memory.max");
	CHECK_FILE(cg, "", "cpu.weight", "4", "cpu.weight from shares 100");
	CHECK_FILE(cg, "", "cpu.max", "50000 100000", "cpu.max");
	CHECK_FILE(cg, "", "pids.max", "20", "pids.max");
}

static void live_members(struct cgroup *cg, struct child *ch, bool v1)
{
	struct err e = ERR_INIT;
	ok(cgroup_enter(cg, ch->pid, &e) == 0, "enter child (%s)", e.msg);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)ch->pid);
	_cleanup_free_ char *pc = fs_read_file(p, NULL, NULL);
	_cleanup_strv_ char **lines = pc ? strv_split(pc, "\n") : NULL;
	size_t in = 0;
	for (char **l = lines; l && *l; l++)
		in += strstr(*l, "/berth-unit-") != NULL;
	const struct cgroup_hier *h;
	is_int(in, cgroup_hierarchies(cg, &h), "child is in every hierarchy, unified too");
	is_str(child_ask(ch, 'm'), "kk", "child charged memory");
	if (v1)
		is_str(child_ask(ch, 'd'), "10", "devices: /dev/null allowed, /dev/kmsg denied");
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	ok(cgroup_pids(cg, &pids, &n, &e) == 0 && n == 1 && pids[0] == ch->pid,
	   "cgroup_pids lists the child");
	ok(cgroup_freeze(cg, true, &e) == 0, "freeze (%s)", e.msg);
	is_int(cgroup_is_frozen(cg, &e), 1, "frozen");
	ok(cgroup_freeze(cg, false, &e) == 0, "thaw (%s)", e.msg);
	is_int(cgroup_is_frozen(cg, &e), 0, "thawed");
	is_str(child_ask(ch, 'x'), "kk", "child runs again after thaw");
}

/* runc exec --cgroup: argument checks, then a real move into a sub-cgroup. */
static void live_exec(struct cgroup *cg, struct child *ch, bool v1)
{
	struct err e = ERR_INIT;
	char *bad1[] = {"a:b:c", NULL}, *bad2[] = {"memory:../ctx", NULL};
	char *bad3[] = {"nosuch:x", NULL}, *bad4[] = {"x", "y", NULL};
	ok(cgroup_enter_exec(cg, ch->pid, 0, bad1, &e) < 0 &&
	       !strcmp(e.msg, "invalid --cgroup argument: a:b:c"),
	   "exec --cgroup: two colons: %s", e.msg);
	ok(cgroup_enter_exec(cg, ch->pid, 0, bad2, &e) < 0 && strstr(e.msg, "not a sub cgroup"),
	   "exec --cgroup: escaping path: %s", e.msg);
	if (v1)
		ok(cgroup_enter_exec(cg, ch->pid, 0, bad3, &e) < 0 &&
		       strstr(e.msg, "unknown controller nosuch"),
		   "exec --cgroup: unknown controller: %s", e.msg);
	ok(cgroup_enter_exec(cg, ch->pid, 0, bad4, &e) < 0 && strstr(e.msg, "missing <controller>"),
	   "exec --cgroup: several without prefix: %s", e.msg);
	const char *ctl = v1 ? "devices" : "";
	_cleanup_free_ char *sub = path_join(cgroup_path(cg, ctl), "sub");
	ok(mkdir(sub, 0755) == 0, "make a sub-cgroup");
	char *arg[] = {v1 ? "devices:sub" : "sub", NULL};
	ok(cgroup_enter_exec(cg, ch->pid, 0, arg, &e) == 0, "exec --cgroup %s (%s)", arg[0], e.msg);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)ch->pid);
	_cleanup_free_ char *pc = fs_read_file(p, NULL, NULL);
	ok(pc && strstr(pc, "/pod/ct/sub\n"), "child moved into the sub-cgroup");
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	ok(cgroup_pids(cg, &pids, &n, &e) == 0 && n == 1 && pids[0] == ch->pid,
	   "cgroup_pids looks into sub-cgroups");
}

static void live_stats(struct cgroup *cg)
{
	struct err e = ERR_INIT;
	json_t *s = cgroup_stats(cg, &e);
	ok(s != NULL, "stats (%s)", e.msg);
	json_t *mu = json_object_get(json_object_get(s, "memory"), "usage");
	ok(json_integer_value(json_object_get(mu, "usage")) > 0, "memory usage > 0");
	ok(json_object_get(mu, "limit") && json_object_get(mu, "failcnt"),
	   "memory.usage has limit and failcnt");
	is_int(json_integer_value(json_object_get(json_object_get(s, "pids"), "current")), 1,
	       "pids current 1");
	json_t *cpu = json_object_get(s, "cpu");
	ok(json_object_get(json_object_get(cpu, "usage"), "kernel") &&
	       json_is_object(json_object_get(cpu, "throttling")) &&
	       json_is_object(json_object_get(s, "hugetlb")) &&
	       json_is_object(json_object_get(s, "blkio")),
	   "runc's stats shape");
	json_decref(s);
	uint64_t oom = 99;
	ok(cgroup_oom_count(cg, &oom, &e) == 0 && oom == 0, "no OOM kills (%s)", e.msg);
	int fd = cgroup_oom_fd(cg, &e);
	ok(fd >= 0, "OOM event fd (%s)", e.msg);
	if (fd >= 0)
		close(fd);
}

static void test_live_host(void)
{
	struct err e = ERR_INIT;
	if (geteuid() != 0) {
		skip("cgroup: live host test needs root");
		return;
	}
	char base[64], path[96];
	snprintf(base, sizeof(base), "berth-unit-%d", (int)getpid());
	snprintf(path, sizeof(path), "/%s/pod/ct", base);
	struct cgroup *cg = cgroup_new(path, "ct", false, &e);
	if (!cg) {
		skip(e.msg);
		return;
	}
	bool v1 = cgroup_mode(cg) != CGROUP_MODE_V2;
	/* A parent that exists before: destroy must leave it. */
	each_root_dir(cg, base, true);
	ok(cgroup_create(cg, &e) == 0, "create %s (%s)", path, e.msg);
	_cleanup_free_ char *cpus = v1 ? read_cg(cg, "cpuset", "cpuset.cpus") : str_dup("x");
	ok(*cpus && strcmp(cpus, "(unreadable)"), "new cpuset got the parent's cpus");
	if (v1) {
		live_limits_v1(cg);
		live_update_v1(cg);
	} else
		live_limits_v2(cg);
	struct child ch = {0};
	if (ok(child_start(&ch) == 0, "start child")) {
		live_members(cg, &ch, v1);
		live_exec(cg, &ch, v1);
		live_stats(cg);
		ok(cgroup_kill_all(cg, SIGKILL, &e) == 0, "kill_all (%s)", e.msg);
		int st = child_reap(&ch);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child killed by SIGKILL");
	}
	ok(cgroup_destroy(cg, &e) == 0, "destroy (%s)", e.msg);
	ok(all_gone(cg), "container cgroup gone from every hierarchy");
	const struct cgroup_hier *h;
	size_t n = cgroup_hierarchies(cg, &h);
	bool kept = true, pod_gone = true;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *b = path_join(h[i].mountpoint, base);
		_cleanup_free_ char *pod = path_join(b, "pod");
		kept &= fs_is_dir(b) == 1;
		pod_gone &= access(pod, F_OK) < 0;
	}
	ok(pod_gone, "parent berth created is removed");
	ok(kept, "pre-existing parent is kept");
	each_root_dir(cg, base, false);
	ok(cgroup_destroy(cg, &e) == 0, "destroy again: missing dirs are fine (%s)", e.msg);
	cgroup_free(cg);
}

/* The cgroup2 mount of this host (hybrid: .../unified), or NULL. */
static char *v2_mountpoint(void)
{
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	_cleanup_strv_ char **lines = mi ? strv_split(mi, "\n") : NULL;
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		for (size_t i = 6; i + 1 < strv_len(f); i++)
			if (!strcmp(f[i], "-") && !strcmp(f[i + 1], "cgroup2"))
				return str_dup(f[4]);
	}
	return NULL;
}

static void live_v2_devices(struct cgroup *cg, struct child *ch)
{
	struct err e = ERR_INIT;
	struct spec_device_rule deny[] = {rule(false, 'a', -1, -1, "rwm")};
	json_t *uni = json_pack("{s:s}", "cgroup.max.descendants", "5");
	struct spec_resources r = {.devices = deny, .n_devices = 1, .unified = uni};
	ok(cgroup_apply(cg, &r, &e) == 0, "v2: BPF device filter + unified map (%s)", e.msg);
	json_decref(uni);
	CHECK_FILE(cg, "", "cgroup.max.descendants", "5", "v2: unified value written verbatim");
	is_str(child_ask(ch, 'd'), "10", "v2 BPF: /dev/null allowed, /dev/kmsg denied");
	struct spec_device_rule more[] = {rule(false, 'a', -1, -1, "rwm"),
					  rule(true, 'c', 1, 11, "r")};
	r = (struct spec_resources){.devices = more, .n_devices = 2};
	ok(cgroup_apply(cg, &r, &e) == 0, "v2: replace the device filter (%s)", e.msg);
	is_str(child_ask(ch, 'd'), "11", "v2 BPF: new program replaced the old one");
	uni = json_pack("{s:s}", "nosuch.knob", "1");
	r = (struct spec_resources){.unified = uni};
	ok(cgroup_apply(cg, &r, &e) < 0 && strstr(e.msg, "controller \"nosuch\" not available"),
	   "v2: unknown unified key: %s", e.msg);
	json_decref(uni);
	uni = json_pack("{s:s}", "../x", "1");
	r = (struct spec_resources){.unified = uni};
	ok(cgroup_apply(cg, &r, &e) < 0 && strstr(e.msg, "must be a file name"),
	   "v2: unified key with a slash: %s", e.msg);
	json_decref(uni);
}

static void live_v2_run(struct cgroup *cg)
{
	struct err e = ERR_INIT;
	struct child ch = {0};
	if (!ok(child_start(&ch) == 0, "v2: start child"))
		return;
	ok(cgroup_enter(cg, ch.pid, &e) == 0, "v2: enter (%s)", e.msg);
	live_v2_devices(cg, &ch);
	ok(cgroup_freeze(cg, true, &e) == 0, "v2: freeze (%s)", e.msg);
	is_int(cgroup_is_frozen(cg, &e), 1, "v2: frozen");
	CHECK_FILE(cg, "", "cgroup.freeze", "1", "v2: cgroup.freeze is 1");
	ok(cgroup_freeze(cg, false, &e) == 0, "v2: thaw (%s)", e.msg);
	is_int(cgroup_is_frozen(cg, &e), 0, "v2: thawed");
	json_t *s = cgroup_stats(cg, &e);
	is_int(json_integer_value(json_object_get(json_object_get(s, "pids"), "current")), 1,
	       "v2 stats: pids current from cgroup.procs");
	json_decref(s);
	ok(cgroup_kill_all(cg, SIGKILL, &e) == 0, "v2: kill_all (%s)", e.msg);
	int st = child_reap(&ch);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "v2: child killed");
}

/* A v2 container cgroup below a test directory posing as the cgroup2 root: on a hybrid
 * host this covers the BPF device filter and cgroup.freeze without touching the real
 * root's cgroup.subtree_control. */
static void test_live_unified(void)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *mnt = geteuid() == 0 ? v2_mountpoint() : NULL;
	if (!mnt) {
		skip("cgroup: v2 test needs root and a cgroup2 mount");
		return;
	}
	char name[64];
	snprintf(name, sizeof(name), "berth-unit-%d-v2", (int)getpid());
	_cleanup_free_ char *root = path_join(mnt, name);
	if (mkdir(root, 0755) < 0) {
		skip("cgroup: can't create a test cgroup in the cgroup2 hierarchy");
		return;
	}
	_cleanup_free_ char *mi = str_printf("30 23 0:30 / %s rw - cgroup2 cgroup2 rw\n", root);
	struct cgroup *cg = cgroup_new_from(mi, "0::/\n", "/ct", "ct", false, &e);
	ok(cg && cgroup_mode(cg) == CGROUP_MODE_V2, "v2: posing root resolves (%s)", e.msg);
	if (cg && ok(cgroup_create(cg, &e) == 0, "v2: create (%s)", e.msg)) {
		live_v2_run(cg);
		ok(cgroup_destroy(cg, &e) == 0, "v2: destroy (%s)", e.msg);
		ok(all_gone(cg), "v2: container cgroup gone");
	}
	ok(fs_is_dir(root) == 1, "v2: pre-existing root kept");
	ok(rmdir(root) == 0, "v2: test root removed");
	cgroup_free(cg);
}

/* An OOM kill inside a small memory limit shows up in the count and on the event fd. */
static void test_live_oom(void)
{
	struct err e = ERR_INIT;
	char path[64];
	snprintf(path, sizeof(path), "/berth-unit-%d-oom", (int)getpid());
	struct cgroup *cg = geteuid() == 0 ? cgroup_new(path, "oom", false, &e) : NULL;
	if (!cg || !cgroup_path(cg, cgroup_mode(cg) == CGROUP_MODE_V2 ? "" : "memory")) {
		skip("cgroup: OOM test needs root and a memory controller");
		cgroup_free(cg);
		return;
	}
	struct spec_resources r = {.has_mem_limit = true,
				   .mem_limit = 16 << 20,
				   .has_mem_swap = true,
				   .mem_swap = 16 << 20};
	struct child ch = {0};
	int fd = -1;
	if (ok(cgroup_create(cg, &e) == 0 && cgroup_apply(cg, &r, &e) == 0, "oom: setup (%s)",
	       e.msg) &&
	    ok(child_start(&ch) == 0 && cgroup_enter(cg, ch.pid, &e) == 0, "oom: child in (%s)",
	       e.msg)) {
		fd = cgroup_oom_fd(cg, &e);
		ok(fd >= 0, "oom: event fd (%s)", e.msg);
		char c = 'b';
		if (write(ch.cmd, &c, 1) != 1)
			ok(0, "oom: command sent");
		int st = child_reap(&ch);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "oom: child OOM-killed");
		struct pollfd pfd = {fd, POLLIN, 0};
		ok(fd >= 0 && poll(&pfd, 1, 5000) == 1, "oom: event fd readable");
		uint64_t n = 0;
		int rc = cgroup_oom_count(cg, &n, &e);
		ok(rc == 0 && n >= 1, "oom: counted %llu (%s)", (unsigned long long)n, e.msg);
	}
	if (ch.pid > 0) {
		kill(ch.pid, SIGKILL);
		child_reap(&ch);
	}
	if (fd >= 0)
		close(fd);
	ok(cgroup_destroy(cg, &e) == 0 && all_gone(cg), "oom: destroyed (%s)", e.msg);
	cgroup_free(cg);
}

int main(void)
{
	test_resolve_hybrid();
	test_resolve_v2_v1();
	test_systemd();
	test_json();
	test_devices_model();
	test_live_host();
	test_live_unified();
	test_live_oom();
	return tap_done();
}
