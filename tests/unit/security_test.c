/* Unit tests for the security defaults the engine writes into a container's OCI config:
 * Docker's default seccomp profile resolved per capability set and arch, custom profiles,
 * and HostConfig.SecurityOpt (seccomp=, no-new-privileges, dockerd's errors). */
#include <stdlib.h>
#include <string.h>

#include "engine/ocispec.h"
#include "engine/seccomp_profile.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static char *default_caps[] = {"CAP_CHOWN",
			       "CAP_DAC_OVERRIDE",
			       "CAP_FSETID",
			       "CAP_FOWNER",
			       "CAP_MKNOD",
			       "CAP_NET_RAW",
			       "CAP_SETGID",
			       "CAP_SETUID",
			       "CAP_SETFCAP",
			       "CAP_SETPCAP",
			       "CAP_NET_BIND_SERVICE",
			       "CAP_SYS_CHROOT",
			       "CAP_KILL",
			       "CAP_AUDIT_WRITE",
			       NULL};

/* The rule (in order) allowing name, or NULL; *nth counts the rules naming it. */
static json_t *rule_for(json_t *oci, const char *name, int *nth)
{
	json_t *r, *found = NULL;
	size_t i;
	*nth = 0;
	json_array_foreach (json_object_get(oci, "syscalls"), i, r) {
		json_t *n;
		size_t k;
		json_array_foreach (json_object_get(r, "names"), k, n) {
			if (str_eq(json_string_value(n), name)) {
				(*nth)++;
				found = found ? found : r;
			}
		}
	}
	return found;
}

static void test_default_profile(void)
{
	struct err e = ERR_INIT;
	json_t *oci = NULL;
	int n;
	ok(seccomp_profile_resolve(NULL, default_caps, &oci, &e) == 0 && oci,
	   "default profile resolves");
	is_str(json_string_value(json_object_get(oci, "defaultAction")), "SCMP_ACT_ERRNO",
	       "default action: errno");
	is_int(json_integer_value(json_object_get(oci, "defaultErrnoRet")), 1, "EPERM");
#ifdef __x86_64__
	_cleanup_free_ char *arches = jx_dumps(json_object_get(oci, "architectures"));
	is_str(arches, "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]",
	       "x86_64 and its sub-arches");
	ok(rule_for(oci, "arch_prctl", &n) != NULL, "arch_prctl allowed on amd64");
	ok(rule_for(oci, "s390_runtime_instr", &n) == NULL, "no s390 rules on amd64");
#endif
	ok(rule_for(oci, "read", &n) && rule_for(oci, "openat", &n), "the allowlist");
	ok(!rule_for(oci, "mount", &n) && !rule_for(oci, "keyctl", &n) &&
	       !rule_for(oci, "init_module", &n) && !rule_for(oci, "kexec_load", &n) &&
	       !rule_for(oci, "bpf", &n) && !rule_for(oci, "unshare", &n),
	   "mount, keyctl, modules, kexec, bpf, unshare: denied");
	json_t *clone = rule_for(oci, "clone", &n);
	json_t *arg = json_array_get(json_object_get(clone, "args"), 0);
	ok(clone && json_integer_value(json_object_get(arg, "value")) == 2114060288 &&
	       str_eq(json_string_value(json_object_get(arg, "op")), "SCMP_CMP_MASKED_EQ"),
	   "clone only without namespace flags");
	json_t *clone3 = rule_for(oci, "clone3", &n);
	ok(clone3 && json_integer_value(json_object_get(clone3, "errnoRet")) == 38,
	   "clone3: ENOSYS (libc falls back to clone)");
	ok(rule_for(oci, "ptrace", &n) != NULL, "ptrace allowed (kernel >= 4.8)");
	ok(rule_for(oci, "chroot", &n) != NULL, "chroot with CAP_SYS_CHROOT");
	json_decref(oci);
}

static void test_caps_lift_rules(void)
{
	struct err e = ERR_INIT;
	char *caps[] = {"CAP_SYS_ADMIN", "CAP_SYS_MODULE", NULL};
	json_t *oci = NULL;
	int n;
	ok(seccomp_profile_resolve(NULL, caps, &oci, &e) == 0, "resolves with CAP_SYS_ADMIN");
	json_t *clone = rule_for(oci, "clone", &n);
	ok(rule_for(oci, "mount", &n) && rule_for(oci, "unshare", &n) &&
	       rule_for(oci, "init_module", &n),
	   "mount, unshare, init_module follow their capabilities");
	ok(clone && !json_object_get(clone, "args") && n == 1,
	   "clone unfiltered with CAP_SYS_ADMIN");
	json_t *clone3 = rule_for(oci, "clone3", &n);
	ok(clone3 && str_eq(json_string_value(json_object_get(clone3, "action")), "SCMP_ACT_ALLOW"),
	   "clone3 allowed with CAP_SYS_ADMIN");
	ok(!rule_for(oci, "chroot", &n), "no chroot without CAP_SYS_CHROOT");
	json_decref(oci);
}

