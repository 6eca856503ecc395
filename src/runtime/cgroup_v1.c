/* cgroup_v1: limits on cgroup v1 hierarchies (memory, cpu, cpuset, pids, blkio, hugetlb,
 * net_cls, devices) written in runc's order, cpuset inheritance, and the v1 freezer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

/* A limit is set but its hierarchy isn't mounted (or wasn't joined). */
static int no_hier(const char *ctl, struct err *e)
{
	return err_set(e, ERR_UNAVAILABLE, 0,
		       "cannot set %s limit: container could not join or create cgroup", ctl);
}

static int set_mem_limit(const char *dir, int64_t v, struct err *e)
{
	struct err tmp = ERR_INIT;
	if (cg_writef(dir, "memory.limit_in_bytes", &tmp, "%lld", (long long)v) == 0)
		return 0;
	uint64_t usage = 0, peak = 0;
	/* EBUSY: below what the cgroup uses now; say so like runc does. */
	if (tmp.errnum == EBUSY && cg_read_u64(dir, "memory.usage_in_bytes", &usage, NULL) == 0 &&
	    cg_read_u64(dir, "memory.max_usage_in_bytes", &peak, NULL) == 0)
		return err_set(e, ERR_INVALID, EBUSY,
			       "unable to set memory limit to %lld (current usage: %llu, peak "
			       "usage: %llu)",
			       (long long)v, (unsigned long long)usage, (unsigned long long)peak);
	if (e)
		*e = tmp;
	return -1;
}

/* memsw must stay >= limit at every step, so the write order depends on the direction. */
static int v1_memory_swap(const char *dir, const struct spec_resources *r, struct err *e)
{
	int64_t mem = r->has_mem_limit ? r->mem_limit : 0;
	int64_t swap = r->has_mem_swap ? r->mem_swap : 0;
	if (mem == -1 && swap == 0 && cg_exists(dir, "memory.memsw.limit_in_bytes"))
		swap = -1; /* unlimited memory means unlimited swap too */
	bool swap_first = false;
	if (mem && swap) {
		uint64_t cur;
		if (cg_read_u64(dir, "memory.limit_in_bytes", &cur, e) < 0)
			return -1;
		swap_first = swap == -1 || cur < (uint64_t)swap;
	}
	if (swap && swap_first &&
	    cg_writef(dir, "memory.memsw.limit_in_bytes", e, "%lld", (long long)swap) < 0)
		return -1;
	if (mem && set_mem_limit(dir, mem, e) < 0)
		return -1;
	if (swap && !swap_first &&
	    cg_writef(dir, "memory.memsw.limit_in_bytes", e, "%lld", (long long)swap) < 0)
		return -1;
	return 0;
}

/* Kernel memory limits are ignored, as runc 1.1 does (the kernel dropped them). */
static int v1_memory(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	bool any = (r->has_mem_limit && r->mem_limit) || (r->has_mem_swap && r->mem_swap) ||
		   (r->has_mem_reservation && r->mem_reservation) ||
		   (r->has_disable_oom_killer && r->disable_oom_killer) ||
		   (r->has_mem_swappiness && (int64_t)r->mem_swappiness != -1);
	const char *dir = cg_dir(cg, "memory");
	if (!any)
		return 0;
	if (!dir)
		return no_hier("memory", e);
	if (v1_memory_swap(dir, r, e) < 0)
		return -1;
	if (r->has_mem_reservation && r->mem_reservation &&
	    cg_writef(dir, "memory.soft_limit_in_bytes", e, "%lld", (long long)r->mem_reservation) <
		0)
		return -1;
	if (r->has_disable_oom_killer && r->disable_oom_killer &&
	    cg_write(dir, "memory.oom_control", "1", e) < 0)
		return -1;
	if (!r->has_mem_swappiness || (int64_t)r->mem_swappiness == -1)
		return 0;
	if (r->mem_swappiness > 100)
		return err_invalid(e,
				   "invalid memory swappiness value: %llu (valid range is 0-100)",
				   (unsigned long long)r->mem_swappiness);
	return cg_writef(dir, "memory.swappiness", e, "%llu",
			 (unsigned long long)r->mem_swappiness);
}

static int v1_cpu_shares(const char *dir, uint64_t shares, struct err *e)
{
	uint64_t got;
	if (cg_writef(dir, "cpu.shares", e, "%llu", (unsigned long long)shares) < 0 ||
	    cg_read_u64(dir, "cpu.shares", &got, e) < 0)
		return -1;
	/* The kernel clamps silently; runc reports the bound instead. */
	if (shares > got)
		return err_invalid(e, "the maximum allowed cpu-shares is %llu",
				   (unsigned long long)got);
	if (shares < got)
		return err_invalid(e, "the minimum allowed cpu-shares is %llu",
				   (unsigned long long)got);
	return 0;
}

