/* cgroup_stats: runc's `events --stats` data read from v1 hierarchies (and the shared JSON
 * shape: Go field names, omitempty, sorted maps), plus OOM counts and OOM event fds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

/* jansson integers are signed: values past INT64_MAX (v2 "max") are clamped. */
json_t *cg_json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

void cg_json_put(json_t *o, const char *key, uint64_t v, bool omitempty)
{
	if (v || !omitempty)
		json_object_set_new(o, key, cg_json_u64(v));
}

uint64_t cg_u64_or0(const char *dir, const char *file)
{
	uint64_t v = 0;
	if (dir && cg_read_u64(dir, file, &v, NULL) < 0)
		v = 0;
	return v;
}

void cg_json_order(json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(o, *keys);
		if (!v)
			continue;
		json_incref(v);
		json_object_del(o, *keys);
		json_object_set_new(o, *keys, v);
	}
}

/* "key value" lines into a JSON object with sorted keys, as Go encodes maps. */
static int kv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *cg_json_flat_keyed(const char *dir, const char *file)
{
	_cleanup_strv_ char **lines = dir ? cg_read_lines(dir, file, NULL) : NULL;
	json_t *o = json_object();
	size_t n = strv_len(lines);
	if (n)
		qsort(lines, n, sizeof(char *), kv_cmp);
	for (size_t i = 0; i < n; i++) {
		char *sp = strchr(lines[i], ' ');
		unsigned long long v;
		if (!sp || sscanf(sp + 1, "%llu", &v) != 1)
			continue;
		*sp = '\0';
		json_object_set_new(o, lines[i], cg_json_u64(v));
	}
	return o;
}

/* Kernel page sizes as runc names them: hugepages-2048kB -> "2MB". */
char **cg_hugepage_sizes(void)
{
	char **out = NULL;
	_cleanup_closedir_ DIR *d = opendir("/sys/kernel/mm/hugepages");
	for (struct dirent *de; d && (de = readdir(d));) {
		unsigned long kb;
		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		if (kb >= (1UL << 20))
			strv_push_take(&out, str_printf("%luGB", kb >> 20));
		else if (kb >= (1UL << 10))
			strv_push_take(&out, str_printf("%luMB", kb >> 10));
		else
			strv_push_take(&out, str_printf("%luKB", kb));
	}
	if (out)
		qsort(out, strv_len(out), sizeof(char *), kv_cmp);
	return out;
}

json_t *cg_json_mem_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	json_t *o = json_object();
	cg_json_put(o, "limit", limit, false);
	cg_json_put(o, "usage", usage, true);
	cg_json_put(o, "max", max, true);
	cg_json_put(o, "failcnt", failcnt, false);
	return o;
}

/* runc's types.Stats with everything empty; readers fill in what they have. */
json_t *cg_stats_skeleton(void)
{
	static const char *const cpuset_keys[] = {
	    "cpu_exclusive",   "mem_hardwall",	     "mem_exclusive",
	    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
	    "memory_pressure", "sched_load_balance", "sched_relax_domain_level"};
	json_t *cpuset = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(cpuset_keys); i++)
		json_object_set_new(cpuset, cpuset_keys[i], json_integer(0));
	json_t *mem = json_object();
	static const char *const entries[] = {"usage", "swap", "kernel", "kernelTCP"};
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++)
		json_object_set_new(mem, entries[i], cg_json_mem_entry(0, 0, 0, 0));
	return json_pack("{s:{s:{s:i, s:i}, s:{}}, s:o, s:o, s:{}, s:{}, s:{}, s:{}, s:n}", "cpu",
			 "usage", "kernel", 0, "user", 0, "throttling", "cpuset", cpuset, "memory",
			 mem, "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces");
}

static json_t *sub(json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);
	return b ? json_object_get(x, b) : x;
}

static void v1_cpuacct(json_t *usage, const char *dir)
{
	cg_json_put(usage, "total", cg_u64_or0(dir, "cpuacct.usage"), true);
	_cleanup_free_ char *pc = cg_read(dir, "cpuacct.usage_percpu", NULL);
	_cleanup_strv_ char **f = pc ? strv_split(pc, " \n") : NULL;
	json_t *percpu = json_array(), *pk = json_array(), *pu = json_array();
	for (char **p = f; p && *p; p++)
		json_array_append_new(percpu, cg_json_u64(strtoull(*p, NULL, 10)));
	_cleanup_strv_ char **all = cg_read_lines(dir, "cpuacct.usage_all", NULL);
	for (size_t i = 1; all && all[0] && all[i]; i++) {
		unsigned long long cpu, user, sys;
		if (sscanf(all[i], "%llu %llu %llu", &cpu, &user, &sys) != 3)
			continue;
		json_array_append_new(pk, cg_json_u64(sys));
		json_array_append_new(pu, cg_json_u64(user));
	}
	json_t *arrs[] = {percpu, pk, pu};
	const char *names[] = {"percpu", "percpu_kernel", "percpu_user"};
	for (size_t i = 0; i < 3; i++)
		if (json_array_size(arrs[i]))
			json_object_set_new(usage, names[i], arrs[i]);
		else
			json_decref(arrs[i]);
	unsigned long long user = 0, sys = 0;
	_cleanup_free_ char *st = cg_read(dir, "cpuacct.stat", NULL);
	/* cpuacct.stat counts USER_HZ (100) ticks; runc reports nanoseconds. */
	if (st && sscanf(st, "user %llu system %llu", &user, &sys) == 2) {
		json_object_set_new(usage, "kernel", cg_json_u64(sys * 1000000000ULL / 100));
		json_object_set_new(usage, "user", cg_json_u64(user * 1000000000ULL / 100));
	}
}

