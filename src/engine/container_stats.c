/* engine/container_stats: top (the host's ps filtered to the container's cgroup) and stats
 * (the runtime's cgroup numbers in dockerd's ContainerStatsResponse shape). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container_config.h"
#include "engine/container_priv.h"
#include "engine/ocispec.h"
#include "runtime/cgroup.h"
#include "runtime/state.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

json_t *container_stats_networks(pid_t pid);
static __thread pid_t last_pid;

static struct cgroup *running_cgroup(struct engine *eng, const char *name, char *id, char **cname,
				     struct err *e)
{
	struct container_io io;
	if (engine_container_io(eng, name, &io, e) < 0)
		return NULL;
	snprintf(id, ID_HEX_LEN + 1, "%s", io.id);
	if (cname)
		*cname = str_dup(io.name);
	bool running = io.running;
	container_io_release(&io);
	if (!running) {
		err_conflict(e, "Container %s is not running", id);
		return NULL;
	}
	_cleanup_free_ char *rt = container_runtime_root(eng);
	_cleanup_state_ struct container_state *st = state_load(rt, id, e);
	if (st && cname)
		last_pid = st->pid;
	return st ? state_cgroup(st, e) : NULL;
}

/* ps's output, run with args (default -ef), as lines. */
static char **run_ps(const char *args, struct err *e)
{
	_cleanup_strv_ char **argv = strv_split(args && *args ? args : "-ef", " \t");
	char **full = NULL;
	strv_push(&full, "ps");
	for (char **p = argv; p && *p; p++)
		strv_push(&full, *p);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		strv_free(full);
		err_sys(e, "pipe");
		return NULL;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(pfd[1], 1);
		execvp("ps", full);
		_exit(127);
	}
	strv_free(full);
	close(pfd[1]);
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	char buf[8192];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n <= 0)
			continue;
		out = xrealloc(out, len + (size_t)n + 1);
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(pfd[0]);
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_invalid(e, "Error running ps: exit status %d",
			    WIFEXITED(status) ? WEXITSTATUS(status) : 1);
		return NULL;
	}
	if (out)
		out[len] = '\0';
	return strv_split(out ? out : "", "\n");
}

json_t *engine_container_top(struct engine *eng, const char *name, const char *ps_args,
			     struct err *e)
{
	char id[ID_HEX_LEN + 1];
	struct cgroup *cg = running_cgroup(eng, name, id, NULL, e);
	if (!cg)
		return NULL;
	pid_t *pids = NULL;
	size_t np = 0;
	int r = cgroup_pids(cg, &pids, &np, e);
	cgroup_free(cg);
	if (r < 0)
		return NULL;
	_cleanup_strv_ char **lines = run_ps(ps_args, e);
	if (!lines || !lines[0]) {
		free(pids);
		if (lines)
			err_invalid(e, "Error running ps: no output");
		return NULL;
	}
	_cleanup_strv_ char **titles = strv_split(lines[0], " \t");
	size_t ncol = strv_len(titles), pidcol = ncol;
	for (size_t i = 0; i < ncol; i++)
		if (!strcmp(titles[i], "PID"))
			pidcol = i;
	if (pidcol == ncol) {
		free(pids);
		err_invalid(e, "Couldn't find PID field in ps output");
		return NULL;
	}
	json_t *procs = json_array();
	for (char **l = lines + 1; *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " \t");
		size_t nf = strv_len(f);
		if (nf <= pidcol)
			continue;
		int pid = atoi(f[pidcol]);
		bool ours = false;
		for (size_t i = 0; i < np && !ours; i++)
			ours = pids[i] == pid;
		if (!ours)
			continue;
		json_t *row = json_array();
		for (size_t i = 0; i + 1 < ncol && i < nf; i++)
			json_array_append_new(row, json_string(f[i]));
		/* the last column (the command) keeps its spaces */
		_cleanup_free_ char *rest = nf >= ncol ? strv_join(f + ncol - 1, " ") : str_dup("");
		json_array_append_new(row, json_string(rest));
		json_array_append_new(procs, row);
	}
	free(pids);
	json_t *t = json_array();
	for (char **p = titles; *p; p++)
		json_array_append_new(t, json_string(*p));
	return json_pack("{s:o, s:o}", "Titles", t, "Processes", procs);
}

