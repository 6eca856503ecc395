/* Unit tests for src/runtime/spec*.c: the OCI config parser, its name tables, mount
 * options, the default `spec` output, and that each bad input names its field. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/spec.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define CAP(n) (UINT64_C(1) << (n))

static char bundle[] = "/tmp/berth-spec-test.XXXXXX";
static char datadir[PATH_MAX + 32];

/* Test data sits next to this file; find it from the binary (build/tests/unit/x, or another O=). */
static void find_datadir(void)
{
	char exe[PATH_MAX] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
	}
	snprintf(datadir, sizeof(datadir), "%s/tests/unit/data/spec", exe);
	if (!fs_is_dir(datadir))
		snprintf(datadir, sizeof(datadir), "tests/unit/data/spec");
}

static char *read_data(const char *name)
{
	_cleanup_free_ char *p = str_printf("%s/%s", datadir, name);
	struct err e = ERR_INIT;
	char *s = fs_read_file(p, NULL, &e);
	if (!s)
		printf("# %s\n", e.msg);
	return s;
}

static bool cgroup2(void)
{
	struct statfs st;
	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == 0x63677270;
}

/* Replaces the first occurrence of from in *s with to. */
static void replace(char **s, const char *from, const char *to)
{
	char *at = strstr(*s, from);
	if (!at)
		return;
	char *r = str_printf("%.*s%s%s", (int)(at - *s), *s, to, at + strlen(from));
	free(*s);
	*s = r;
}

/* Sets (or with value NULL removes) the member at a dotted path like "mounts[2].options";
 * index "+" appends to the array. Missing objects on the way are created. */
static void set_path(json_t *j, const char *path, json_t *value)
{
	_cleanup_strv_ char **parts = strv_split(path, ".");
	json_t *cur = j;
	for (size_t i = 0; parts[i]; i++) {
		char *br = strchr(parts[i], '[');
		bool append = br && br[1] == '+';
		size_t idx = br ? strtoul(br + 1, NULL, 10) : 0;
		if (br)
			*br = '\0';
		json_t *next = json_object_get(cur, parts[i]);
		if (!parts[i + 1] && !br) {
			if (value)
				json_object_set(cur, parts[i], value);
			else
				json_object_del(cur, parts[i]);
			return;
		}
		if (!next) {
			next = br ? json_array() : json_object();
			json_object_set_new(cur, parts[i], next);
		}
		if (!parts[i + 1]) {
			if (!value)
				json_array_remove(next, idx);
			else if (append)
				json_array_append(next, value);
			else
				json_array_set(next, idx, value);
			return;
		}
		cur = br ? json_array_get(next, idx) : next;
	}
}

