/* cgroup_v2: limits on the unified hierarchy (runc's v1-to-v2 conversions, the unified map
 * verbatim), enabling controllers down the tree, and the cgroup.freeze freezer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

/* runc enables every available controller on each level above the container. */
int cg_v2_enable_controllers(const char *mountpoint, const char *dir, struct err *e)
{
	_cleanup_free_ char *avail = cg_read(mountpoint, "cgroup.controllers", e);
	if (!avail)
		return -1;
	_cleanup_strv_ char **ctls = strv_split(avail, " ");
	if (!ctls || !*ctls)
		return 0;
	_cleanup_free_ char *joined = strv_join(ctls, " +");
	_cleanup_free_ char *all = str_printf("+%s", joined);
	_cleanup_free_ char *p = str_dup(dir);
	size_t ml = strlen(mountpoint);
	for (char *s = p + ml; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		const char *level = *p ? p : "/";
		/* One at a time when some can't be enabled here (threaded, internal procs). */
		if (cg_write(level, "cgroup.subtree_control", all, NULL) < 0)
			for (char **c = ctls; *c; c++) {
				_cleanup_free_ char *one = str_printf("+%s", *c);
				cg_write(level, "cgroup.subtree_control", one, NULL);
			}
		*s = '/';
	}
	return 0;
}

static void v2_num(int64_t v, char *buf, size_t len)
{
	if (v == -1)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

/* OCI swap is memory+swap; v2's memory.swap.max is swap alone. */
static int v2_swap_value(int64_t swap, int64_t mem, int64_t *out, struct err *e)
{
	if (mem == -1 && swap == 0)
		*out = -1;
	else if (swap == -1 || swap == 0)
		*out = swap;
	else if (mem == 0 || mem == -1)
		return err_invalid(e, "unable to set swap limit without memory limit");
	else if (mem < 0)
		return err_invalid(e, "invalid memory value: %lld", (long long)mem);
	else if (swap < mem)
		return err_invalid(e, "memory+swap limit should be >= memory limit");
	else
		*out = swap - mem;
	return 0;
}

static int v2_memory(const char *dir, const struct spec_resources *r, struct err *e)
{
	int64_t mem = r->has_mem_limit ? r->mem_limit : 0;
	int64_t swap = r->has_mem_swap ? r->mem_swap : 0;
	int64_t low = r->has_mem_reservation ? r->mem_reservation : 0, sw = 0;
	char buf[32];
	if (!mem && !swap && !low)
		return 0;
	if (v2_swap_value(swap, mem, &sw, e) < 0)
		return -1;
	if (sw || swap > 0) {
		v2_num(sw, buf, sizeof(buf));
		if (cg_write(dir, "memory.swap.max", buf, e) < 0)
			return -1;
	}
	if (mem) {
		v2_num(mem, buf, sizeof(buf));
		if (cg_write(dir, "memory.max", buf, e) < 0)
			return -1;
	}
	if (low) {
		v2_num(low, buf, sizeof(buf));
		if (cg_write(dir, "memory.low", buf, e) < 0)
			return -1;
	}
	return 0;
}

/* shares 2..262144 -> weight 1..10000, runc's formula. */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* cpu.max holds quota and period together; a value not given keeps the current one. */
static int v2_cpu_max(const char *dir, const struct spec_resources *r, struct err *e)
{
	char quota[32] = "max";
	unsigned long long period = 100000;
	_cleanup_free_ char *cur = cg_read(dir, "cpu.max", NULL);
	if (cur)
		sscanf(cur, "%31s %llu", quota, &period);
	if (r->has_cpu_quota && r->cpu_quota) {
		if (r->cpu_quota > 0)
			snprintf(quota, sizeof(quota), "%lld", (long long)r->cpu_quota);
		else
			snprintf(quota, sizeof(quota), "max");
	}
	if (r->has_cpu_period && r->cpu_period)
		period = r->cpu_period;
	return cg_writef(dir, "cpu.max", e, "%s %llu", quota, period);
}

static int v2_cpu(const char *dir, const struct spec_resources *r, struct err *e)
{
	if (r->has_cpu_shares && r->cpu_shares &&
	    cg_writef(dir, "cpu.weight", e, "%llu",
		      (unsigned long long)shares_to_weight(r->cpu_shares)) < 0)
		return -1;
	if (((r->has_cpu_quota && r->cpu_quota) || (r->has_cpu_period && r->cpu_period)) &&
	    v2_cpu_max(dir, r, e) < 0)
		return -1;
	if (r->has_cpu_burst &&
	    cg_writef(dir, "cpu.max.burst", e, "%llu", (unsigned long long)r->cpu_burst) < 0)
		return -1;
	if (r->has_cpu_idle && cg_writef(dir, "cpu.idle", e, "%lld", (long long)r->cpu_idle) < 0)
		return -1;
	if (r->cpu_cpus && *r->cpu_cpus && cg_write(dir, "cpuset.cpus", r->cpu_cpus, e) < 0)
		return -1;
	if (r->cpu_mems && *r->cpu_mems && cg_write(dir, "cpuset.mems", r->cpu_mems, e) < 0)
		return -1;
	return 0;
}

static int io_max(const char *dir, const char *key, const struct spec_throttle_device *t, size_t n,
		  struct err *e)
{
	for (size_t i = 0; i < n; i++)
		if (cg_writef(dir, "io.max", e, "%lld:%lld %s=%llu", (long long)t[i].major,
			      (long long)t[i].minor, key, (unsigned long long)t[i].rate) < 0)
			return -1;
	return 0;
}

/* BFQ takes the v1 weight as is; io.weight needs 10..1000 mapped onto 1..10000. Per-device
 * BFQ weights need a kernel whose io.bfq.weight shows "default N". */
static int v2_io_weight(const char *dir, const struct spec_resources *r, struct err *e)
{
	bool bfq = cg_exists(dir, "io.bfq.weight");
	if (r->has_blkio_weight && r->blkio_weight) {
		uint64_t w = r->blkio_weight;
		if (!bfq)
			w = 1 + ((w < 10 ? 10 : w) - 10) * 9999 / 990;
		if (cg_writef(dir, bfq ? "io.bfq.weight" : "io.weight", e, "%llu",
			      (unsigned long long)w) < 0)
			return -1;
	}
	_cleanup_free_ char *cur = bfq ? cg_read(dir, "io.bfq.weight", NULL) : NULL;
	if (!cur || !str_has_prefix(cur, "default"))
		return 0;
	for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
		const struct spec_weight_device *w = &r->blkio_weight_devices[i];
		if (w->has_weight && w->weight &&
		    cg_writef(dir, "io.bfq.weight", e, "%lld:%lld %u", (long long)w->major,
			      (long long)w->minor, (unsigned)w->weight) < 0)
			return -1;
	}
	return 0;
}

