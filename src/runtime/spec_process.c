/* spec_process: the "process" object (config.json's, or `exec --process`): args, env,
 * cwd, user, console, capabilities as bitmasks, rlimits, and the LSM/oom settings. */
#include <stdlib.h>
#include <string.h>

#include "runtime/spec.h"
#include "runtime/spec_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static int parse_args_env(const json_t *j, const char *ctx, struct spec_process *p, struct err *e)
{
	if (jx_strv(j, "args", ctx, &p->args, e) < 0)
		return -1;
	if (!p->args || !p->args[0]) {
		_cleanup_free_ char *f = spec_field(ctx, "args");
		return err_invalid(e, "%s: %s, a process needs at least one argument", f,
				   p->args ? "empty" : "missing");
	}
	if (jx_strv(j, "env", ctx, &p->env, e) < 0)
		return -1;
	for (size_t i = 0; p->env && p->env[i]; i++) {
		const char *eq = strchr(p->env[i], '=');
		if (!eq || eq == p->env[i]) {
			_cleanup_free_ char *f = spec_field_index(ctx, "env", i);
			return err_invalid(e, "%s: '%s' is not of the form NAME=value", f,
					   p->env[i]);
		}
	}
	const char *cwd = NULL;
	if (spec_get_str_req(j, "cwd", ctx, &cwd, e) < 0)
		return -1;
	if (cwd[0] != '/') {
		_cleanup_free_ char *f = spec_field(ctx, "cwd");
		return err_invalid(e, "%s: must be an absolute path, got '%s'", f, cwd);
	}
	p->cwd = str_dup(cwd);
	return 0;
}

static int parse_gids(const json_t *u, const char *ctx, struct spec_user *user, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(u, "additionalGids", ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	user->additional_gids = xcalloc(json_array_size(a) + 1, sizeof(gid_t));
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX) {
			_cleanup_free_ char *f = spec_field_index(ctx, "additionalGids", i);
			return err_invalid(e, "%s: expected a gid (0..4294967295)", f);
		}
		user->additional_gids[user->n_additional_gids++] = (gid_t)json_integer_value(v);
	}
	return 0;
}

static int parse_user(const json_t *j, const char *ctx, struct spec_user *user, struct err *e)
{
	json_t *u = NULL;
	_cleanup_free_ char *uctx = spec_field(ctx, "user");
	if (jx_obj(j, "user", ctx, &u, e) < 0)
		return -1;
	uint32_t uid = 0, gid = 0, umask = 0;
	const char *name = NULL;
	if (spec_get_u32(u, "uid", uctx, &uid, NULL, e) < 0 ||
	    spec_get_u32(u, "gid", uctx, &gid, NULL, e) < 0 ||
	    spec_get_u32(u, "umask", uctx, &umask, &user->has_umask, e) < 0 ||
	    jx_str(u, "username", uctx, &name, e) < 0 || parse_gids(u, uctx, user, e) < 0)
		return -1;
	if (umask > 0777) {
		_cleanup_free_ char *f = spec_field(uctx, "umask");
		return err_invalid(e, "%s: %#o is not a umask (at most 0777)", f, umask);
	}
	user->uid = uid;
	user->gid = gid;
	user->umask = umask;
	user->username = name && *name ? str_dup(name) : NULL;
	return 0;
}

static int parse_console(const json_t *j, const char *ctx, struct spec_process *p, struct err *e)
{
	json_t *box = NULL;
	if (jx_bool(j, "terminal", ctx, &p->terminal, e) < 0 ||
	    jx_obj(j, "consoleSize", ctx, &box, e) < 0)
		return -1;
	_cleanup_free_ char *bctx = spec_field(ctx, "consoleSize");
	uint32_t h = 0, w = 0;
	if (spec_get_u32(box, "height", bctx, &h, NULL, e) < 0 ||
	    spec_get_u32(box, "width", bctx, &w, NULL, e) < 0)
		return -1;
	p->console_height = h;
	p->console_width = w;
	return 0;
}

/* One capability set; names known to berth but not to this kernel are dropped, as the
 * kernel could not grant them anyway (runc warns and ignores them too). */