static void test_names(void)
{
	is_int(spec_cap_from_name("CAP_CHOWN"), 0, "CAP_CHOWN is 0");
	is_int(spec_cap_from_name("CAP_SYS_ADMIN"), 21, "CAP_SYS_ADMIN is 21");
	is_int(spec_cap_from_name("CAP_PERFMON"), 38, "CAP_PERFMON is 38");
	is_int(spec_cap_from_name("CAP_BPF"), 39, "CAP_BPF is 39");
	is_int(spec_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40, "CAP_CHECKPOINT_RESTORE is 40");
	is_int(spec_cap_from_name("cap_chown"), -1, "names are case-sensitive, as in runc");
	is_int(spec_cap_from_name("CAP_FOO"), -1, "unknown capability");
	is_int(spec_cap_from_name(NULL), -1, "NULL name");
	int roundtrip = 1;
	for (int c = 0; c <= 40; c++)
		roundtrip &= spec_cap_name(c) && spec_cap_from_name(spec_cap_name(c)) == c;
	ok(roundtrip, "every capability 0..40 round-trips through its name");
	ok(spec_cap_name(41) == NULL && spec_cap_name(-1) == NULL, "no name beyond the table");
	int kernel_last = -1;
	_cleanup_free_ char *s = fs_read_file("/proc/sys/kernel/cap_last_cap", NULL, NULL);
	if (s)
		kernel_last = atoi(s);
	is_int(spec_cap_last(), kernel_last < 0 || kernel_last > 40 ? 40 : kernel_last,
	       "spec_cap_last follows the kernel, capped at the table");

	static const char *const ns[] = {"pid",	  "network", "ipc",    "uts",
					 "mount", "user",    "cgroup", "time"};
	static const int flags[] = {CLONE_NEWPID, CLONE_NEWNET,	 CLONE_NEWIPC,	  CLONE_NEWUTS,
				    CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME};
	for (int t = 0; t < NS_COUNT; t++) {
		is_str(spec_ns_name((enum ns_type)t), ns[t], "namespace %d is named %s", t, ns[t]);
		is_int(spec_ns_clone_flag((enum ns_type)t), flags[t], "clone flag of %s", ns[t]);
		is_int(spec_ns_from_name(ns[t]), t, "%s by name", ns[t]);
	}
	is_int(spec_ns_from_name("net"), -1, "\"net\" is not an OCI namespace name");
	is_int(spec_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE, "RLIMIT_NOFILE");
	is_int(spec_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME, "RLIMIT_RTTIME");
	is_int(spec_rlimit_from_name("NOFILE"), -1, "rlimit names need the prefix");
	is_str(spec_rlimit_name(RLIMIT_CORE), "RLIMIT_CORE", "rlimit name");
	unsigned long p = 0;
	ok(spec_propagation_from_name("rslave", &p) == 0 && p == (MS_SLAVE | MS_REC), "rslave");
	ok(spec_propagation_from_name("bogus", &p) < 0, "unknown propagation");
}

static void check_options(const char *opts, unsigned long flags, unsigned long clear,
			  unsigned long prop, const char *data, const char *what)
{
	struct err e = ERR_INIT;
	struct spec_mount m = {0};
	_cleanup_strv_ char **v = strv_split(opts, " ");
	ok(spec_mount_options(&m, v, &e) == 0, "%s: parses", what);
	ok(m.flags == flags, "%s: flags %#lx (want %#lx)", what, m.flags, flags);
	ok(m.clear == clear, "%s: clear %#lx (want %#lx)", what, m.clear, clear);
	ok(m.propagation == prop, "%s: propagation %#lx (want %#lx)", what, m.propagation, prop);
	is_str(m.data, data, "%s: data", what);
	free(m.data);
}

static void test_mount_options(void)
{
	check_options("ro nosuid nodev noexec", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 0,
		      NULL, "ro nosuid nodev noexec");
	check_options("ro rw suid dev exec async", 0,
		      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS, 0, NULL,
		      "clearing options");
	check_options("sync dirsync remount mand",
		      MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK, 0, 0, NULL,
		      "sync dirsync remount mand");
	check_options("nomand atime diratime norelatime nostrictatime", 0,
		      MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME, 0,
		      NULL, "clearing time options");
	check_options("noatime nodiratime relatime strictatime",
		      MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME, 0, 0, NULL,
		      "time options");
	check_options("nosuid mode=755 size=65536k strictatime", MS_NOSUID | MS_STRICTATIME, 0, 0,
		      "mode=755,size=65536k", "unknown options go to data, joined with ','");
	check_options("rbind rprivate", MS_BIND | MS_REC, 0, MS_PRIVATE | MS_REC, NULL, "rbind");
	static const struct {
		const char *name;
		unsigned long flags;
	} props[] = {
	    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
	    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	for (size_t i = 0; i < ARRAY_SIZE(props); i++)
		check_options(props[i].name, 0, 0, props[i].flags, NULL, props[i].name);
	check_options("shared rslave", 0, 0, MS_SLAVE | MS_REC, NULL, "the last propagation wins");

	struct err e = ERR_INIT;
	struct spec_mount m = {0};
	char *bind[] = {"bind", "rro", "tmpcopyup", "rnosuid", "rrelatime", NULL};
	ok(spec_mount_options(&m, bind, &e) == 0, "bind rro tmpcopyup parses");
	ok(m.bind && !m.rbind && m.recursive_ro && m.tmpcopyup, "bind, rro, tmpcopyup noted");
	ok(m.flags == MS_BIND, "rro is not MS_RDONLY");
	ok(m.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_RELATIME),
	   "recursive attributes to set");
	ok(m.attr_clr == MOUNT_ATTR__ATIME, "an atime attribute clears the atime field");
	ok(m.data == NULL, "tmpcopyup is not filesystem data");
	char *rbind[] = {"rbind", "ro", NULL};
	ok(spec_mount_options(&m, rbind, &e) == 0 && m.bind && m.rbind && !m.recursive_ro &&
	       !m.tmpcopyup && m.flags == (MS_BIND | MS_REC | MS_RDONLY),
	   "a second call starts afresh");
	char *data[] = {"uid=5", "defaults", "gid=6", NULL};
	ok(spec_mount_options(&m, data, &e) == 0 && str_eq(m.data, "uid=5,gid=6") && !m.flags,
	   "defaults is a no-op, data replaced");
	free(m.data);
}

