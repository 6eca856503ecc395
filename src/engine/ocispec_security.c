/* engine/ocispec_security: HostConfig.SecurityOpt as dockerd reads it (seccomp=, no-new-privileges,
 * label, apparmor), checked at create and applied to the OCI config at start: the seccomp
 * profile (Docker's default unless unconfined, custom or privileged) and no_new_privs. */
#include <string.h>

#include "engine/ocispec.h"
#include "engine/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct security_opts {
	bool no_new_privs;
	const char *seccomp; /* NULL or "builtin": the default; "unconfined"; else a profile */
};

/* One "key=value" (or the deprecated "key:value") option. */
static int parse_kv(const char *opt, struct security_opts *o, struct err *e)
{
	size_t k = strcspn(opt, strchr(opt, '=') ? "=" : ":");
	if (!opt[k])
		return err_invalid(e, "invalid --security-opt 1: \"%s\"", opt);
	const char *v = opt + k + 1;
	if (k == 5 && !strncmp(opt, "label", 5))
		return 0;
	if (k == 8 && !strncmp(opt, "apparmor", 8))
		return 0;
	if (k == 7 && !strncmp(opt, "seccomp", 7)) {
		o->seccomp = v;
		return 0;
	}
	if (k == 17 && !strncmp(opt, "no-new-privileges", 17)) {
		/* Go's strconv.ParseBool */
		static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
		static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (str_eq(v, yes[i]) || str_eq(v, no[i])) {
				o->no_new_privs = str_eq(v, yes[i]);
				return 0;
			}
		}
	}
	return err_invalid(e, "invalid --security-opt 2: \"%s\"", opt);
}

static int security_parse(const json_t *hc, struct security_opts *o, struct err *e)
{
	*o = (struct security_opts){0};
	json_t *opts = json_object_get(hc, "SecurityOpt"), *v;
	size_t i;
	if (opts && !json_is_null(opts) && !json_is_array(opts))
		return err_invalid(e, "HostConfig.SecurityOpt: expected an array of strings");
	json_array_foreach (opts, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			return err_invalid(e, "HostConfig.SecurityOpt[%zu]: expected a string", i);
		if (!strcmp(s, "no-new-privileges"))
			o->no_new_privs = true;
		else if (strcmp(s, "disable") != 0 && parse_kv(s, o, e) < 0)
			return -1;
	}
	return 0;
}

static bool custom_profile(const struct security_opts *o)
{
	return o->seccomp && *o->seccomp && strcmp(o->seccomp, "builtin") != 0 &&
	       strcmp(o->seccomp, "unconfined") != 0;
}

int ocispec_security_check(const json_t *hc, struct err *e)
{
	struct security_opts o;
	if (security_parse(hc, &o, e) < 0)
		return -1;
	return custom_profile(&o) ? seccomp_profile_check(o.seccomp, e) : 0;
}

/* The bounding set the process section ended up with (after CapAdd/CapDrop/Privileged). */
static char **bounding_caps(const json_t *spec)
{
	char **caps = xcalloc(1, sizeof(char *));
	json_t *b = json_object_get(
	    json_object_get(json_object_get(spec, "process"), "capabilities"), "bounding");
	size_t i;
	json_t *v;
	json_array_foreach (b, i, v)
		if (json_is_string(v))
			strv_push(&caps, json_string_value(v));
	return caps;
}

int ocispec_security_apply(json_t *spec, const json_t *hc, struct err *e)
{
	struct security_opts o;
	if (security_parse(hc, &o, e) < 0 || ocispec_devices_apply(spec, hc, e) < 0)
		return -1;
	json_t *proc = json_object_get(spec, "process");
	json_object_set_new(proc, "noNewPrivileges", json_boolean(o.no_new_privs));
	/* moby: unconfined or privileged containers get no filter at all */
	if (str_eq(o.seccomp, "unconfined") || json_is_true(json_object_get(hc, "Privileged")))
		return 0;
	_cleanup_strv_ char **caps = bounding_caps(spec);
	json_t *oci = NULL;
	if (seccomp_profile_resolve(custom_profile(&o) ? o.seccomp : NULL, caps, &oci, e) < 0)
		return -1;
	if (oci)
		json_object_set_new(json_object_get(spec, "linux"), "seccomp", oci);
	return 0;
}