static int v2_io(const char *dir, const struct spec_resources *r, struct err *e)
{
	if (v2_io_weight(dir, r, e) < 0 ||
	    io_max(dir, "rbps", r->throttle_read_bps, r->n_throttle_read_bps, e) < 0 ||
	    io_max(dir, "wbps", r->throttle_write_bps, r->n_throttle_write_bps, e) < 0 ||
	    io_max(dir, "riops", r->throttle_read_iops, r->n_throttle_read_iops, e) < 0 ||
	    io_max(dir, "wiops", r->throttle_write_iops, r->n_throttle_write_iops, e) < 0)
		return -1;
	return 0;
}

static int v2_misc(const char *dir, const struct spec_resources *r, struct err *e)
{
	if (r->has_pids_limit) {
		int rc = r->pids_limit <= 0
			     ? cg_write(dir, "pids.max", "max", e)
			     : cg_writef(dir, "pids.max", e, "%lld", (long long)r->pids_limit);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		_cleanup_free_ char *f =
		    str_printf("hugetlb.%s.max", r->hugepage_limits[i].page_size);
		if (cg_writef(dir, f, e, "%llu", (unsigned long long)r->hugepage_limits[i].limit) <
		    0)
			return -1;
	}
	return 0;
}

static int v2_unified_one(const char *dir, const char *key, const char *val, struct err *e)
{
	if (strchr(key, '/'))
		return err_invalid(e, "unified resource \"%s\" must be a file name (no slashes)",
				   key);
	struct err tmp = ERR_INIT;
	if (cg_write(dir, key, val, &tmp) == 0)
		return 0;
	const char *dot = strchr(key, '.');
	if (tmp.errnum == EPERM || tmp.errnum == ENOENT) {
		if (!dot)
			return err_invalid(e,
					   "unified resource \"%s\" must be in the form "
					   "CONTROLLER.PARAMETER",
					   key);
		_cleanup_free_ char *ctl = str_ndup(key, (size_t)(dot - key));
		_cleanup_free_ char *have = cg_read(dir, "cgroup.controllers", NULL);
		_cleanup_strv_ char **list = have ? strv_split(have, " ") : NULL;
		bool found = !strcmp(ctl, "cgroup");
		for (char **c = list; !found && c && *c; c++)
			found = !strcmp(*c, ctl);
		if (!found)
			return err_invalid(
			    e,
			    "unified resource \"%s\" can't be set: controller \"%s\" "
			    "not available",
			    key, ctl);
	}
	if (e)
		*e = tmp;
	return err_wrap(e, "unable to set unified resource \"%s\"", key);
}