static int parse_cap_set(const json_t *c, const char *key, const char *ctx, uint64_t *mask,
			 struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(c, key, ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	int last = spec_cap_last();
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v) {
		int cap = json_is_string(v) ? spec_cap_from_name(json_string_value(v)) : -1;
		if (cap < 0) {
			_cleanup_free_ char *f = spec_field_index(ctx, key, i);
			if (!json_is_string(v))
				return err_invalid(e, "%s: expected string, got %s", f,
						   jx_type_name(v));
			return err_invalid(e, "%s: unknown capability '%s'", f,
					   json_string_value(v));
		}
		if (cap <= last)
			*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

static int parse_caps(const json_t *j, const char *ctx, struct spec_caps *caps, struct err *e)
{
	json_t *c = NULL;
	if (jx_obj(j, "capabilities", ctx, &c, e) < 0)
		return -1;
	if (!c)
		return 0;
	_cleanup_free_ char *cctx = spec_field(ctx, "capabilities");
	caps->set = true;
	if (parse_cap_set(c, "bounding", cctx, &caps->bounding, e) < 0 ||
	    parse_cap_set(c, "effective", cctx, &caps->effective, e) < 0 ||
	    parse_cap_set(c, "inheritable", cctx, &caps->inheritable, e) < 0 ||
	    parse_cap_set(c, "permitted", cctx, &caps->permitted, e) < 0 ||
	    parse_cap_set(c, "ambient", cctx, &caps->ambient, e) < 0)
		return -1;
	return 0;
}

static int parse_rlimit(const json_t *o, const char *ctx, struct spec_rlimit *rl, struct err *e)
{
	const char *type = NULL;
	if (spec_get_str_req(o, "type", ctx, &type, e) < 0)
		return -1;
	rl->resource = spec_rlimit_from_name(type);
	if (rl->resource < 0) {
		_cleanup_free_ char *f = spec_field(ctx, "type");
		return err_invalid(e, "%s: unknown rlimit '%s'", f, type);
	}
	if (jx_u64(o, "soft", ctx, &rl->soft, NULL, e) < 0 ||
	    jx_u64(o, "hard", ctx, &rl->hard, NULL, e) < 0)
		return -1;
	return 0;
}

static int parse_rlimits(const json_t *j, const char *ctx, struct spec_process *p, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(j, "rlimits", ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	p->rlimits = xcalloc(json_array_size(a) + 1, sizeof(*p->rlimits));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = spec_array_obj(a, i, ctx, "rlimits", e);
		if (!o)
			return -1;
		_cleanup_free_ char *octx = spec_field_index(ctx, "rlimits", i);
		struct spec_rlimit *rl = &p->rlimits[p->n_rlimits];
		if (parse_rlimit(o, octx, rl, e) < 0)
			return -1;
		for (size_t k = 0; k < p->n_rlimits; k++)
			if (p->rlimits[k].resource == rl->resource)
				return err_invalid(e, "%s.type: %s given more than once", octx,
						   spec_rlimit_name(rl->resource));
		p->n_rlimits++;
	}
	return 0;
}

static int parse_security(const json_t *j, const char *ctx, struct spec_process *p, struct err *e)
{
	const char *apparmor = NULL, *selinux = NULL;
	int64_t oom = 0;
	if (jx_bool(j, "noNewPrivileges", ctx, &p->no_new_privileges, e) < 0 ||
	    jx_i64(j, "oomScoreAdj", ctx, &oom, &p->has_oom_score_adj, e) < 0 ||
	    jx_str(j, "apparmorProfile", ctx, &apparmor, e) < 0 ||
	    jx_str(j, "selinuxLabel", ctx, &selinux, e) < 0 ||
	    jx_obj(j, "seccomp", ctx, &p->seccomp, e) < 0)
		return -1;
	if (oom < -1000 || oom > 1000) {
		_cleanup_free_ char *f = spec_field(ctx, "oomScoreAdj");
		return err_invalid(e, "%s: %lld is out of range (-1000..1000)", f, (long long)oom);
	}
	p->oom_score_adj = (int)oom;
	p->apparmor_profile = apparmor && *apparmor ? str_dup(apparmor) : NULL;
	p->selinux_label = selinux && *selinux ? str_dup(selinux) : NULL;
	return 0;
}

int spec_process_parse(const json_t *j, const char *ctx, struct spec_process *p, struct err *e)
{
	memset(p, 0, sizeof(*p));
	if (!j || json_is_null(j))
		return err_invalid(e, "%s: missing, a container needs a process to run",
				   ctx && *ctx ? ctx : "process");
	if (!json_is_object(j))
		return err_invalid(e, "%s: expected object, got %s", ctx && *ctx ? ctx : "process",
				   jx_type_name(j));
	if (parse_args_env(j, ctx, p, e) < 0 || parse_user(j, ctx, &p->user, e) < 0 ||
	    parse_console(j, ctx, p, e) < 0 || parse_caps(j, ctx, &p->caps, e) < 0 ||
	    parse_rlimits(j, ctx, p, e) < 0 || parse_security(j, ctx, p, e) < 0) {
		spec_process_release(p);
		return -1;
	}
	return 0;
}

void spec_process_release(struct spec_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->user.username);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}