static json_t *default_copy(void)
{
	_cleanup_json_ json_t *d = spec_default_json(false);
	return json_deep_copy(d);
}

static void test_default_json(void)
{
	_cleanup_free_ char *want = read_data("default.json");
	_cleanup_free_ char *want_rl = read_data("default-rootless.json");
	if (!want || !want_rl) {
		ok(0, "test data readable from %s", datadir);
		return;
	}
	if (cgroup2()) {
		const char *mnt = "\"type\": \"mount\"\n\t\t\t}";
		const char *cg =
		    "\"type\": \"mount\"\n\t\t\t},\n\t\t\t{\n\t\t\t\t\"type\": \"cgroup\"\n"
		    "\t\t\t}";
		replace(&want, mnt, cg);
		replace(&want_rl, mnt, cg);
	}
	_cleanup_free_ char *uid = str_printf("\"hostID\": %u,", (unsigned)geteuid());
	_cleanup_free_ char *gid = str_printf("\"hostID\": %u,", (unsigned)getegid());
	replace(&want_rl, "\"hostID\": 0,", uid);
	char *second = strstr(want_rl, "gidMappings");
	if (second && strstr(second, "\"hostID\": 0,")) {
		*second = '\0';
		char *tail = str_dup(second + 1);
		replace(&tail, "\"hostID\": 0,", gid);
		char *joined = str_printf("%sg%s", want_rl, tail);
		free(tail);
		free(want_rl);
		want_rl = joined;
	}

	_cleanup_json_ json_t *d = spec_default_json(false);
	_cleanup_free_ char *got = spec_json_dumps(d);
	is_str(got, want, "spec output matches runc 1.1.5's `runc spec` byte for byte");
	_cleanup_json_ json_t *r = spec_default_json(true);
	_cleanup_free_ char *got_rl = spec_json_dumps(r);
	is_str(got_rl, want_rl, "rootless spec output matches `runc spec --rootless`");
}

