/* engine/sysinfo: host facts for /info and /version, read fresh on every call (cheap
 * /proc and /sys reads; nothing cached that could go stale). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/engine_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool file_is_one(const char *path)
{
	_cleanup_free_ char *s = fs_exists(path) ? fs_read_file(path, NULL, NULL) : NULL;
	return s && s[0] == '1';
}

static void os_release(struct engine_sysinfo *si)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
	char line[512];
	snprintf(si->os_name, sizeof(si->os_name), "Linux");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		size_t n = strlen(eq);
		if (n >= 2 && eq[0] == '"' && eq[n - 1] == '"') {
			eq[n - 1] = '\0';
			eq++;
		}
		if (!strcmp(line, "PRETTY_NAME"))
			snprintf(si->os_name, sizeof(si->os_name), "%s", eq);
		else if (!strcmp(line, "VERSION_ID"))
			snprintf(si->os_version, sizeof(si->os_version), "%s", eq);
	}
}

static int64_t mem_total(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			return (int64_t)kb * 1024;
	return 0;
}

static void proc_self(struct engine_sysinfo *si)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)))
		si->nfd += de->d_name[0] != '.';
	si->nfd -= d ? 1 : 0; /* the directory's own fd */
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &si->nthreads) == 1)
			break;
}

static void cgroup_facts(struct engine_sysinfo *si)
{
	struct statfs sf;
	si->cgroup_version =
	    statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
	if (si->cgroup_version == 2) {
		_cleanup_free_ char *c =
		    fs_read_file("/sys/fs/cgroup/cgroup.controllers", NULL, NULL);
		const char *ctl = c ? c : "";
		si->memory_limit = si->swap_limit = si->oom_kill_disable = strstr(ctl, "memory");
		si->pids_limit = strstr(ctl, "pids");
		si->cpu_cfs = si->cpu_shares = strstr(ctl, "cpu");
		si->cpuset = strstr(ctl, "cpuset");
		si->oom_kill_disable = false;
		return;
	}
	si->memory_limit = fs_exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
	si->swap_limit = fs_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
	si->oom_kill_disable = fs_exists("/sys/fs/cgroup/memory/memory.oom_control");
	si->pids_limit = fs_exists("/sys/fs/cgroup/pids");
	si->cpu_cfs = fs_exists("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
	si->cpu_shares = fs_exists("/sys/fs/cgroup/cpu/cpu.shares");
	si->cpuset = fs_exists("/sys/fs/cgroup/cpuset");
}

/* Facts fixed for the process lifetime, computed once. */
static char machine[65] = "x86_64";
static char runtime[PATH_MAX + 16] = "/usr/local/bin/berth-runc";

static void static_facts(void)
{
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(machine, sizeof(machine), "%s", u.machine);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(runtime, sizeof(runtime), "%s/berth-runc", self);
}

void engine_sysinfo(struct engine *eng, struct engine_sysinfo *si)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, static_facts);
	memset(si, 0, sizeof(*si));
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(si->kernel, sizeof(si->kernel), "%s", u.release);
	si->arch = machine;
	si->runtime_path = runtime;
	os_release(si);
	gethostname(si->hostname, sizeof(si->hostname) - 1);
	si->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	si->mem_total = mem_total();
	cgroup_facts(si);
	si->ipv4_forwarding = file_is_one("/proc/sys/net/ipv4/ip_forward");
	si->bridge_nf_iptables = file_is_one("/proc/sys/net/bridge/bridge-nf-call-iptables");
	si->bridge_nf_ip6tables = file_is_one("/proc/sys/net/bridge/bridge-nf-call-ip6tables");
	proc_self(si);
	pthread_mutex_lock(&eng->ev_mu);
	si->n_events = eng->ev_listeners;
	pthread_mutex_unlock(&eng->ev_mu);
	si->n_images = image_store_count(eng->images);
}
