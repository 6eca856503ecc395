/* engine/ocispec: the OCI runtime config of a container, as dockerd builds it: process from
 * Entrypoint+Cmd, env, user, workdir; Docker's default mounts, capabilities, masked paths and
 * namespaces; resources from HostConfig. Pure: the caller resolves the user beforehand. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

#include "engine/container_priv.h"
#include "engine/ocispec.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/str.h"

/* moby oci/caps/defaults.go */
static const char *const default_caps[] = {"CAP_CHOWN",
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

/* "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; NULL if unknown. */
char *ocispec_cap_name(const char *s)
{
	const char *bare = strncasecmp(s, "CAP_", 4) ? s : s + 4;
	const char *c;
	for (int i = 0; (c = spec_cap_name(i)); i++)
		if (!strcasecmp(c + 4, bare))
			return str_dup(c);
	return NULL;
}

static bool strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

/* moby's TweakCapabilities: defaults (or all when privileged), + CapAdd, - CapDrop. */
int ocispec_caps(const json_t *hc, char ***out, struct err *e)
{
	_cleanup_strv_ char **caps = NULL;
	bool priv = json_is_true(json_object_get(hc, "Privileged"));
	json_t *add = json_object_get(hc, "CapAdd"), *drop = json_object_get(hc, "CapDrop"), *v;
	size_t i;
	bool add_all = priv, drop_all = false;
	json_array_foreach (drop, i, v)
		drop_all = drop_all || !strcasecmp(json_string_value(v), "ALL");
	json_array_foreach (add, i, v)
		add_all = add_all || !strcasecmp(json_string_value(v), "ALL");
	/* All: every capability the runtime knows by name (its table is the one list) that
	 * the daemon's own bounding set still has: one it lacks (a host without
	 * CAP_SYS_MODULE) could never be granted, and asking for it fails the start. */
	const char *cap;
	for (int k = 0; add_all && (cap = spec_cap_name(k)); k++)
		if (prctl(PR_CAPBSET_READ, k, 0, 0, 0) == 1)
			strv_push(&caps, cap);
	for (const char *const *c = default_caps; !add_all && !drop_all && *c; c++)
		strv_push(&caps, *c);
	json_array_foreach (add, i, v) {
		if (!strcasecmp(json_string_value(v), "ALL"))
			continue;
		_cleanup_free_ char *n = ocispec_cap_name(json_string_value(v));
		if (!n)
			return err_invalid(e, "invalid CapAdd: unknown capability: \"%s\"",
					   json_string_value(v));
		if (!strv_has(caps, n))
			strv_push(&caps, n);
	}
	if (!priv) {
		json_array_foreach (drop, i, v) {
			if (!strcasecmp(json_string_value(v), "ALL"))
				continue;
			_cleanup_free_ char *n = ocispec_cap_name(json_string_value(v));
			if (!n)
				return err_invalid(e, "invalid CapDrop: unknown capability: \"%s\"",
						   json_string_value(v));
			for (char **p = caps; p && *p; p++) {
				if (!strcmp(*p, n)) {
					free(*p);
					memmove(p, p + 1, (strv_len(p + 1) + 1) * sizeof(*p));
					break;
				}
			}
		}
	}
	*out = TAKE_PTR(caps);
	if (!*out)
		*out = xcalloc(1, sizeof(char *));
	return 0;
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *mount_of(const char *dest, const char *type, const char *src, const char *opts)
{
	_cleanup_strv_ char **o = strv_split(opts, ",");
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
			 "options", strv_json(o));
}

/* Environment: PATH (when missing), HOSTNAME, TERM (tty), then Config.Env replacing. */
json_t *ocispec_env(const json_t *cfg)
{
	json_t *env = json_array(), *v;
	json_t *user = json_object_get(cfg, "Env");
	size_t i;
	bool has_path = false;
	json_array_foreach (user, i, v)
		has_path = has_path || str_has_prefix(json_string_value(v), "PATH=");
	if (!has_path)
		json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:"
						       "/usr/sbin:/usr/bin:/sbin:/bin"));
	json_array_append_new(
	    env, json_sprintf("HOSTNAME=%s", json_string_value(json_object_get(cfg, "Hostname"))));
	if (json_is_true(json_object_get(cfg, "Tty")))
		json_array_append_new(env, json_string("TERM=xterm"));
	json_array_foreach (user, i, v) {
		const char *s = json_string_value(v);
		size_t k = strcspn(s, "=");
		size_t j;
		json_t *w;
		bool replaced = false;
		json_array_foreach (env, j, w) {
			const char *t = json_string_value(w);
			if (strcspn(t, "=") == k && !strncmp(t, s, k)) {
				json_array_set(env, j, v);
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append(env, v);
	}
	return env;
}

static json_t *oci_mounts(const struct ocispec_input *in, const json_t *hc, struct err *e)
{
	bool priv = json_is_true(json_object_get(hc, "Privileged"));
	_cleanup_free_ char *shm =
	    str_printf("nosuid,noexec,nodev,mode=1777,size=%lld",
		       (long long)json_integer_value(json_object_get(hc, "ShmSize")));
	json_t *m = json_array();
	json_array_append_new(m, mount_of("/proc", "proc", "proc", "nosuid,noexec,nodev"));
	json_array_append_new(
	    m, mount_of("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
	json_array_append_new(m,
			      mount_of("/dev/pts", "devpts", "devpts",
				       "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_array_append_new(m,
			      mount_of("/sys", "sysfs", "sysfs",
				       priv ? "nosuid,noexec,nodev,rw" : "nosuid,noexec,nodev,ro"));
	json_array_append_new(
	    m, mount_of("/sys/fs/cgroup", "cgroup", "cgroup",
			priv ? "nosuid,noexec,nodev,relatime,rw" : "ro,nosuid,noexec,nodev"));
	json_array_append_new(m,
			      mount_of("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
	json_array_append_new(m, mount_of("/dev/shm", "tmpfs", "shm", shm));
	static const char *const files[] = {"resolv.conf", "hostname", "hosts"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src = str_printf("%s/%s", in->cdir, files[i]);
		_cleanup_free_ char *dst = str_printf("/etc/%s", files[i]);
		json_array_append_new(m, mount_of(dst, "bind", src, "rbind,rprivate"));
	}
	if (ocispec_user_mounts(in->rec, m, e) < 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static void add_i64(json_t *o, const char *key, const json_t *hc, const char *hkey)
{
	json_int_t v = json_integer_value(json_object_get(hc, hkey));
	if (v)
		json_object_set_new(o, key, json_integer(v));
}

/* "c 7:128 rwm", "b 8:* r", "a *:* rwm" -> an allow rule; NULL when malformed. */
static json_t *device_rule(const char *s)
{
	char type, maj[16], min[16], access[8];
	if (!s || sscanf(s, "%c %15[0-9*]:%15[0-9*] %7[rwm]", &type, maj, min, access) != 4 ||
	    !strchr("abc", type))
		return NULL;
	json_t *r =
	    json_pack("{s:b, s:s#, s:s}", "allow", 1, "type", &type, (size_t)1, "access", access);
	if (strcmp(maj, "*") != 0)
		json_object_set_new(r, "major", json_integer(atoll(maj)));
	if (strcmp(min, "*") != 0)
		json_object_set_new(r, "minor", json_integer(atoll(min)));
	return r;
}

json_t *ocispec_resources(const json_t *hc, bool swap_ok)
{
	bool priv = json_is_true(json_object_get(hc, "Privileged"));
	json_t *r = json_object();
	json_object_set_new(r, "devices",
			    priv ? json_pack("[{s:b, s:s}]", "allow", 1, "access", "rwm")
				 : json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
	size_t di;
	json_t *dv;
	json_array_foreach (json_object_get(hc, "DeviceCgroupRules"), di, dv) {
		json_t *rule = device_rule(json_string_value(dv));
		if (rule)
			json_array_append_new(json_object_get(r, "devices"), rule);
	}
	json_t *mem = json_object();
	json_int_t limit = json_integer_value(json_object_get(hc, "Memory"));
	json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
	if (limit > 0) {
		json_object_set_new(mem, "limit", json_integer(limit));
		/* Docker: no MemorySwap means as much swap as memory */
		if (swap_ok)
			json_object_set_new(mem, "swap", json_integer(swap ? swap : 2 * limit));
	}
	add_i64(mem, "reservation", hc, "MemoryReservation");
	json_t *sw = json_object_get(hc, "MemorySwappiness");
	if (json_is_integer(sw) && json_integer_value(sw) >= 0)
		json_object_set_new(mem, "swappiness", json_integer(json_integer_value(sw)));
	if (json_object_size(mem))
		json_object_set(r, "memory", mem);
	json_decref(mem);
	json_t *cpu = json_object();
	json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	if (nano > 0) {
		json_object_set_new(cpu, "period", json_integer(100000));
		json_object_set_new(cpu, "quota", json_integer(nano * 100000 / 1000000000));
	}
	add_i64(cpu, "shares", hc, "CpuShares");
	add_i64(cpu, "quota", hc, "CpuQuota");
	add_i64(cpu, "period", hc, "CpuPeriod");
	const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
	const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
	if (cpus && *cpus)
		json_object_set_new(cpu, "cpus", json_string(cpus));
	if (mems && *mems)
		json_object_set_new(cpu, "mems", json_string(mems));
	if (json_object_size(cpu))
		json_object_set(r, "cpu", cpu);
	json_decref(cpu);
	json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));
	if (pids != 0)
		json_object_set_new(r, "pids", json_pack("{s:I}", "limit", pids > 0 ? pids : -1));
	return r;
}

static json_t *rlimits(const json_t *hc, struct err *e)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach (json_object_get(hc, "Ulimits"), i, v) {
		const char *name = json_string_value(json_object_get(v, "Name"));
		if (!name || !*name) {
			json_decref(out);
			err_invalid(e, "HostConfig.Ulimits[%zu].Name: expected a name", i);
			return NULL;
		}
		_cleanup_free_ char *type = str_printf("RLIMIT_%s", name);
		for (char *p = type; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		json_array_append_new(
		    out, json_pack("{s:s, s:I, s:I}", "type", type, "hard",
				   json_integer_value(json_object_get(v, "Hard")), "soft",
				   json_integer_value(json_object_get(v, "Soft"))));
	}
	return out;
}

static json_t *namespaces(const json_t *hc, bool cgroupns, const char *netns)
{
	json_t *ns = json_array();
	json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
	if (!str_eq(json_string_value(json_object_get(hc, "NetworkMode")), "host"))
		json_array_append_new(
		    ns, netns ? json_pack("{s:s, s:s}", "type", "network", "path", netns)
			      : json_pack("{s:s}", "type", "network"));
	if (!str_eq(json_string_value(json_object_get(hc, "UTSMode")), "host"))
		json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
	if (!str_eq(json_string_value(json_object_get(hc, "PidMode")), "host"))
		json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
	if (!str_eq(json_string_value(json_object_get(hc, "IpcMode")), "host"))
		json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
	if (cgroupns && str_eq(json_string_value(json_object_get(hc, "CgroupnsMode")), "private"))
		json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
	return ns;
}

static json_t *process(const struct ocispec_input *in, const json_t *cfg, const json_t *hc,
		       struct err *e)
{
	_cleanup_strv_ char **caps = NULL;
	if (ocispec_caps(hc, &caps, e) < 0)
		return NULL;
	json_t *args = json_array();
	json_array_append(args, json_object_get(in->rec, "Path"));
	json_array_extend(args, json_object_get(in->rec, "Args"));
	json_t *gids = json_array();
	for (size_t i = 0; i < in->ngids; i++)
		json_array_append_new(gids, json_integer(in->gids[i]));
	const char *cwd = json_string_value(json_object_get(cfg, "WorkingDir"));
	json_t *p = json_pack(
	    "{s:b, s:{s:i, s:i, s:o}, s:o, s:o, s:s, s:{s:o, s:o, s:o}, s:b, s:i}", "terminal",
	    json_is_true(json_object_get(cfg, "Tty")), "user", "uid", (int)in->uid, "gid",
	    (int)in->gid, "additionalGids", gids, "args", args, "env", ocispec_env(cfg), "cwd",
	    cwd && *cwd ? cwd : "/", "capabilities", "bounding", strv_json(caps), "effective",
	    strv_json(caps), "permitted", strv_json(caps), "noNewPrivileges", 0, "oomScoreAdj",
	    (int)json_integer_value(json_object_get(hc, "OomScoreAdj")));
	json_t *rl = rlimits(hc, e);
	if (!rl) {
		json_decref(p);
		return NULL;
	}
	if (json_array_size(rl))
		json_object_set(p, "rlimits", rl);
	json_decref(rl);
	json_t *cs = json_object_get(hc, "ConsoleSize");
	json_int_t h = json_integer_value(json_array_get(cs, 0));
	json_int_t w = json_integer_value(json_array_get(cs, 1));
	if (h > 0 && w > 0)
		json_object_set_new(p, "consoleSize",
				    json_pack("{s:I, s:I}", "height", h, "width", w));
	return p;
}

json_t *ocispec_build(const struct ocispec_input *in, struct err *e)
{
	const json_t *cfg = json_object_get(in->rec, "Config");
	const json_t *hc = json_object_get(in->rec, "HostConfig");
	const char *id = json_string_value(json_object_get(in->rec, "Id"));
	json_t *proc = process(in, cfg, hc, e);
	if (!proc)
		return NULL;
	json_t *mounts = oci_mounts(in, hc, e);
	if (!mounts) {
		json_decref(proc);
		return NULL;
	}
	bool priv = json_is_true(json_object_get(hc, "Privileged"));
	json_t *masked = json_object_get(hc, "MaskedPaths"),
	       *ro = json_object_get(hc, "ReadonlyPaths");
	json_t *lx = json_pack(
	    "{s:o, s:s+, s:o, s:o, s:o}", "resources", ocispec_resources(hc, in->swap_ok),
	    "cgroupsPath", "/berth/", id, "namespaces",
	    namespaces(hc, in->have_cgroupns, in->netns), "maskedPaths",
	    priv || !json_is_array(masked) ? json_array() : json_deep_copy(masked), "readonlyPaths",
	    priv || !json_is_array(ro) ? json_array() : json_deep_copy(ro));
	json_t *sysctl = json_object_get(hc, "Sysctls");
	if (json_is_object(sysctl) && json_object_size(sysctl))
		json_object_set(lx, "sysctl", sysctl);
	const char *host = json_string_value(json_object_get(cfg, "Hostname"));
	if (str_eq(json_string_value(json_object_get(hc, "UTSMode")), "host"))
		host = ""; /* dockerd: no UTS namespace, no hostname to set */
	const char *dom = json_string_value(json_object_get(cfg, "Domainname"));
	json_t *spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion",
				 "1.0.2-dev", "process", proc, "root", "path", in->rootfs,
				 "readonly", json_is_true(json_object_get(hc, "ReadonlyRootfs")),
				 "hostname", host ? host : "", "mounts", mounts, "linux", lx);
	if (dom && *dom)
		json_object_set_new(spec, "domainname", json_string(dom));
	if (ocispec_security_apply(spec, hc, e) < 0 || ocispec_init_apply(spec, hc, e) < 0) {
		json_decref(spec);
		return NULL;
	}
	return spec;
}