static void test_default_roundtrip(void)
{
	struct err e = ERR_INIT;
	_cleanup_spec_ struct spec *s = spec_from_json(default_copy(), bundle, &e);
	if (!ok(s != NULL, "default spec parses"))
		printf("# %s\n", e.msg);
	if (!s)
		return;
	_cleanup_free_ char *root = str_printf("%s/rootfs", bundle);
	is_str(s->oci_version, "1.0.2-dev", "ociVersion");
	is_str(s->root_path, root, "root made absolute against the bundle");
	ok(s->root_readonly, "root read-only");
	is_str(s->hostname, "runc", "hostname");
	ok(s->has_process && s->process.terminal, "terminal");
	is_str(s->process.args[0], "sh", "args");
	ok(s->process.args[1] == NULL, "one argument");
	is_int(strv_len(s->process.env), 2, "env");
	is_str(s->process.cwd, "/", "cwd");
	uint64_t caps = CAP(29) | CAP(5) | CAP(10);
	ok(s->process.caps.set && s->process.caps.bounding == caps &&
	       s->process.caps.effective == caps && s->process.caps.permitted == caps &&
	       s->process.caps.ambient == caps && s->process.caps.inheritable == 0,
	   "capabilities as bitmasks");
	ok(s->process.n_rlimits == 1 && s->process.rlimits[0].resource == RLIMIT_NOFILE &&
	       s->process.rlimits[0].soft == 1024 && s->process.rlimits[0].hard == 1024,
	   "rlimits");
	ok(s->process.no_new_privileges, "noNewPrivileges");
	is_int(s->n_mounts, 7, "seven mounts");
	is_str(s->mounts[1].destination, "/dev", "mount destination");
	ok(s->mounts[1].flags == (MS_NOSUID | MS_STRICTATIME), "/dev flags");
	is_str(s->mounts[1].data, "mode=755,size=65536k", "/dev data");
	is_str(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5", "/dev/pts data");
	ok(s->mounts[6].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY),
	   "/sys/fs/cgroup flags");
	is_str(s->mounts[0].source, "proc", "non-bind source stays a name");
	ok(s->mounts[0].options == NULL, "no options");
	for (int t = 0; t <= NS_MNT; t++)
		ok(s->ns[t].enabled && !s->ns[t].path, "%s namespace",
		   spec_ns_name((enum ns_type)t));
	ok(!s->ns[NS_USER].enabled, "no user namespace");
	is_int(s->ns[NS_CGROUP].enabled, cgroup2(), "cgroup namespace only on cgroup v2");
	ok(s->has_resources && s->resources.n_devices == 1 && !s->resources.devices[0].allow &&
	       s->resources.devices[0].type == 'a' && s->resources.devices[0].major == -1 &&
	       s->resources.devices[0].minor == -1 &&
	       !strcmp(s->resources.devices[0].access, "rwm"),
	   "deny-all device rule with wildcards");
	is_int(strv_len(s->masked_paths), 10, "masked paths");
	is_int(strv_len(s->readonly_paths), 5, "readonly paths");
	ok(s->rootfs_propagation == 0 && !s->seccomp && !s->annotations, "unset fields stay unset");

	_cleanup_spec_ struct spec *rl = spec_from_json(spec_default_json(true), bundle, &e);
	if (!ok(rl != NULL, "rootless default spec parses"))
		printf("# %s\n", e.msg);
	if (rl) {
		ok(rl->ns[NS_USER].enabled && !rl->ns[NS_NET].enabled, "rootless namespaces");
		ok(rl->n_uid_mappings == 1 && rl->uid_mappings[0].host_id == geteuid() &&
		       rl->uid_mappings[0].size == 1,
		   "rootless uid mapping");
		ok(rl->mounts[5].rbind && str_eq(rl->mounts[5].source, "/sys"),
		   "rootless /sys rbind");
		ok(!rl->has_resources, "rootless has no resources");
	}
}

static struct spec *load_full(struct err *e)
{
	_cleanup_free_ char *text = read_data("full.json");
	_cleanup_free_ char *path = str_printf("%s/config.json", bundle);
	if (!text || fs_write_atomic(path, text, strlen(text), 0644, e) < 0)
		return NULL;
	return spec_load(bundle, e);
}

static void check_full_process(const struct spec_process *p)
{
	ok(p->terminal && p->console_height == 25 && p->console_width == 80, "console");
	ok(p->user.uid == 1000 && p->user.gid == 100, "uid/gid");
	ok(p->user.has_umask && p->user.umask == 022, "umask");
	ok(p->user.n_additional_gids == 2 && p->user.additional_gids[0] == 5 &&
	       p->user.additional_gids[1] == 6,
	   "additionalGids");
	is_str(p->user.username, "alice", "username");
	is_int(strv_len(p->args), 3, "args");
	is_str(p->env[1], "A=b=c", "env keeps '=' in values");
	is_str(p->cwd, "/work", "cwd");
	ok(p->caps.bounding == (CAP(0) | CAP(21)), "bounding");
	ok(p->caps.effective == CAP(5), "effective");
	ok(p->caps.inheritable == CAP(13), "inheritable");
	uint64_t perm = CAP(0) | (spec_cap_last() >= 40 ? CAP(40) : 0);
	ok(p->caps.permitted == perm,
	   "permitted (CAP_CHECKPOINT_RESTORE only if the kernel has it)");
	ok(p->caps.ambient == CAP(7), "ambient");
	ok(p->n_rlimits == 2 && p->rlimits[1].resource == RLIMIT_CORE &&
	       p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096 &&
	       p->rlimits[1].hard == INT64_MAX,
	   "rlimits");
	ok(p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == -500,
	   "noNewPrivileges, oomScoreAdj");
	is_str(p->apparmor_profile, "berth-default", "apparmorProfile");
	is_str(p->selinux_label, "system_u:system_r:container_t:s0", "selinuxLabel");
}

