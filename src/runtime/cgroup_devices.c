/* cgroup_devices: the devices cgroup v1 model (a default plus exceptions), used to turn
 * rule lists into minimal v1 transitions and v2 BPF programs; runc's default devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

unsigned cg_dev_perms(const char *access)
{
	unsigned p = 0;
	for (const char *c = access; *c; c++)
		p |= *c == 'r' ? CG_DEV_R : *c == 'w' ? CG_DEV_W : *c == 'm' ? CG_DEV_M : 0;
	return p;
}

static void perms_string(unsigned p, char out[4])
{
	size_t n = 0;
	if (p & CG_DEV_R)
		out[n++] = 'r';
	if (p & CG_DEV_W)
		out[n++] = 'w';
	if (p & CG_DEV_M)
		out[n++] = 'm';
	out[n] = '\0';
}

static void num_string(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "*");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

void cg_dev_rule_string(const struct spec_device_rule *r, char *buf, size_t len)
{
	char maj[24], min[24];
	num_string(r->type == 'a' ? -1 : r->major, maj, sizeof(maj));
	num_string(r->type == 'a' ? -1 : r->minor, min, sizeof(min));
	snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, r->access);
}

void cg_dev_emu_release(struct cg_dev_emu *m)
{
	free(m->exc);
	m->exc = NULL;
	m->n = 0;
}

static struct cg_dev_exc *emu_find(const struct cg_dev_emu *m, char type, int64_t maj, int64_t min)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->exc[i].type == type && m->exc[i].major == maj && m->exc[i].minor == min)
			return &m->exc[i];
	return NULL;
}

static void emu_add(struct cg_dev_emu *m, const struct cg_dev_exc *x)
{
	struct cg_dev_exc *old = emu_find(m, x->type, x->major, x->minor);
	if (old) {
		old->perms |= x->perms;
		return;
	}
	m->exc = xrealloc(m->exc, (m->n + 1) * sizeof(*m->exc));
	m->exc[m->n++] = *x;
}

/* The kernel removes an exception only on an exact match; a rule that would have to punch
 * a hole into a wildcard exception can't be expressed on v1, so runc refuses it. */
static int emu_rm(struct cg_dev_emu *m, const struct cg_dev_exc *x, struct err *e)
{
	const int64_t wild[3][2] = {{-1, x->minor}, {x->major, -1}, {-1, -1}};
	for (size_t i = 0; i < 3; i++) {
		if (wild[i][0] == x->major && wild[i][1] == x->minor)
			continue;
		const struct cg_dev_exc *w = emu_find(m, x->type, wild[i][0], wild[i][1]);
		if (w && (w->perms & x->perms))
			return err_invalid(e,
					   "device rule %c %lld:%lld is not supported by devices "
					   "cgroup v1 (cannot punch a hole in a wildcard rule)",
					   x->type, (long long)x->major, (long long)x->minor);
	}
	struct cg_dev_exc *old = emu_find(m, x->type, x->major, x->minor);
	if (old && !(old->perms &= ~x->perms))
		*old = m->exc[--m->n];
	return 0;
}

int cg_dev_emu_apply(struct cg_dev_emu *m, const struct spec_device_rule *r, struct err *e)
{
	if (r->type == 'a') {
		cg_dev_emu_release(m);
		m->default_allow = r->allow;
		return 0;
	}
	if (r->type != 'c' && r->type != 'b')
		return err_invalid(e, "device rule type '%c' can't be used in a cgroup", r->type);
	struct cg_dev_exc x = {r->type, r->major < 0 ? -1 : r->major, r->minor < 0 ? -1 : r->minor,
			       cg_dev_perms(r->access)};
	if (!x.perms)
		return err_invalid(e, "device rule %c: empty access", r->type);
	/* An allow in allow-by-default mode lifts a deny exception, and vice versa. */
	if (r->allow == m->default_allow)
		return emu_rm(m, &x, e);
	emu_add(m, &x);
	return 0;
}

int cg_dev_emu_build(struct cg_dev_emu *m, const struct spec_device_rule *rules, size_t n,
		     struct err *e)
{
	*m = (struct cg_dev_emu){0};
	for (size_t i = 0; i < n; i++)
		if (cg_dev_emu_apply(m, &rules[i], e) < 0) {
			cg_dev_emu_release(m);
			return err_wrap(e, "linux.resources.devices[%zu]", i);
		}
	return 0;
}