int cg_v2_apply(const char *dir, const struct spec_resources *r, struct err *e)
{
	if (!dir)
		return err_set(e, ERR_UNAVAILABLE, 0, "cgroup v2 hierarchy not found");
	if (v2_misc(dir, r, e) < 0 || v2_memory(dir, r, e) < 0 || v2_io(dir, r, e) < 0 ||
	    v2_cpu(dir, r, e) < 0)
		return -1;
	if (r->n_devices && cg_v2_devices_apply(dir, r->devices, r->n_devices, e) < 0)
		return -1;
	const char *key;
	json_t *val;
	json_object_foreach (r->unified, key, val) {
		const char *s = json_string_value(val);
		if (!s)
			return err_invalid(e, "linux.resources.unified.%s: expected a string", key);
		if (v2_unified_one(dir, key, s, e) < 0)
			return -1;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* cgroup.freeze says what was asked; cgroup.events "frozen 1" says it is done. */
static int wait_frozen(const char *dir, struct err *e)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t v = 0;
		struct err tmp = ERR_INIT;
		if (cg_read_key(dir, "cgroup.events", "frozen", &v, &tmp) < 0) {
			/* Without a "frozen" key, cgroup.freeze is all the kernel tells. */
			if (tmp.kind == ERR_NOT_FOUND)
				return 1;
			if (e)
				*e = tmp;
			return -1;
		}
		if (v == 1)
			return 1;
		sleep_ms(10);
	}
	return err_set(e, ERR_INTERNAL, ETIMEDOUT,
		       "timeout of 10s reached waiting for the cgroup %s to freeze", dir);
}

int cg_v2_freeze(const char *dir, bool frozen, struct err *e)
{
	if (!cg_exists(dir, "cgroup.freeze"))
		return frozen ? err_set(e, ERR_UNAVAILABLE, ENOENT,
					"freezer not supported: %s/cgroup.freeze missing", dir)
			      : 0;
	if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", e) < 0)
		return -1;
	if (!frozen)
		return 0;
	if (wait_frozen(dir, e) < 0) {
		cg_write(dir, "cgroup.freeze", "0", NULL);
		return -1;
	}
	return 0;
}

int cg_v2_is_frozen(const char *dir, struct err *e)
{
	struct err tmp = ERR_INIT;
	_cleanup_free_ char *s = cg_read(dir, "cgroup.freeze", &tmp);
	if (!s) {
		if (tmp.errnum == ENOENT || tmp.errnum == ENODEV)
			return 0;
		if (e)
			*e = tmp;
		return -1;
	}
	if (!strcmp(s, "0"))
		return 0;
	if (strcmp(s, "1"))
		return err_set(e, ERR_INTERNAL, 0, "unknown cgroup.freeze state '%s'", s);
	return wait_frozen(dir, e);
}