/* A new period may be refused (EINVAL) against the old quota under a parent's limit;
 * then it goes in after the quota. */
static int v1_cpu_bandwidth(const char *dir, const struct spec_resources *r, struct err *e)
{
	bool quota = r->has_cpu_quota && r->cpu_quota != 0;
	bool late_period = false;
	if (r->has_cpu_period && r->cpu_period) {
		struct err tmp = ERR_INIT;
		if (cg_writef(dir, "cpu.cfs_period_us", &tmp, "%llu",
			      (unsigned long long)r->cpu_period) < 0) {
			if (tmp.errnum != EINVAL || !quota) {
				if (e)
					*e = tmp;
				return -1;
			}
			late_period = true;
		}
	}
	if (quota && cg_writef(dir, "cpu.cfs_quota_us", e, "%lld", (long long)r->cpu_quota) < 0)
		return -1;
	if (late_period &&
	    cg_writef(dir, "cpu.cfs_period_us", e, "%llu", (unsigned long long)r->cpu_period) < 0)
		return -1;
	if (r->has_cpu_burst &&
	    cg_writef(dir, "cpu.cfs_burst_us", e, "%llu", (unsigned long long)r->cpu_burst) < 0)
		return -1;
	if (r->has_cpu_idle && cg_writef(dir, "cpu.idle", e, "%lld", (long long)r->cpu_idle) < 0)
		return -1;
	return 0;
}

static int v1_cpu(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	bool any =
	    (r->has_cpu_shares && r->cpu_shares) || (r->has_cpu_quota && r->cpu_quota) ||
	    (r->has_cpu_period && r->cpu_period) || (r->has_cpu_rt_period && r->cpu_rt_period) ||
	    (r->has_cpu_rt_runtime && r->cpu_rt_runtime) || r->has_cpu_burst || r->has_cpu_idle;
	const char *dir = cg_dir(cg, "cpu");
	if (!any)
		return 0;
	if (!dir)
		return no_hier("cpu", e);
	if (r->has_cpu_shares && r->cpu_shares && v1_cpu_shares(dir, r->cpu_shares, e) < 0)
		return -1;
	if (v1_cpu_bandwidth(dir, r, e) < 0)
		return -1;
	if (r->has_cpu_rt_period && r->cpu_rt_period &&
	    cg_writef(dir, "cpu.rt_period_us", e, "%llu", (unsigned long long)r->cpu_rt_period) < 0)
		return -1;
	if (r->has_cpu_rt_runtime && r->cpu_rt_runtime &&
	    cg_writef(dir, "cpu.rt_runtime_us", e, "%lld", (long long)r->cpu_rt_runtime) < 0)
		return -1;
	return 0;
}

static int v1_cpuset(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	bool cpus = r->cpu_cpus && *r->cpu_cpus, mems = r->cpu_mems && *r->cpu_mems;
	const char *dir = cg_dir(cg, "cpuset");
	if (!cpus && !mems)
		return 0;
	if (!dir)
		return no_hier("cpuset", e);
	if (cpus && cg_write(dir, "cpuset.cpus", r->cpu_cpus, e) < 0)
		return -1;
	if (mems && cg_write(dir, "cpuset.mems", r->cpu_mems, e) < 0)
		return -1;
	return 0;
}

static int v1_pids(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	const char *dir = cg_dir(cg, "pids");
	if (!r->has_pids_limit)
		return 0;
	if (!dir)
		return no_hier("pids", e);
	if (r->pids_limit <= 0)
		return cg_write(dir, "pids.max", "max", e);
	return cg_writef(dir, "pids.max", e, "%lld", (long long)r->pids_limit);
}

static int write_throttle(const char *dir, const char *file, const struct spec_throttle_device *t,
			  size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		if (cg_writef(dir, file, e, "%lld:%lld %llu", (long long)t[i].major,
			      (long long)t[i].minor, (unsigned long long)t[i].rate) < 0)
			return -1;
	return 0;
}