static void check_full_mounts(const struct spec *s)
{
	is_int(s->n_mounts, 4, "mounts");
	const struct spec_mount *m = &s->mounts[1];
	_cleanup_free_ char *data = str_printf("%s/data", bundle);
	is_str(m->source, data, "relative bind source resolved against the bundle");
	is_str(m->type, "bind", "type kept");
	ok(m->bind && m->rbind && m->recursive_ro, "rbind + rro");
	ok(m->flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID), "rbind flags");
	ok(m->propagation == (MS_SLAVE | MS_REC), "rslave propagation");
	is_int(strv_len(m->options), 5, "raw options kept");
	m = &s->mounts[2];
	ok(m->tmpcopyup && !m->bind, "tmpcopyup");
	is_str(m->data, "mode=1777,size=64m", "tmpfs data");
	is_str(m->options[5], "tmpcopyup", "tmpcopyup kept in options");
	m = &s->mounts[3];
	ok(m->type == NULL && str_eq(m->source, "/srv"), "mount without type");
	/* Each later option of a set/clear pair overrides the earlier one. */
	ok(m->flags == (MS_BIND | MS_DIRSYNC | MS_REMOUNT | MS_NOATIME | MS_NODIRATIME),
	   "flags after set/clear pairs (%#lx)", m->flags);
	ok(m->clear == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
			MS_MANDLOCK | MS_RELATIME | MS_STRICTATIME),
	   "clear mask (%#lx)", m->clear);
	ok(m->propagation == MS_PRIVATE, "private");
}

static void check_full_hooks(const struct spec *s)
{
	const struct spec_hooks *h = &s->hooks;
	ok(h->n[HOOK_PRESTART] == 1 &&
	       str_eq(h->list[HOOK_PRESTART][0].path, "/usr/bin/fix-mounts"),
	   "prestart");
	ok(strv_len(h->list[HOOK_PRESTART][0].args) == 2 &&
	       str_eq(h->list[HOOK_PRESTART][0].env[0], "key1=value1"),
	   "hook args and env");
	ok(h->n[HOOK_CREATE_RUNTIME] == 2 &&
	       str_eq(h->list[HOOK_CREATE_RUNTIME][1].path, "/usr/bin/cr2"),
	   "createRuntime");
	ok(h->n[HOOK_CREATE_CONTAINER] == 1, "createContainer");
	ok(h->n[HOOK_START_CONTAINER] == 1 && h->list[HOOK_START_CONTAINER][0].has_timeout &&
	       h->list[HOOK_START_CONTAINER][0].timeout == 5,
	   "startContainer with timeout");
	ok(h->n[HOOK_POSTSTART] == 1 && h->list[HOOK_POSTSTART][0].timeout == 1, "poststart");
	ok(h->n[HOOK_POSTSTOP] == 1 && !h->list[HOOK_POSTSTOP][0].has_timeout, "poststop");
	ok(json_is_object(s->annotations) && json_object_size(s->annotations) == 2 &&
	       str_eq(json_string_value(json_object_get(s->annotations, "com.example.key1")),
		      "value1"),
	   "annotations");
}

