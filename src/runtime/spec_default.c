/* spec_default: the config.json that `spec` writes, field for field what runc 1.1.5's
 * `runc spec` (specconv.Example, ToRootless) produces, and runc's way of printing it. */
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/str.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The runtime-spec version runc 1.1.5 is built against. */
#define SPEC_OCI_VERSION "1.0.2-dev"

static json_t *strings(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *default_process(void)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const args[] = {"sh", NULL};
	/* Members in Go's struct order: json.Marshal keeps it and so must we. */
	return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:o, s:o, s:o, s:o}, "
			 "s:[{s:s, s:i, s:i}], s:b}",
			 "terminal", 1, "user", "uid", 0, "gid", 0, "args", strings(args), "env",
			 strings(env), "cwd", "/", "capabilities", "bounding", strings(caps),
			 "effective", strings(caps), "permitted", strings(caps), "ambient",
			 strings(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft",
			 1024, "noNewPrivileges", 1);
}

static json_t *mount(const char *dest, const char *type, const char *source,
		     const char *const *options)
{
	json_t *m =
	    json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
	if (options && *options)
		json_object_set_new(m, "options", strings(options));
	return m;
}

static json_t *default_mounts(bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	/* Rootless drops uid=/gid= options: the ids may not be mapped. */
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
					  "mode=1777", "size=65536k", NULL};
	static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec",
						   "nodev", "ro",     NULL};
	static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	json_t *a = json_array();
	json_array_append_new(a, mount("/proc", "proc", "proc", NULL));
	json_array_append_new(a, mount("/dev", "tmpfs", "tmpfs", dev));
	json_t *m = mount("/dev/pts", "devpts", "devpts", pts);
	if (rootless)
		json_array_remove(json_object_get(m, "options"), 5);
	json_array_append_new(a, m);
	json_array_append_new(a, mount("/dev/shm", "tmpfs", "shm", shm));
	json_array_append_new(a, mount("/dev/mqueue", "mqueue", "mqueue", mq));
	/* Rootless can't mount a fresh sysfs without a network namespace: bind the host's. */
	if (rootless)
		json_array_append_new(a, mount("/sys", "none", "/sys", sys_rootless));
	else
		json_array_append_new(a, mount("/sys", "sysfs", "sysfs", sys));
	json_array_append_new(a, mount("/sys/fs/cgroup", "cgroup", "cgroup", cg));
	return a;
}

static bool cgroup2_unified(void)
{
	struct statfs st;
	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static json_t *default_namespaces(bool rootless)
{
	static const char *const all[] = {"pid", "network", "ipc", "uts", "mount"};
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!rootless || strcmp(all[i], "network"))
			json_array_append_new(a, json_pack("{s:s}", "type", all[i]));
	if (cgroup2_unified())
		json_array_append_new(a, json_pack("{s:s}", "type", "cgroup"));
	if (rootless)
		json_array_append_new(a, json_pack("{s:s}", "type", "user"));
	return a;
}

static json_t *default_linux(bool rootless)
{
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     NULL};
	static const char *const ro[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	json_t *l = json_object();
	if (rootless) {
		json_object_set_new(l, "uidMappings",
				    json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
					      (json_int_t)geteuid(), "size", 1));
		json_object_set_new(l, "gidMappings",
				    json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
					      (json_int_t)getegid(), "size", 1));
	} else {
		json_object_set_new(
		    l, "resources",
		    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	json_object_set_new(l, "namespaces", default_namespaces(rootless));
	json_object_set_new(l, "maskedPaths", strings(masked));
	json_object_set_new(l, "readonlyPaths", strings(ro));
	return l;
}

json_t *spec_default_json(bool rootless)
{
	json_t *j = json_object();
	json_object_set_new(j, "ociVersion", json_string(SPEC_OCI_VERSION));
	json_object_set_new(j, "process", default_process());
	json_object_set_new(j, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 1));
	json_object_set_new(j, "hostname", json_string("runc"));
	json_object_set_new(j, "mounts", default_mounts(rootless));
	json_object_set_new(j, "linux", default_linux(rootless));
	return j;
}

char *spec_json_dumps(const json_t *j)
{
	/* jansson indents with spaces only: one space per level, then swapped for tabs. A
	 * newline in the output always starts indentation (strings escape theirs). */
	_cleanup_free_ char *s = json_dumps(j, JSON_INDENT(1) | JSON_ENCODE_ANY);
	if (!s)
		abort();
	char *out = xmalloc(strlen(s) + 1), *o = out;
	for (const char *p = s; *p;) {
		*o++ = *p;
		if (*p++ != '\n')
			continue;
		for (; *p == ' '; p++)
			*o++ = '\t';
	}
	*o = '\0';
	return out;
}
