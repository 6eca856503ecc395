/* engine/seccomp_profile: a Docker-format seccomp profile resolved for one container, as moby's
 * setupSeccomp: the native arch and its archMap sub-arches, rules kept or dropped by arch,
 * capability (the container's bounding set) and kernel version. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "engine/seccomp_profile.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* Go's GOARCH names (what includes/excludes "arches" hold) and libseccomp's arch token. */
#if defined(__x86_64__)
#define NATIVE_ARCH "amd64"
#define NATIVE_SCMP "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
#define NATIVE_SCMP "SCMP_ARCH_AARCH64"
#elif defined(__i386__)
#define NATIVE_ARCH "386"
#define NATIVE_SCMP "SCMP_ARCH_X86"
#elif defined(__arm__)
#define NATIVE_ARCH "arm"
#define NATIVE_SCMP "SCMP_ARCH_ARM"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#define NATIVE_SCMP "SCMP_ARCH_S390X"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "riscv64"
#define NATIVE_SCMP "SCMP_ARCH_RISCV64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "ppc64le"
#define NATIVE_SCMP "SCMP_ARCH_PPC64LE"
#else
#define NATIVE_ARCH ""
#define NATIVE_SCMP ""
#endif

static bool strv_contains(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static bool array_has(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v)
		if (str_eq(json_string_value(v), s))
			return true;
	return false;
}

/* "4.8" against the running kernel's release. */
static int kernel_at_least(const char *min, bool *ok, struct err *e)
{
	int want_maj, want_min, maj = 0, mn = 0;
	char extra;
	if (sscanf(min, "%d.%d%c", &want_maj, &want_min, &extra) != 2 || want_maj < 0 ||
	    want_min < 0)
		return err_invalid(
		    e, "seccomp profile: invalid minKernel \"%s\": expected major.minor", min);
	struct utsname u;
	if (uname(&u) == 0)
		sscanf(u.release, "%d.%d", &maj, &mn);
	*ok = maj > want_maj || (maj == want_maj && mn >= want_min);
	return 0;
}

static int check_strings(const json_t *o, const char *key, const char *ctx, struct err *e)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return err_invalid(e, "seccomp profile: %s.%s: expected an array", ctx, key);
	json_array_foreach (a, i, v)
		if (!json_is_string(v))
			return err_invalid(e, "seccomp profile: %s.%s[%zu]: expected a string", ctx,
					   key, i);
	return 0;
}

/* Whether a rule applies to this container (moby: excludes first, then includes). */
static int rule_applies(const json_t *sc, size_t idx, char *const *caps, bool *keep, struct err *e)
{
	_cleanup_free_ char *ctx = str_printf("syscalls[%zu]", idx);
	const json_t *ex = json_object_get(sc, "excludes"), *in = json_object_get(sc, "includes");
	if ((ex && !json_is_null(ex) && !json_is_object(ex)) ||
	    (in && !json_is_null(in) && !json_is_object(in)))
		return err_invalid(e, "seccomp profile: %s: includes/excludes must be objects",
				   ctx);
	if (check_strings(ex, "arches", ctx, e) < 0 || check_strings(ex, "caps", ctx, e) < 0 ||
	    check_strings(in, "arches", ctx, e) < 0 || check_strings(in, "caps", ctx, e) < 0)
		return -1;
	size_t i;
	json_t *v;
	*keep = false;
	if (array_has(json_object_get(ex, "arches"), NATIVE_ARCH))
		return 0;
	json_array_foreach (json_object_get(ex, "caps"), i, v)
		if (strv_contains(caps, json_string_value(v)))
			return 0;
	json_t *arches = json_object_get(in, "arches");
	if (json_array_size(arches) && !array_has(arches, NATIVE_ARCH))
		return 0;
	json_array_foreach (json_object_get(in, "caps"), i, v)
		if (!strv_contains(caps, json_string_value(v)))
			return 0;
	json_t *mk = json_object_get(in, "minKernel");
	if (mk && !json_is_null(mk)) {
		if (!json_is_string(mk))
			return err_invalid(
			    e, "seccomp profile: %s.includes.minKernel: expected a string", ctx);
		if (*json_string_value(mk) && kernel_at_least(json_string_value(mk), keep, e) < 0)
			return -1;
		if (*json_string_value(mk) && !*keep)
			return 0;
	}
	*keep = true;
	return 0;
}