void cg_stats_throttling(json_t *thr, const char *dir, bool usec)
{
	uint64_t mult = usec ? 1000 : 1;
	const char *time_key = usec ? "throttled_usec" : "throttled_time";
	json_t *cpu = cg_json_flat_keyed(dir, "cpu.stat");
	cg_json_put(thr, "periods", json_integer_value(json_object_get(cpu, "nr_periods")), true);
	cg_json_put(thr, "throttledPeriods",
		    json_integer_value(json_object_get(cpu, "nr_throttled")), true);
	cg_json_put(thr, "throttledTime",
		    (uint64_t)json_integer_value(json_object_get(cpu, time_key)) * mult, true);
	json_decref(cpu);
}

/* "0-3,5" -> [0,1,2,3,5] */
static json_t *cpu_list(const char *s)
{
	json_t *a = json_array();
	_cleanup_strv_ char **parts = s ? strv_split(s, ",") : NULL;
	for (char **p = parts; p && *p; p++) {
		unsigned lo, hi;
		int n = sscanf(*p, "%u-%u", &lo, &hi);
		if (n == 1)
			hi = lo;
		for (unsigned c = lo; n >= 1 && c <= hi && c < 65536; c++)
			json_array_append_new(a, json_integer(c));
	}
	return a;
}

static void v1_cpuset(json_t *o, const char *dir)
{
	static const char *const files[] = {
	    "cpu_exclusive",   "mem_hardwall",	     "mem_exclusive",
	    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
	    "memory_pressure", "sched_load_balance", "sched_relax_domain_level"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *f = str_printf("cpuset.%s", files[i]);
		_cleanup_free_ char *v = cg_read(dir, f, NULL);
		json_object_set_new(o, files[i], json_integer(v ? strtoll(v, NULL, 10) : 0));
	}
	const char *lists[] = {"cpus", "mems"};
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *f = str_printf("cpuset.%s", lists[i]);
		_cleanup_free_ char *v = cg_read(dir, f, NULL);
		json_t *a = cpu_list(v);
		if (json_array_size(a))
			json_object_set_new(o, lists[i], a);
		else
			json_decref(a);
	}
}

static json_t *v1_mem_entry(const char *dir, const char *prefix)
{
	uint64_t v[4] = {0};
	const char *files[] = {"limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes", "failcnt"};
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *f = str_printf("%s.%s", prefix, files[i]);
		v[i] = cg_u64_or0(dir, f);
	}
	return cg_json_mem_entry(v[0], v[1], v[2], v[3]);
}

static void v1_memory(json_t *o, const char *dir)
{
	json_t *raw = cg_json_flat_keyed(dir, "memory.stat");
	cg_json_put(o, "cache", (uint64_t)json_integer_value(json_object_get(raw, "cache")), true);
	json_object_set_new(o, "usage", v1_mem_entry(dir, "memory"));
	json_object_set_new(o, "swap", v1_mem_entry(dir, "memory.memsw"));
	json_object_set_new(o, "kernel", v1_mem_entry(dir, "memory.kmem"));
	json_object_set_new(o, "kernelTCP", v1_mem_entry(dir, "memory.kmem.tcp"));
	if (json_object_size(raw))
		json_object_set_new(o, "raw", raw);
	else
		json_decref(raw);
}

void cg_stats_pids(json_t *o, const char *dir)
{
	uint64_t limit = cg_u64_or0(dir, "pids.max");
	cg_json_put(o, "current", cg_u64_or0(dir, "pids.current"), true);
	cg_json_put(o, "limit", limit == UINT64_MAX ? 0 : limit, true);
}

static void v1_hugetlb(json_t *o, const char *dir)
{
	_cleanup_strv_ char **sizes = cg_hugepage_sizes();
	for (char **s = sizes; s && *s; s++) {
		_cleanup_free_ char *u = str_printf("hugetlb.%s.usage_in_bytes", *s);
		_cleanup_free_ char *m = str_printf("hugetlb.%s.max_usage_in_bytes", *s);
		_cleanup_free_ char *f = str_printf("hugetlb.%s.failcnt", *s);
		json_t *h = json_object();
		cg_json_put(h, "usage", cg_u64_or0(dir, u), true);
		cg_json_put(h, "max", cg_u64_or0(dir, m), true);
		cg_json_put(h, "failcnt", cg_u64_or0(dir, f), false);
		json_object_set_new(o, *s, h);
	}
}

