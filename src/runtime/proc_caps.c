/* proc_caps: capability sets of the container process: the bounding set dropped while we
 * still hold CAP_SETPCAP, then effective/permitted/inheritable and the ambient set. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime/proc_priv.h"
#include "util/err.h"

static void cap_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

int proc_cap_last(void)
{
	int n = (int)cap_max_bits();
	if (n <= 0 || n > 64)
		n = CAP_LAST_CAP + 1;
	return n - 1;
}

static bool have_effective(cap_value_t cap)
{
	__attribute__((cleanup(cap_freep))) cap_t cur = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	return cur && cap_get_flag(cur, cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
}

int proc_caps_drop_bounding(uint64_t keep, struct err *e)
{
	/* Without CAP_SETPCAP the set can't shrink; runc leaves it as it is then. */
	if (!have_effective(CAP_SETPCAP))
		return 0;
	int last = proc_cap_last();
	for (int i = 0; i <= last; i++) {
		if (keep & (UINT64_C(1) << i))
			continue;
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
			return err_sys(e, "unable to apply bounding set: dropping capability %d",
				       i);
	}
	return 0;
}

static void set_flag(cap_t c, cap_flag_t flag, uint64_t mask, int last)
{
	for (int i = 0; i <= last; i++) {
		cap_value_t v = i;
		if (mask & (UINT64_C(1) << i))
			cap_set_flag(c, flag, 1, &v, CAP_SET);
	}
}

int proc_caps_apply(const struct spec_caps *caps, struct err *e)
{
	int last = proc_cap_last();
	__attribute__((cleanup(cap_freep))) cap_t c = cap_init();
	if (!c)
		return err_sys(e, "unable to apply caps: cap_init");
	set_flag(c, CAP_EFFECTIVE, caps->effective, last);
	set_flag(c, CAP_PERMITTED, caps->permitted, last);
	set_flag(c, CAP_INHERITABLE, caps->inheritable, last);
	if (cap_set_proc(c) < 0)
		return err_sys(e, "unable to apply caps: capset");
	/* As runc: ambient caps that can't be raised (not both permitted and inheritable,
	 * or a kernel before 4.3) are silently left out. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_sys(e, "unable to apply caps: clearing the ambient set");
	for (int i = 0; i <= last; i++) {
		if (!(caps->ambient & (UINT64_C(1) << i)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0 && errno != EINVAL &&
		    errno != EPERM)
			return err_sys(e, "unable to apply caps: raising ambient capability %d", i);
	}
	return 0;
}