/* One profile rule in the OCI form: names (or the old single name), action, errnoRet, args. */
static json_t *rule_oci(const json_t *sc, size_t idx, struct err *e)
{
	json_t *names = json_object_get(sc, "names"), *name = json_object_get(sc, "name");
	if (json_array_size(names) && json_is_string(name) && *json_string_value(name)) {
		err_invalid(e, "seccomp profile: syscalls[%zu]: use either 'name' or 'names'", idx);
		return NULL;
	}
	json_t *r = json_object();
	if (json_is_string(name) && *json_string_value(name))
		json_object_set_new(r, "names", json_pack("[O]", name));
	else
		json_object_set_new(
		    r, "names", names && !json_is_null(names) ? json_incref(names) : json_array());
	static const char *const keys[] = {"action", "errnoRet", "args"};
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		json_t *v = json_object_get(sc, keys[k]);
		if (v && !json_is_null(v))
			json_object_set(r, keys[k], v);
	}
	return r;
}

static int resolve_arches(const json_t *p, json_t *out, struct err *e)
{
	json_t *arches = json_object_get(p, "architectures"), *map = json_object_get(p, "archMap");
	if (json_array_size(arches) && json_array_size(map))
		return err_invalid(e, "seccomp profile: both 'architectures' and 'archMap' are "
				      "specified, use either 'architectures' or 'archMap'");
	json_t *a = json_array(), *m;
	json_object_set_new(out, "architectures", a);
	if (json_is_array(arches))
		json_array_extend(a, arches);
	size_t i;
	json_array_foreach (map, i, m) {
		if (!json_is_object(m))
			return err_invalid(e, "seccomp profile: archMap[%zu]: expected an object",
					   i);
		if (!str_eq(json_string_value(json_object_get(m, "architecture")), NATIVE_SCMP))
			continue;
		json_array_append(a, json_object_get(m, "architecture"));
		json_t *sub = json_object_get(m, "subArchitectures");
		if (json_is_array(sub))
			json_array_extend(a, sub);
	}
	return 0;
}

static int resolve(const json_t *p, char *const *caps, json_t **out, struct err *e)
{
	*out = NULL;
	if (!json_is_object(p))
		return err_invalid(e, "Decoding seccomp profile failed: expected a JSON object");
	json_t *syscalls = json_object_get(p, "syscalls"), *sc;
	const char *def = json_string_value(json_object_get(p, "defaultAction"));
	if (syscalls && !json_is_null(syscalls) && !json_is_array(syscalls))
		return err_invalid(e, "seccomp profile: syscalls: expected an array");
	if ((!def || !*def) && !json_array_size(syscalls))
		return 0;
	_cleanup_json_ json_t *o = json_object();
	static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "listenerPath",
					   "listenerMetadata", "flags"};
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		json_t *v = json_object_get(p, keys[k]);
		if (v && !json_is_null(v))
			json_object_set(o, keys[k], v);
	}
	if (resolve_arches(p, o, e) < 0)
		return -1;
	json_t *rules = json_array();
	json_object_set_new(o, "syscalls", rules);
	size_t i;
	json_array_foreach (syscalls, i, sc) {
		bool keep;
		if (!json_is_object(sc))
			return err_invalid(e, "seccomp profile: syscalls[%zu]: expected an object",
					   i);
		if (rule_applies(sc, i, caps, &keep, e) < 0)
			return -1;
		json_t *r = keep ? rule_oci(sc, i, e) : NULL;
		if (keep && !r)
			return -1;
		if (r)
			json_array_append_new(rules, r);
	}
	*out = TAKE_PTR(o);
	return 0;
}

int seccomp_profile_resolve(const char *profile, char *const *caps, json_t **out, struct err *e)
{
	json_error_t je;
	_cleanup_json_ json_t *p =
	    json_loads(profile ? profile : seccomp_default_profile, JSON_REJECT_DUPLICATES, &je);
	if (!p)
		return err_invalid(e, "Decoding seccomp profile failed: %s (line %d, column %d)",
				   je.text, je.line, je.column);
	return resolve(p, caps, out, e);
}

int seccomp_profile_check(const char *profile, struct err *e)
{
	/* Every capability: the most rules are kept, so the most are checked. */
	_cleanup_strv_ char **caps = NULL;
	const char *c;
	for (int i = 0; (c = spec_cap_name(i)); i++)
		strv_push(&caps, c);
	_cleanup_json_ json_t *oci = NULL;
	if (seccomp_profile_resolve(profile, caps, &oci, e) < 0)
		return -1;
	struct seccomp_filter *f = seccomp_filter_compile(oci, "seccomp profile", e);
	if (!f && oci) {
		/* what libseccomp refuses (arches that can't be combined...) is the profile's
		 * fault: a 400 at create, not a 500 */
		e->kind = ERR_INVALID;
		return -1;
	}
	seccomp_filter_free(f);
	return 0;
}