static json_t *stats_v1(const struct cgroup *cg)
{
	json_t *s = cg_stats_skeleton();
	const char *d;
	if ((d = cg_dir(cg, "cpu")) && access(d, F_OK) == 0)
		cg_stats_throttling(sub(s, "cpu", "throttling"), d, false);
	if ((d = cg_dir(cg, "cpuacct")) && access(d, F_OK) == 0)
		v1_cpuacct(sub(s, "cpu", "usage"), d);
	if ((d = cg_dir(cg, "cpuset")) && access(d, F_OK) == 0)
		v1_cpuset(sub(s, "cpuset", NULL), d);
	if ((d = cg_dir(cg, "memory")) && access(d, F_OK) == 0)
		v1_memory(sub(s, "memory", NULL), d);
	if ((d = cg_dir(cg, "pids")) && access(d, F_OK) == 0)
		cg_stats_pids(sub(s, "pids", NULL), d);
	if ((d = cg_dir(cg, "blkio")) && access(d, F_OK) == 0)
		cg_stats_blkio_v1(sub(s, "blkio", NULL), d);
	if ((d = cg_dir(cg, "hugetlb")) && access(d, F_OK) == 0)
		v1_hugetlb(sub(s, "hugetlb", NULL), d);
	static const char *const usage[] = {
	    "total", "percpu", "percpu_kernel", "percpu_user", "kernel", "user", NULL};
	static const char *const cpuset[] = {"cpus",
					     "cpu_exclusive",
					     "mems",
					     "mem_hardwall",
					     "mem_exclusive",
					     "memory_migrate",
					     "memory_spread_page",
					     "memory_spread_slab",
					     "memory_pressure",
					     "sched_load_balance",
					     "sched_relax_domain_level",
					     NULL};
	static const char *const mem[] = {"cache",     "usage", "swap", "kernel",
					  "kernelTCP", "raw",	NULL};
	cg_json_order(sub(s, "cpu", "usage"), usage);
	cg_json_order(sub(s, "cpuset", NULL), cpuset);
	cg_json_order(sub(s, "memory", NULL), mem);
	return s;
}

json_t *cgroup_stats(struct cgroup *cg, struct err *e)
{
	const char *dir = cg_members_dir(cg);
	if (!dir || access(dir, F_OK) < 0)
		return err_notfound(e, "cgroup %s does not exist", dir ? dir : "?"), NULL;
	return cg->mode == CGROUP_MODE_V2 ? cg_stats_v2(cg_dir(cg, "")) : stats_v1(cg);
}

int cgroup_oom_count(struct cgroup *cg, uint64_t *count, struct err *e)
{
	const char *dir = cg->mode == CGROUP_MODE_V2 ? cg_dir(cg, "") : cg_dir(cg, "memory");
	if (!dir)
		return err_set(e, ERR_UNAVAILABLE, 0, "memory controller missing");
	*count = 0;
	struct err tmp = ERR_INIT;
	const char *file = cg->mode == CGROUP_MODE_V2 ? "memory.events" : "memory.oom_control";
	/* Kernels before 4.13 have no oom_kill counter: report none. */
	if (cg_read_key(dir, file, "oom_kill", count, &tmp) < 0 && tmp.kind != ERR_NOT_FOUND) {
		if (e)
			*e = tmp;
		return -1;
	}
	return 0;
}

/* v1: an eventfd the kernel signals on every OOM, registered via cgroup.event_control. */
static int oom_fd_v1(const char *dir, struct err *e)
{
	_cleanup_free_ char *p = path_join(dir, "memory.oom_control");
	_cleanup_close_ int cfd = open(p, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		return err_sys(e, "open %s", p);
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return err_sys(e, "eventfd");
	if (cg_writef(dir, "cgroup.event_control", e, "%d %d", efd, cfd) < 0)
		return -1;
	return TAKE_FD(efd);
}

/* v2: memory.events changes on every memory event; readers compare oom_kill counts. */
static int oom_fd_v2(const char *dir, struct err *e)
{
	_cleanup_close_ int fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "inotify_init1");
	_cleanup_free_ char *p = path_join(dir, "memory.events");
	if (inotify_add_watch(fd, p, IN_MODIFY) < 0)
		return err_sys(e, "inotify_add_watch %s", p);
	return TAKE_FD(fd);
}

int cgroup_oom_fd(struct cgroup *cg, struct err *e)
{
	if (cg->mode == CGROUP_MODE_V2)
		return oom_fd_v2(cg_dir(cg, ""), e);
	const char *dir = cg_dir(cg, "memory");
	if (!dir)
		return err_set(e, ERR_UNAVAILABLE, 0, "memory controller missing");
	return oom_fd_v1(dir, e);
}