/* Weights go to blkio.weight, or blkio.bfq.weight where CFQ is gone. */
static int v1_blkio_weights(const char *dir, const struct spec_resources *r, struct err *e)
{
	bool cfq = cg_exists(dir, "blkio.weight");
	const char *wfile = cfq ? "blkio.weight" : "blkio.bfq.weight";
	const char *wdfile = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
	if (r->has_blkio_weight && r->blkio_weight &&
	    cg_writef(dir, wfile, e, "%u", (unsigned)r->blkio_weight) < 0)
		return -1;
	if (r->has_blkio_leaf_weight && r->blkio_leaf_weight &&
	    cg_writef(dir, "blkio.leaf_weight", e, "%u", (unsigned)r->blkio_leaf_weight) < 0)
		return -1;
	for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
		const struct spec_weight_device *w = &r->blkio_weight_devices[i];
		if (w->has_weight && w->weight &&
		    cg_writef(dir, wdfile, e, "%lld:%lld %u", (long long)w->major,
			      (long long)w->minor, (unsigned)w->weight) < 0)
			return -1;
		if (w->has_leaf_weight && w->leaf_weight &&
		    cg_writef(dir, "blkio.leaf_weight_device", e, "%lld:%lld %u",
			      (long long)w->major, (long long)w->minor,
			      (unsigned)w->leaf_weight) < 0)
			return -1;
	}
	return 0;
}

static int v1_blkio(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	bool any = r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_devices ||
		   r->n_throttle_read_bps || r->n_throttle_write_bps || r->n_throttle_read_iops ||
		   r->n_throttle_write_iops;
	const char *dir = cg_dir(cg, "blkio");
	if (!any)
		return 0;
	if (!dir)
		return no_hier("blkio", e);
	if (v1_blkio_weights(dir, r, e) < 0 ||
	    write_throttle(dir, "blkio.throttle.read_bps_device", r->throttle_read_bps,
			   r->n_throttle_read_bps, e) < 0 ||
	    write_throttle(dir, "blkio.throttle.write_bps_device", r->throttle_write_bps,
			   r->n_throttle_write_bps, e) < 0 ||
	    write_throttle(dir, "blkio.throttle.read_iops_device", r->throttle_read_iops,
			   r->n_throttle_read_iops, e) < 0 ||
	    write_throttle(dir, "blkio.throttle.write_iops_device", r->throttle_write_iops,
			   r->n_throttle_write_iops, e) < 0)
		return -1;
	return 0;
}

static int v1_misc(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	const char *hug = cg_dir(cg, "hugetlb"), *cls = cg_dir(cg, "net_cls");
	if (r->n_hugepage_limits && !hug)
		return no_hier("hugetlb", e);
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		_cleanup_free_ char *f =
		    str_printf("hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
		if (cg_writef(hug, f, e, "%llu", (unsigned long long)r->hugepage_limits[i].limit) <
		    0)
			return -1;
	}
	if (!r->has_network_class_id || !r->network_class_id)
		return 0;
	if (!cls)
		return no_hier("net_cls", e);
	return cg_writef(cls, "net_cls.classid", e, "%u", (unsigned)r->network_class_id);
}

/* One rule per write, as the kernel parses them; each file is opened once (opening a
 * cgroup file costs more than the write: a container has a dozen default rules). */