static uint64_t host_cpu_ns(void)
{
	_cleanup_free_ char *s = fs_read_file("/proc/stat", NULL, NULL);
	unsigned long long v[8] = {0};
	if (!s || sscanf(s, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3], &v[4], &v[5], &v[6], &v[7]) < 7)
		return 0;
	unsigned long long t = 0;
	for (int i = 0; i < 8; i++)
		t += v[i];
	return (uint64_t)t * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
}

static json_t *u(const json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);
	return json_integer(json_integer_value(b ? json_object_get(x, b) : x));
}

static json_t *blkio_list(const json_t *bl, const char *key)
{
	json_t *in = json_object_get(bl, key), *out = json_array(), *v;
	size_t i;
	json_array_foreach (in, i, v)
		json_array_append_new(
		    out, json_pack("{s:O, s:O, s:O, s:O}", "major", json_object_get(v, "major"),
				   "minor", json_object_get(v, "minor"), "op",
				   json_object_get(v, "op"), "value", json_object_get(v, "value")));
	return json_array_size(out) ? out : (json_decref(out), json_null());
}

static json_t *cpu_stats(const json_t *st)
{
	const json_t *cpu = json_object_get(st, "cpu");
	const json_t *usage = json_object_get(cpu, "usage");
	const json_t *thr = json_object_get(cpu, "throttling");
	json_t *percpu = json_object_get(usage, "percpu");
	return json_pack(
	    "{s:{s:o, s:O, s:o, s:o}, s:I, s:I, s:{s:o, s:o, s:o}}", "cpu_usage", "total_usage",
	    u(usage, "total", NULL), "percpu_usage", percpu ? percpu : json_null(),
	    "usage_in_kernelmode", u(usage, "kernel", NULL), "usage_in_usermode",
	    u(usage, "user", NULL), "system_cpu_usage", (json_int_t)host_cpu_ns(), "online_cpus",
	    (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "throttling_data", "periods",
	    u(thr, "periods", NULL), "throttled_periods", u(thr, "throttledPeriods", NULL),
	    "throttled_time", u(thr, "throttledTime", NULL));
}

/* One sample in dockerd's shape; prev (or NULL) becomes precpu_stats/preread. */
json_t *engine_container_stats(struct engine *eng, const char *name, const json_t *prev,
			       struct err *e)
{
	char id[ID_HEX_LEN + 1];
	_cleanup_free_ char *cname = NULL;
	struct cgroup *cg = running_cgroup(eng, name, id, &cname, e);
	if (!cg)
		return NULL;
	pid_t pid = last_pid;
	_cleanup_json_ json_t *st = cgroup_stats(cg, e);
	cgroup_free(cg);
	if (!st)
		return NULL;
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	const json_t *mem = json_object_get(st, "memory");
	const json_t *bl = json_object_get(st, "blkio");
	json_t *raw = json_object_get(mem, "raw");
	json_t *out = json_pack(
	    "{s:s, s:O, s:{s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:i, s:{}, "
	    "s:o, s:O, s:{s:o, s:o, s:o, s:o}, s:s, s:s}",
	    "read", now, "preread",
	    prev ? json_object_get(prev, "read") : json_string(STORE_TIME_ZERO), "pids_stats",
	    "current", u(st, "pids", "current"), "limit", u(st, "pids", "limit"), "blkio_stats",
	    "io_service_bytes_recursive", blkio_list(bl, "ioServiceBytesRecursive"),
	    "io_serviced_recursive", blkio_list(bl, "ioServicedRecursive"), "io_queue_recursive",
	    blkio_list(bl, "ioQueueRecursive"), "io_service_time_recursive",
	    blkio_list(bl, "ioServiceTimeRecursive"), "io_wait_time_recursive",
	    blkio_list(bl, "ioWaitTimeRecursive"), "io_merged_recursive",
	    blkio_list(bl, "ioMergedRecursive"), "io_time_recursive",
	    blkio_list(bl, "ioTimeRecursive"), "sectors_recursive",
	    blkio_list(bl, "sectorsRecursive"), "num_procs", 0, "storage_stats", "cpu_stats",
	    cpu_stats(st), "precpu_stats",
	    prev ? json_object_get(prev, "cpu_stats")
		 : json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage",
			     0, "usage_in_kernelmode", 0, "usage_in_usermode", 0, "throttling_data",
			     "periods", 0, "throttled_periods", 0, "throttled_time", 0),
	    "memory_stats", "usage", u(mem, "usage", "usage"), "max_usage", u(mem, "usage", "max"),
	    "stats", raw ? json_deep_copy(raw) : json_object(), "limit", u(mem, "usage", "limit"),
	    "name", cname, "id", id);
	if (pid > 0)
		json_object_set_new(out, "networks", container_stats_networks(pid));
	/* no limit: the host's memory, as dockerd reports it */
	json_t *ms = json_object_get(out, "memory_stats");
	json_int_t host = (json_int_t)sysconf(_SC_PHYS_PAGES) * (json_int_t)sysconf(_SC_PAGESIZE);
	json_int_t lim = json_integer_value(json_object_get(ms, "limit"));
	if (host > 0 && (lim <= 0 || lim > host))
		json_object_set_new(ms, "limit", json_integer(host));
	if (!prev)
		json_decref(json_object_get(out, "precpu_stats"));
	if (!prev)
		json_decref(json_object_get(out, "preread"));
	return out;
}

