/* cgroup_ops: operations over a whole container cgroup whatever the host: applying limits
 * (with runc's default device rules), freezing, and signalling every member. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

/* runc's AllowedDevices: appended after the spec's rules for every container. */
static const struct {
	struct spec_device_rule rule;
	const char *path; /* dropped when linux.devices defines this path itself */
} default_devices[] = {
    {{true, 'c', -1, -1, "m"}, NULL},	     {{true, 'b', -1, -1, "m"}, NULL},
    {{true, 'c', 1, 3, "rwm"}, "/dev/null"}, {{true, 'c', 1, 8, "rwm"}, "/dev/random"},
    {{true, 'c', 1, 7, "rwm"}, "/dev/full"}, {{true, 'c', 5, 0, "rwm"}, "/dev/tty"},
    {{true, 'c', 1, 5, "rwm"}, "/dev/zero"}, {{true, 'c', 1, 9, "rwm"}, "/dev/urandom"},
    {{true, 'c', 136, -1, "rwm"}, NULL},     {{true, 'c', 5, 2, "rwm"}, NULL},
    {{true, 'c', 10, 200, "rwm"}, NULL},
};

/* The spec's rules followed by the defaults not overridden by one of devs. */
static struct spec_device_rule *merged_rules(const struct spec_device_rule *rules, size_t n,
					     const struct spec_device *devs, size_t ndevs,
					     size_t *out_n)
{
	struct spec_device_rule *all = xcalloc(n + ARRAY_SIZE(default_devices) + 1, sizeof(*all));
	if (n)
		memcpy(all, rules, n * sizeof(*all));
	*out_n = n;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		bool overridden = false;
		for (size_t d = 0; default_devices[i].path && d < ndevs; d++)
			overridden |= str_eq(devs[d].path, default_devices[i].path);
		if (!overridden)
			all[(*out_n)++] = default_devices[i].rule;
	}
	return all;
}

static int apply_raw(struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	if (cg->mode == CGROUP_MODE_V2)
		return cg_v2_apply(cg_dir(cg, ""), r, e);
	if (r->unified && json_object_size(r->unified))
		return err_invalid(e, "invalid configuration: cannot use unified on cgroup v1");
	return cg_v1_apply(cg, r, e);
}

int cgroup_apply(struct cgroup *cg, const struct spec_resources *r, struct err *e)
{
	if (!r->n_devices)
		return apply_raw(cg, r, e);
	struct spec_resources copy = *r;
	_cleanup_free_ struct spec_device_rule *rules =
	    merged_rules(r->devices, r->n_devices, NULL, 0, &copy.n_devices);
	copy.devices = rules;
	return apply_raw(cg, &copy, e);
}

int cgroup_apply_spec(struct cgroup *cg, const struct spec *s, struct err *e)
{
	struct spec_resources copy = {0};
	if (s->has_resources)
		copy = s->resources;
	_cleanup_free_ struct spec_device_rule *rules =
	    merged_rules(copy.devices, copy.n_devices, s->devices, s->n_devices, &copy.n_devices);
	copy.devices = rules;
	return apply_raw(cg, &copy, e);
}

static const char *freezer_dir(const struct cgroup *cg)
{
	return cg->mode == CGROUP_MODE_V2 ? cg_dir(cg, "") : cg_dir(cg, "freezer");
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct err *e)
{
	const char *dir = freezer_dir(cg);
	if (!dir)
		return err_set(e, ERR_UNAVAILABLE, 0,
			       "cannot toggle freezer: cgroups not configured for container");
	if (cg->mode == CGROUP_MODE_V2)
		return cg_v2_freeze(dir, frozen, e);
	return cg_v1_freeze(dir, frozen, e);
}

int cgroup_is_frozen(struct cgroup *cg, struct err *e)
{
	const char *dir = freezer_dir(cg);
	if (!dir)
		return 0;
	if (cg->mode == CGROUP_MODE_V2)
		return cg_v2_is_frozen(dir, e);
	return cg_v1_is_frozen(dir, e);
}

/* As runc's signalAllProcesses: freeze so nobody forks away between listing and
 * signalling, signal every pid, thaw (a paused container ends up running). Without a
 * freezer it still signals, as runc does after its warning. */
int cgroup_kill_all(struct cgroup *cg, int sig, struct err *e)
{
	cgroup_freeze(cg, true, NULL);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_pids(cg, &pids, &n, e);
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH && r == 0)
			r = err_sys(e, "kill %d", (int)pids[i]);
	cgroup_freeze(cg, false, NULL);
	return r;
}