static int write_dev_rules(const char *dir, const struct spec_device_rule *rules, size_t n,
			   struct err *e)
{
	int fds[2] = {-1, -1};
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		const char *file = rules[i].allow ? "devices.allow" : "devices.deny";
		int *fd = &fds[rules[i].allow ? 1 : 0];
		char buf[64];
		cg_dev_rule_string(&rules[i], buf, sizeof(buf));
		_cleanup_free_ char *p = path_join(dir, file);
		if (*fd < 0)
			*fd = open(p, O_WRONLY | O_CLOEXEC);
		ssize_t w = -1;
		if (*fd >= 0)
			do
				w = write(*fd, buf, strlen(buf));
			while (w < 0 && errno == EINTR);
		if (w < 0)
			ret = err_sys(e, "write %s to %s", buf, p);
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/* Writes only the difference between devices.list and the target, so a running container
 * never loses access to a device it keeps (runc's "minimal transition"). */
static int v1_devices(const struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	const char *dir = cg_dir(cg, "devices");
	if (!r->n_devices)
		return 0;
	if (!dir)
		return no_hier("devices", e);
	struct cg_dev_emu cur = {0}, target = {0}, after = {0};
	_cleanup_free_ char *list = cg_read(dir, "devices.list", e);
	if (!list || cg_dev_emu_build(&target, r->devices, r->n_devices, e) < 0)
		return -1;
	int ret = cg_dev_emu_from_list(&cur, list, e);
	_cleanup_free_ struct spec_device_rule *rules = NULL;
	size_t n = 0;
	if (ret == 0)
		cg_dev_emu_transition(&cur, &target, &rules, &n);
	if (ret == 0)
		ret = write_dev_rules(dir, rules, n, e);
	free(list);
	list = ret == 0 ? cg_read(dir, "devices.list", e) : NULL;
	if (ret == 0 && (!list || cg_dev_emu_from_list(&after, list, e) < 0))
		ret = -1;
	if (ret == 0 &&
	    (target.default_allow ? !after.default_allow : !cg_dev_emu_equal(&after, &target)))
		ret = err_set(e, ERR_INTERNAL, 0,
			      "%s: resulting devices cgroup doesn't precisely match target", dir);
	cg_dev_emu_release(&cur);
	cg_dev_emu_release(&target);
	cg_dev_emu_release(&after);
	return ret;
}

int cg_v1_apply(struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	/* cpuset and devices first, like runc's subsystem order. */
	if (v1_cpuset(cg, r, e) < 0 || v1_devices(cg, r, e) < 0 || v1_memory(cg, r, e) < 0 ||
	    v1_cpu(cg, r, e) < 0 || v1_pids(cg, r, e) < 0 || v1_blkio(cg, r, e) < 0 ||
	    v1_misc(cg, r, e) < 0)
		return -1;
	return 0;
}

/* Copies cpuset.cpus/mems from the parent into every empty level from the root down. */
int cg_v1_cpuset_inherit(const char *mountpoint, const char *dir, struct err *e)
{
	size_t ml = strlen(mountpoint);
	_cleanup_free_ char *p = str_dup(dir);
	for (char *s = p + ml + 1; s <= p + strlen(dir); s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		_cleanup_free_ char *parent = str_ndup(p, (size_t)(strrchr(p, '/') - p));
		for (int i = 0; i < 2; i++) {
			const char *f = i ? "cpuset.mems" : "cpuset.cpus";
			_cleanup_free_ char *mine = cg_read(p, f, e);
			_cleanup_free_ char *theirs = mine && !*mine ? cg_read(parent, f, e) : NULL;
			if (!mine || (!*mine && (!theirs || cg_write(p, f, theirs, e) < 0)))
				return -1;
		}
		*s = c;
	}
	return 0;
}

static void sleep_us(long us)
{
	struct timespec ts = {0, us * 1000L};
	nanosleep(&ts, NULL);
}

/* Tasks can keep a cgroup in FREEZING (e.g. in vfork); runc nudges it with THAWED now and
 * then and gives up after 1000 tries. */
int cg_v1_freeze(const char *dir, bool frozen, struct err *e)
{
	if (!frozen)
		return cg_write(dir, "freezer.state", "THAWED", e);
	for (int i = 0; i < 1000; i++) {
		if (i % 50 == 49) {
			cg_write(dir, "freezer.state", "THAWED", NULL);
			sleep_us(10000);
		}
		if (cg_write(dir, "freezer.state", "FROZEN", e) < 0)
			break;
		if (i % 25 == 24)
			sleep_us(10);
		_cleanup_free_ char *st = cg_read(dir, "freezer.state", e);
		if (!st)
			break;
		if (!strcmp(st, "FROZEN"))
			return 0;
		if (strcmp(st, "FREEZING")) {
			err_set(e, ERR_INTERNAL, 0, "unexpected state %s while freezing", st);
			break;
		}
		if (i == 999)
			err_set(e, ERR_INTERNAL, EBUSY, "unable to freeze %s", dir);
	}
	cg_write(dir, "freezer.state", "THAWED", NULL);
	return -1;
}

int cg_v1_is_frozen(const char *dir, struct err *e)
{
	for (;;) {
		struct err tmp = ERR_INIT;
		_cleanup_free_ char *st = cg_read(dir, "freezer.state", &tmp);
		if (!st) {
			if (tmp.errnum == ENOENT || tmp.errnum == ENODEV)
				return 0;
			if (e)
				*e = tmp;
			return -1;
		}
		if (!strcmp(st, "THAWED"))
			return 0;
		if (!strcmp(st, "FREEZING")) {
			sleep_us(1000);
			continue;
		}
		if (strcmp(st, "FROZEN"))
			return err_set(e, ERR_INTERNAL, 0, "unknown freezer.state '%s'", st);
		/* FROZEN only because a parent is: the container itself isn't paused. */
		_cleanup_free_ char *self = cg_read(dir, "freezer.self_freezing", NULL);
		return !self || strcmp(self, "0") ? 1 : 0;
	}
}