/* devices.list: "a *:* rwm" when everything is allowed, else the allowed exceptions. */
int cg_dev_emu_from_list(struct cg_dev_emu *m, const char *list, struct err *e)
{
	*m = (struct cg_dev_emu){0};
	_cleanup_strv_ char **lines = strv_split(list, "\n");
	for (char **l = lines; l && *l; l++) {
		char type, maj[24], min[24], acc[8];
		if (sscanf(*l, "%c %23[^:]:%23s %7s", &type, maj, min, acc) != 4) {
			cg_dev_emu_release(m);
			return err_set(e, ERR_INTERNAL, 0, "devices.list: malformed rule '%s'", *l);
		}
		struct spec_device_rule r = {.allow = true, .type = type};
		r.major = maj[0] == '*' ? -1 : strtoll(maj, NULL, 10);
		r.minor = min[0] == '*' ? -1 : strtoll(min, NULL, 10);
		snprintf(r.access, sizeof(r.access), "%.3s", acc);
		if (cg_dev_emu_apply(m, &r, e) < 0) {
			cg_dev_emu_release(m);
			return -1;
		}
	}
	return 0;
}

/* Stable order (major, minor, type; wildcards first) so transitions are reproducible. */
static int exc_cmp(const void *a, const void *b)
{
	const struct cg_dev_exc *x = a, *y = b;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return (x->type > y->type) - (x->type < y->type);
}

static void push_rule(struct spec_device_rule **out, size_t *n, const struct cg_dev_exc *x,
		      unsigned perms, bool allow)
{
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	struct spec_device_rule *r = &(*out)[(*n)++];
	*r = (struct spec_device_rule){
	    .allow = allow, .type = x->type, .major = x->major, .minor = x->minor};
	perms_string(perms, r->access);
}

void cg_dev_emu_transition(const struct cg_dev_emu *cur, const struct cg_dev_emu *target,
			   struct spec_device_rule **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct cg_dev_emu old = {.default_allow = cur->default_allow};
	/* Allow-all can't be narrowed without a reset, nor can the default be switched. */
	bool reset = cur->default_allow || cur->default_allow != target->default_allow;
	if (reset) {
		*out = xcalloc(1, sizeof(**out));
		**out = (struct spec_device_rule){.allow = target->default_allow,
						  .type = 'a',
						  .major = -1,
						  .minor = -1,
						  .access = "rwm"};
		*n = 1;
	} else {
		old.exc = cur->exc;
		old.n = cur->n;
	}
	_cleanup_free_ struct cg_dev_exc *o = xcalloc(old.n + 1, sizeof(*o));
	_cleanup_free_ struct cg_dev_exc *t = xcalloc(target->n + 1, sizeof(*t));
	memcpy(o, old.exc ? old.exc : o, old.n * sizeof(*o));
	memcpy(t, target->exc ? target->exc : t, target->n * sizeof(*t));
	qsort(o, old.n, sizeof(*o), exc_cmp);
	qsort(t, target->n, sizeof(*t), exc_cmp);
	/* Drop what goes away first, then add what is new: never more open than either. */
	for (size_t i = 0; i < old.n; i++) {
		const struct cg_dev_exc *nw = emu_find(target, o[i].type, o[i].major, o[i].minor);
		unsigned dropped = o[i].perms & ~(nw ? nw->perms : 0);
		if (dropped)
			push_rule(out, n, &o[i], dropped, target->default_allow);
	}
	for (size_t i = 0; i < target->n; i++) {
		const struct cg_dev_exc *ol = emu_find(&old, t[i].type, t[i].major, t[i].minor);
		unsigned gained = t[i].perms & ~(ol ? ol->perms : 0);
		if (gained)
			push_rule(out, n, &t[i], gained, !target->default_allow);
	}
}

bool cg_dev_emu_equal(const struct cg_dev_emu *a, const struct cg_dev_emu *b)
{
	if (a->default_allow != b->default_allow || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct cg_dev_exc *x =
		    emu_find(b, a->exc[i].type, a->exc[i].major, a->exc[i].minor);
		if (!x || x->perms != a->exc[i].perms)
			return false;
	}
	return true;
}
