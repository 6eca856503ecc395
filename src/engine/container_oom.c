/* engine/container_oom: OOM kills of a running container as they happen (the cgroup's OOM
 * notification: v1 eventfd, v2 memory.events), so `oom` is published when the kernel acts. */
#include <errno.h>
#include <unistd.h>

#include "engine/container_oom.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/str.h"

/* The notification comes before the kill it announces: v1 signals the eventfd when the
 * cgroup goes out of memory, and the kernel counts oom_kill only once it has chosen and killed
 * a victim (after dumping the task list, which takes a while); v2's memory.events changes for
 * "oom" first too. A counter read right at the wake-up often still shows the old value, and no
 * second notification follows: so the counter is read again for a while. */
#define RECHECK_MS    50
#define RECHECK_TIMES 100 /* 5 s: a loaded machine may take long to finish the kill */
#define RECHECK_START 20  /* 1 s after the watch begins */

int container_oom_open(struct engine *eng, const char *id, struct container_oom *o)
{
	o->cg = NULL;
	o->fd = -1;
	o->count = 0;
	o->rechecks = 0;
	_cleanup_free_ char *rt = container_runtime_root(eng);
	struct err e = ERR_INIT;
	_cleanup_state_ struct container_state *s = container_load(rt, id, NULL, &e);
	if (!s || !(o->cg = state_cgroup(s, &e)))
		return -1;
	o->fd = cgroup_oom_fd(o->cg, &e);
	if (o->fd < 0 || cgroup_oom_count(o->cg, &o->count, &e) < 0) {
		container_oom_close(o);
		return -1;
	}
	/* an OOM announced before the fd was armed may be counted only after the read above */
	o->rechecks = RECHECK_START;
	return o->fd;
}

bool container_oom_fired(struct container_oom *o, bool readable)
{
	if (readable) {
		char buf[4096];
		ssize_t n;
		while ((n = read(o->fd, buf, sizeof(buf))) < 0 && errno == EINTR)
			;
		if (n <= 0) {
			/* the cgroup is gone (v1 signals its removal too): nothing more to watch */
			container_oom_close(o);
			return false;
		}
	}
	uint64_t now = 0;
	if (cgroup_oom_count(o->cg, &now, NULL) < 0) {
		container_oom_close(o);
		return false;
	}
	bool fired = now > o->count;
	o->count = now;
	if (fired)
		o->rechecks = 0;
	else if (readable)
		o->rechecks = RECHECK_TIMES;
	else if (o->rechecks > 0)
		o->rechecks--;
	return fired;
}

int container_oom_timeout(const struct container_oom *o)
{
	return o->fd >= 0 && o->rechecks > 0 ? RECHECK_MS : -1;
}

void container_oom_close(struct container_oom *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->cg)
		cgroup_free(o->cg);
	o->cg = NULL;
}