static const char *const update_keys[] = {
    "CpuShares",     "Memory",	   "MemorySwap", "MemoryReservation", "NanoCpus",    "CpuPeriod",
    "CpuQuota",	     "CpusetCpus", "CpusetMems", "PidsLimit",	      "BlkioWeight", "KernelMemory",
    "RestartPolicy", NULL};

/* Applies the record's HostConfig resources to the running container's cgroup. */
static int apply_resources(struct engine *eng, const char *id, const json_t *hc, struct err *e)
{
	_cleanup_free_ char *rt = container_runtime_root(eng);
	_cleanup_state_ struct container_state *st = state_load(rt, id, e);
	if (!st)
		return -1;
	bool swap_ok = cgroup_host_mode() == CGROUP_MODE_V2 ||
		       fs_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
	_cleanup_json_ json_t *res = ocispec_resources(hc, swap_ok);
	json_object_del(res, "devices");
	struct spec_resources r = {0};
	if (spec_resources_parse(res, "resources", &r, e) < 0)
		return -1;
	struct cgroup *cg = state_cgroup(st, e);
	int ret = cg ? cgroup_apply(cg, &r, e) : -1;
	cgroup_free(cg);
	spec_resources_release(&r);
	return ret;
}

int engine_container_update(struct engine *eng, const char *name, const json_t *body, struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	_cleanup_json_ json_t *hc = json_deep_copy(json_object_get(c->rec, "HostConfig"));
	for (const char *const *k = update_keys; *k; k++) {
		json_t *v = json_object_get(body, *k);
		if (v && !json_is_null(v) && (json_integer_value(v) != 0 || !json_is_integer(v)))
			json_object_set(hc, *k, v);
	}
	_cleanup_json_ json_t *wrapped = json_pack("{s:O}", "HostConfig", hc);
	_cleanup_json_ json_t *checked = container_hostconfig_parse(wrapped, false, e);
	int r = checked ? 0 : -1;
	if (r == 0 && container_running(c))
		r = apply_resources(eng, c->id, hc, e);
	if (r == 0) {
		pthread_mutex_lock(&eng->containers->mu); /* lists copy the record meanwhile */
		json_object_set(c->rec, "HostConfig", hc);
		pthread_mutex_unlock(&eng->containers->mu);
		container_save(eng, c, NULL);
		container_emit(eng, c, "update", NULL);
	}
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}

/* networks: the container's interfaces but lo, from its /proc/<pid>/net/dev. */
json_t *container_stats_networks(pid_t pid)
{
	json_t *out = json_object();
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	_cleanup_free_ char *s = fs_read_file(path, NULL, NULL);
	_cleanup_strv_ char **lines = s ? strv_split(s, "\n") : NULL;
	for (size_t i = 2; lines && lines[0] && lines[1] && lines[i]; i++) {
		char name[64];
		unsigned long long v[16];
		char *colon = strchr(lines[i], ':');
		if (!colon)
			continue;
		*colon = ' ';
		if (sscanf(lines[i],
			   "%63s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", name,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
			   &v[10], &v[11]) != 13 ||
		    !strcmp(name, "lo"))
			continue;
		json_object_set_new(
		    out, name,
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes", v[0],
			      "rx_packets", v[1], "rx_errors", v[2], "rx_dropped", v[3], "tx_bytes",
			      v[8], "tx_packets", v[9], "tx_errors", v[10], "tx_dropped", v[11]));
	}
	return out;
}