static void check_full_linux(const struct spec *s)
{
	for (int t = 0; t < NS_COUNT; t++)
		ok(s->ns[t].enabled, "namespace %s", spec_ns_name((enum ns_type)t));
	is_str(s->ns[NS_TIME].path, "/proc/1/ns/time", "namespace path");
	ok(s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 100000 &&
	       s->uid_mappings[0].size == 65536,
	   "uidMappings");
	ok(s->n_gid_mappings == 2 && s->gid_mappings[1].container_id == 65536 &&
	       s->gid_mappings[1].host_id == 300000 && s->gid_mappings[1].size == 1,
	   "gidMappings");
	is_int(s->n_devices, 4, "devices");
	const struct spec_device *d = &s->devices[0];
	ok(d->type == 'c' && str_eq(d->path, "/dev/fuse") && d->major == 10 && d->minor == 229 &&
	       d->has_mode && d->mode == 0666 && d->has_uid && d->uid == 0 && d->has_gid,
	   "char device");
	ok(s->devices[1].type == 'b' && !s->devices[1].has_mode && !s->devices[1].has_uid,
	   "block device without mode");
	ok(s->devices[2].type == 'p', "fifo needs no numbers");
	ok(s->devices[3].type == 'u' && s->devices[3].mode == 0666 && s->devices[3].uid == 7 &&
	       s->devices[3].gid == 8,
	   "file type bits stripped from fileMode");
	is_str(s->cgroups_path, "/berth/test", "cgroupsPath");
	is_int(s->n_sysctl, 3, "sysctl");
	is_str(s->sysctl[0].key, "net.ipv4.ip_forward", "sysctl key");
	is_str(s->sysctl[0].value, "1", "sysctl value");
	ok(json_is_object(s->seccomp) &&
	       str_eq(json_string_value(json_object_get(s->seccomp, "defaultAction")),
		      "SCMP_ACT_ALLOW"),
	   "seccomp kept as JSON");
	ok(s->rootfs_propagation == (MS_SLAVE | MS_REC), "rootfsPropagation");
	is_int(strv_len(s->masked_paths), 2, "maskedPaths");
	is_str(s->readonly_paths[0], "/proc/sys", "readonlyPaths");
	is_str(s->mount_label, "system_u:object_r:container_file_t:s0", "mountLabel");
	ok(s->has_personality && s->personality_domain == PER_LINUX32 && s->personality,
	   "personality");
}

static void check_full_resources(const struct spec_resources *r)
{
	ok(r->n_devices == 3 && r->devices[1].allow && r->devices[1].type == 'c' &&
	       r->devices[1].major == 10 && r->devices[1].minor == 229 &&
	       !strcmp(r->devices[1].access, "rw"),
	   "device rule");
	ok(r->devices[2].type == 'b' && r->devices[2].major == 8 && r->devices[2].minor == -1,
	   "missing minor is a wildcard");
	ok(r->has_mem_limit && r->mem_limit == 536870912 && r->has_mem_reservation &&
	       r->mem_reservation == 268435456 && r->has_mem_swap && r->mem_swap == 1073741824,
	   "memory limit/reservation/swap");
	ok(r->has_mem_kernel && r->mem_kernel == -1 && r->has_mem_kernel_tcp &&
	       r->mem_kernel_tcp == 1048576,
	   "kernel memory");
	ok(r->has_mem_swappiness && r->mem_swappiness == 60 && r->has_disable_oom_killer &&
	       !r->disable_oom_killer && r->has_use_hierarchy && r->use_hierarchy,
	   "swappiness, OOM killer, hierarchy");
	ok(r->has_cpu_shares && r->cpu_shares == 1024 && r->has_cpu_quota &&
	       r->cpu_quota == 100000 && r->has_cpu_period && r->cpu_period == 50000,
	   "cpu shares/quota/period");
	ok(r->has_cpu_rt_runtime && r->cpu_rt_runtime == 950000 && r->has_cpu_rt_period &&
	       r->cpu_rt_period == 1000000 && r->has_cpu_idle && r->cpu_idle == 1 &&
	       r->has_cpu_burst && r->cpu_burst == 20000,
	   "cpu realtime/idle/burst");
	ok(str_eq(r->cpu_cpus, "0-3") && str_eq(r->cpu_mems, "0"), "cpuset");
	ok(r->has_pids_limit && r->pids_limit == 32771, "pids");
	ok(r->has_blkio_weight && r->blkio_weight == 500 && r->has_blkio_leaf_weight &&
	       r->blkio_leaf_weight == 300,
	   "blkio weight");
	ok(r->n_blkio_weight_devices == 2 && r->blkio_weight_devices[1].minor == 16 &&
	       r->blkio_weight_devices[1].has_weight && r->blkio_weight_devices[1].weight == 600 &&
	       !r->blkio_weight_devices[1].has_leaf_weight,
	   "weightDevice");
	ok(r->n_throttle_read_bps == 1 && r->throttle_read_bps[0].rate == 600 &&
	       r->n_throttle_write_bps == 1 && r->throttle_write_bps[0].minor == 16 &&
	       r->n_throttle_read_iops == 1 && r->throttle_read_iops[0].rate == 60 &&
	       r->n_throttle_write_iops == 1 && r->throttle_write_iops[0].rate == 30,
	   "throttle devices");
	ok(r->n_hugepage_limits == 2 && str_eq(r->hugepage_limits[0].page_size, "2MB") &&
	       r->hugepage_limits[0].limit == 209715200,
	   "hugepageLimits");
	ok(r->has_network_class_id && r->network_class_id == 1048577, "network classID");
	ok(json_object_size(r->unified) == 2, "unified map");
}

