/* spec_names: the name tables of the OCI config: capabilities, rlimits, namespaces, mount
 * propagation, and the mount option table (runc's libcontainer/specconv semantics). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/str.h"

/* The capabilities berth knows by name: everything up to CAP_CHECKPOINT_RESTORE. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int spec_cap_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (!strcmp(cap_names[i], name))
			return (int)i;
	return -1;
}

const char *spec_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

static int read_cap_last_cap(void)
{
	int known = (int)ARRAY_SIZE(cap_names) - 1;
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = -1;
	if (!f || fscanf(f, "%d", &v) != 1 || v < 0)
		return known;
	/* A newer kernel may know caps we have no name for: those can't be asked for anyway. */
	return v < known ? v : known;
}

int spec_cap_last(void)
{
	/* The kernel's value never changes while we run; racing first callers agree. */
	static int last = -1;
	if (last < 0)
		last = read_cap_last_cap();
	return last;
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(rlimits); i++)
		if (!strcmp(rlimits[i].name, name))
			return rlimits[i].resource;
	return -1;
}

const char *spec_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
		if (rlimits[i].resource == resource)
			return rlimits[i].name;
	return NULL;
}

static const struct {
	const char *name;
	int flag;
} namespaces[NS_COUNT] = {
    [NS_PID] = {"pid", CLONE_NEWPID},	       [NS_NET] = {"network", CLONE_NEWNET},
    [NS_IPC] = {"ipc", CLONE_NEWIPC},	       [NS_UTS] = {"uts", CLONE_NEWUTS},
    [NS_MNT] = {"mount", CLONE_NEWNS},	       [NS_USER] = {"user", CLONE_NEWUSER},
    [NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [NS_TIME] = {"time", CLONE_NEWTIME},
};

const char *spec_ns_name(enum ns_type t)
{
	if ((unsigned)t >= NS_COUNT)
		return NULL;
	return namespaces[t].name;
}

int spec_ns_clone_flag(enum ns_type t)
{
	if ((unsigned)t >= NS_COUNT)
		return 0;
	return namespaces[t].flag;
}

int spec_ns_from_name(const char *name)
{
	for (int t = 0; name && t < NS_COUNT; t++)
		if (!strcmp(namespaces[t].name, name))
			return t;
	return -1;
}

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int spec_propagation_from_name(const char *name, unsigned long *flags)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(propagations); i++) {
		if (!strcmp(propagations[i].name, name)) {
			*flags = propagations[i].flags;
			return 0;
		}
	}
	return -1;
}

/* mount(2) flags by option name; clear = the option turns the flag off. */
static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
    {"acl", false, MS_POSIXACL},
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noacl", true, MS_POSIXACL},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, MS_NOSYMFOLLOW},
};

/* mount_setattr(2) attributes applied recursively (runc's "r" options). */
static const struct {
	const char *name;
	bool clear;
	uint64_t attr;
} rec_attrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

static bool apply_mount_flag(struct spec_mount *m, const char *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++) {
		if (strcmp(mount_flags[i].name, o))
			continue;
		if (mount_flags[i].clear) {
			m->flags &= ~mount_flags[i].flag;
			m->clear |= mount_flags[i].flag;
		} else {
			m->flags |= mount_flags[i].flag;
			m->clear &= ~mount_flags[i].flag;
		}
		return true;
	}
	return false;
}

static bool apply_rec_attr(struct spec_mount *m, const char *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(rec_attrs); i++) {
		if (strcmp(rec_attrs[i].name, o))
			continue;
		if (rec_attrs[i].clear) {
			m->attr_clr |= rec_attrs[i].attr;
		} else {
			m->attr_set |= rec_attrs[i].attr;
			/* mount_setattr(2): an atime mode in attr_set needs MOUNT_ATTR__ATIME in
			 * attr_clr too (MOUNT_ATTR_RELATIME is 0, so test the table entry). */
			if ((rec_attrs[i].attr & MOUNT_ATTR__ATIME) == rec_attrs[i].attr)
				m->attr_clr |= MOUNT_ATTR__ATIME;
		}
		return true;
	}
	return false;
}

int spec_mount_options(struct spec_mount *m, char **options, struct err *e)
{
	_cleanup_strv_ char **data = NULL;
	m->flags = m->clear = m->propagation = 0;
	m->attr_set = m->attr_clr = 0;
	m->bind = m->rbind = m->recursive_ro = m->tmpcopyup = false;
	free(m->data);
	m->data = NULL;
	for (char **o = options; o && *o; o++) {
		unsigned long prop;
		if (apply_mount_flag(m, *o))
			continue;
		if (spec_propagation_from_name(*o, &prop) == 0)
			m->propagation = prop; /* the last one given wins */
		else if (apply_rec_attr(m, *o))
			continue;
		else if (!strcmp(*o, "tmpcopyup"))
			m->tmpcopyup = true;
		else
			strv_push(&data, *o);
	}
	m->bind = (m->flags & MS_BIND) != 0;
	m->rbind = m->bind && (m->flags & MS_REC);
	m->recursive_ro = (m->attr_set & MOUNT_ATTR_RDONLY) != 0;
	if (data)
		m->data = strv_join(data, ",");
	return 0;
}

json_t *spec_mount_option_names(void)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++)
		if (strcmp(mount_flags[i].name, "defaults"))
			json_array_append_new(a, json_string(mount_flags[i].name));
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
		json_array_append_new(a, json_string(propagations[i].name));
	for (size_t i = 0; i < ARRAY_SIZE(rec_attrs); i++)
		json_array_append_new(a, json_string(rec_attrs[i].name));
	json_array_append_new(a, json_string("tmpcopyup"));
	return a;
}