static void test_custom_profiles(void)
{
	struct err e = ERR_INIT;
	json_t *oci = NULL;
	ok(seccomp_profile_resolve("{}", default_caps, &oci, &e) == 0 && !oci,
	   "an empty profile disables seccomp");
	ok(seccomp_profile_check("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
				 "[\"SCMP_ARCH_X86_64\"],\"archMap\":[{\"architecture\":"
				 "\"SCMP_ARCH_X86_64\"}]}",
				 &e) < 0 &&
	       strstr(e.msg, "both 'architectures' and 'archMap'"),
	   "architectures and archMap together refused");
	err_clear(&e);
	ok(seccomp_profile_check("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				 "[{\"name\":\"read\",\"names\":[\"write\"],"
				 "\"action\":\"SCMP_ACT_ALLOW\"}]}",
				 &e) < 0 &&
	       strstr(e.msg, "either 'name' or 'names'"),
	   "name and names together refused");
	err_clear(&e);
	ok(seccomp_profile_check("{\"defaultAction\":", &e) < 0 &&
	       strstr(e.msg, "Decoding seccomp profile failed"),
	   "broken JSON: dockerd's message");
	err_clear(&e);
	ok(seccomp_profile_check("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
				 "[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":"
				 "{\"minKernel\":\"four\"}}]}",
				 &e) < 0 &&
	       strstr(e.msg, "minKernel"),
	   "a bad minKernel refused");
}

/* A built spec's parts that the security settings read and write. */
static json_t *spec_min(void)
{
	return json_pack("{s:{s:{s:[s]}}, s:{}}", "process", "capabilities", "bounding",
			 "CAP_CHOWN", "linux");
}

static void test_security_opts(void)
{
	static const struct {
		const char *opts;
		const char *err; /* NULL: accepted */
	} cases[] = {
	    {"[\"no-new-privileges\"]", NULL},
	    {"[\"no-new-privileges=false\"]", NULL},
	    {"[\"no-new-privileges:true\"]", NULL},
	    {"[\"seccomp=unconfined\"]", NULL},
	    {"[\"seccomp=builtin\"]", NULL},
	    {"[\"label=disable\", \"apparmor=unconfined\", \"disable\"]", NULL},
	    {"[\"foo\"]", "invalid --security-opt 1: \"foo\""},
	    {"[\"foo=bar\"]", "invalid --security-opt 2: \"foo=bar\""},
	    {"[\"no-new-privileges=maybe\"]", "invalid --security-opt 2"},
	    {"[\"seccomp={\"]", "Decoding seccomp profile failed"},
	    {"[1]", "HostConfig.SecurityOpt[0]: expected a string"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct err e = ERR_INIT;
		_cleanup_free_ char *s = str_printf("{\"SecurityOpt\": %s}", cases[i].opts);
		_cleanup_json_ json_t *hc = json_loads(s, 0, NULL);
		int r = ocispec_security_check(hc, &e);
		if (!cases[i].err)
			ok(r == 0, "SecurityOpt %s accepted", cases[i].opts);
		else
			ok(r < 0 && e.kind == ERR_INVALID && strstr(e.msg, cases[i].err),
			   "SecurityOpt %s: %s", cases[i].opts, e.msg);
	}
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *spec = spec_min();
	_cleanup_json_ json_t *hc = json_pack("{s:[s]}", "SecurityOpt", "no-new-privileges");
	ok(ocispec_security_apply(spec, hc, &e) == 0 &&
	       json_is_true(json_object_get(json_object_get(spec, "process"), "noNewPrivileges")) &&
	       json_is_object(json_object_get(json_object_get(spec, "linux"), "seccomp")),
	   "no-new-privileges and the default profile applied");
	_cleanup_json_ json_t *spec2 = spec_min();
	_cleanup_json_ json_t *priv = json_pack("{s:b}", "Privileged", 1);
	ok(ocispec_security_apply(spec2, priv, &e) == 0 &&
	       !json_object_get(json_object_get(spec2, "linux"), "seccomp") &&
	       json_is_false(json_object_get(json_object_get(spec2, "process"), "noNewPrivileges")),
	   "privileged: no seccomp filter");
	_cleanup_json_ json_t *spec3 = spec_min();
	_cleanup_json_ json_t *unc = json_pack("{s:[s]}", "SecurityOpt", "seccomp=unconfined");
	ok(ocispec_security_apply(spec3, unc, &e) == 0 &&
	       !json_object_get(json_object_get(spec3, "linux"), "seccomp"),
	   "seccomp=unconfined: no filter");
}

int main(void)
{
	test_default_profile();
	test_caps_lift_rules();
	test_custom_profiles();
	test_security_opts();
	return tap_done();
}