static void test_full(void)
{
	struct err e = ERR_INIT;
	_cleanup_spec_ struct spec *s = load_full(&e);
	if (!ok(s != NULL, "full config loads"))
		printf("# %s\n", e.msg);
	if (!s)
		return;
	is_str(s->oci_version, "1.0.2", "ociVersion");
	is_str(s->domainname, "example.org", "domainname");
	check_full_process(&s->process);
	check_full_mounts(s);
	check_full_hooks(s);
	check_full_linux(s);
	ok(s->has_resources, "resources present");
	check_full_resources(&s->resources);
}

/* set_path taking ownership of value. */
static void set_path_new(json_t *j, const char *path, json_t *value)
{
	set_path(j, path, value);
	json_decref(value);
}

/* Each case of data/spec/bad.json edits the default spec and names the expected error. */
static void test_bad(void)
{
	_cleanup_free_ char *text = read_data("bad.json");
	_cleanup_json_ json_t *cases = text ? json_loads(text, 0, NULL) : NULL;
	if (!ok(json_is_array(cases), "bad.json loads"))
		return;
	_cleanup_free_ char *afile = str_printf("%s/afile", bundle);
	fs_write_atomic(afile, "x", 1, 0644, NULL);
	size_t i;
	json_t *c;
	json_array_foreach (cases, i, c) {
		json_t *j = default_copy();
		size_t k;
		json_t *edit;
		json_array_foreach (json_object_get(c, "edit"), k, edit) {
			json_t *v = json_array_get(edit, 1);
			set_path(j, json_string_value(json_array_get(edit, 0)),
				 json_is_null(v) ? NULL : v);
		}
		_cleanup_free_ char *want = str_dup(json_string_value(json_object_get(c, "msg")));
		replace(&want, "$BUNDLE", bundle);
		struct err e = ERR_INIT;
		struct spec *s = spec_from_json(j, bundle, &e);
		const char *what = json_string_value(
		    json_array_get(json_array_get(json_object_get(c, "edit"), 0), 0));
		ok(s == NULL && e.kind == ERR_INVALID, "bad case %zu (%s) fails as invalid", i,
		   what);
		is_str(e.msg, want, "bad case %zu (%s) names the field", i, what);
		spec_free(s);
	}
}

/* Variations that must be accepted. */
static void test_good_variants(void)
{
	struct err e = ERR_INIT;
	json_t *j = default_copy();
	set_path_new(j, "linux.namespaces[+]",
		     json_pack("{s:s, s:s}", "type", "user", "path", "/proc/1/ns/user"));
	set_path_new(j, "root.path", json_string("."));
	set_path(j, "process.capabilities", NULL);
	struct spec *s = spec_from_json(j, bundle, &e);
	if (!ok(s != NULL, "joining a user namespace needs no mappings"))
		printf("# %s\n", e.msg);
	if (s) {
		is_str(s->root_path, bundle, "root \".\" is the bundle");
		ok(!s->process.caps.set, "no capabilities given");
		is_str(s->ns[NS_USER].path, "/proc/1/ns/user", "user namespace path");
	}
	spec_free(s);

	j = default_copy();
	set_path_new(j, "root.path", json_string(bundle));
	for (int c = 0; c <= 40; c++)
		set_path_new(j, "process.capabilities.bounding[+]", json_string(spec_cap_name(c)));
	s = spec_from_json(j, "/nonexistent", &e);
	if (!ok(s != NULL, "absolute root path ignores the bundle"))
		printf("# %s\n", e.msg);
	if (s) {
		is_str(s->root_path, bundle, "absolute root path kept");
		int last = spec_cap_last();
		uint64_t want = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
		ok(s->process.caps.bounding == want,
		   "capabilities beyond the kernel's last (%d) are dropped silently", last);
	}
	spec_free(s);
}

static void test_parts(void)
{
	struct err e = ERR_INIT;
	struct spec_process p;
	_cleanup_json_ json_t *pj =
	    json_pack("{s:[s], s:s, s:{s:i}}", "args", "true", "cwd", "/", "user", "uid", 5);
	ok(spec_process_parse(pj, NULL, &p, &e) == 0 && p.user.uid == 5, "exec process parses");
	spec_process_release(&p);
	_cleanup_json_ json_t *bad = json_pack("{s:s}", "cwd", "/");
	ok(spec_process_parse(bad, NULL, &p, &e) < 0, "exec process without args fails");
	is_str(e.msg, "args: missing, a process needs at least one argument",
	       "exec process errors name the bare field");
	ok(p.args == NULL && p.cwd == NULL, "released on failure");

	struct spec_resources r;
	_cleanup_json_ json_t *rj =
	    json_pack("{s:{s:I, s:I}, s:{s:i}}", "memory", "limit", (json_int_t)1 << 30, "swap",
		      (json_int_t)-1, "pids", "limit", 10);
	ok(spec_resources_parse(rj, "", &r, &e) == 0 && r.has_mem_limit && r.mem_limit == 1 << 30 &&
	       r.has_mem_swap && r.mem_swap == -1 && r.has_pids_limit && !r.has_cpu_shares &&
	       !r.has_mem_reservation,
	   "update -r resources parse; absent values stay unset");
	spec_resources_release(&r);
	_cleanup_json_ json_t *rb = json_pack("{s:{s:i}}", "cpu", "shares", -2);
	ok(spec_resources_parse(rb, "", &r, &e) < 0, "bad update -r resources fail");
	is_str(e.msg, "cpu.shares: must not be negative", "and name the field from the top");
}

static void test_load(void)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *empty = str_printf("%s/empty", bundle);
	mkdir(empty, 0755);
	ok(spec_load(empty, &e) == NULL && e.errnum == ENOENT, "missing config.json: ENOENT");
	_cleanup_free_ char *cfg = str_printf("%s/config.json", empty);
	fs_write_atomic(cfg, "{\"process\": ", 13, 0644, NULL);
	ok(spec_load(empty, &e) == NULL && e.kind == ERR_INVALID, "broken JSON is invalid");
	ok(spec_from_json(json_array(), bundle, &e) == NULL, "a non-object config fails");
	is_str(e.msg, "config: expected object, got array", "and says so");

	/* A relative bundle is relative to the working directory. */
	char cwd[PATH_MAX];
	_cleanup_free_ char *parent = str_dup(bundle);
	*strrchr(parent, '/') = '\0';
	if (getcwd(cwd, sizeof(cwd)) && chdir(parent) == 0) {
		_cleanup_spec_ struct spec *s = spec_load(strrchr(bundle, '/') + 1, &e);
		_cleanup_free_ char *root = str_printf("%s/rootfs", bundle);
		ok(s && str_eq(s->root_path, root), "relative bundle: root path made absolute");
		if (chdir(cwd) < 0)
			ok(0, "chdir back");
	}
}

int main(void)
{
	find_datadir();
	if (!mkdtemp(bundle))
		return 1;
	_cleanup_free_ char *rootfs = str_printf("%s/rootfs", bundle);
	mkdir(rootfs, 0755);
	test_names();
	test_mount_options();
	test_default_json();
	test_default_roundtrip();
	test_full();
	test_bad();
	test_good_variants();
	test_parts();
	test_load();
	struct err e = ERR_INIT;
	ok(fs_rm_rf(bundle, &e) == 0, "temp bundle removed");
	return tap_done();
}
