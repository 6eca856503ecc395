/* engine/container_config: the create body as moby decodes it: Config and HostConfig with
 * every field present (zero values, dockerd's defaults), type checks naming the field,
 * unknown fields ignored, null accepted; then the image config merged in (moby's merge). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/container_config.h"
#include "engine/container_health.h"
#include "engine/container_restart.h"
#include "engine/ocispec.h"
#include "util/cleanup.h"
#include "util/str.h"

/* Field types: s string, b bool, i integer, a array, o object, S string or array (Cmd). */
struct field {
	const char *key;
	char type;
};

static const struct field config_fields[] = {
    {"Hostname", 's'},	      {"Domainname", 's'},   {"User", 's'},
    {"AttachStdin", 'b'},     {"AttachStdout", 'b'}, {"AttachStderr", 'b'},
    {"ExposedPorts", 'o'},    {"Tty", 'b'},	     {"OpenStdin", 'b'},
    {"StdinOnce", 'b'},	      {"Env", 'a'},	     {"Cmd", 'S'},
    {"Healthcheck", 'o'},     {"ArgsEscaped", 'b'},  {"Image", 's'},
    {"Volumes", 'o'},	      {"WorkingDir", 's'},   {"Entrypoint", 'S'},
    {"NetworkDisabled", 'b'}, {"MacAddress", 's'},   {"OnBuild", 'a'},
    {"Labels", 'o'},	      {"StopSignal", 's'},   {"StopTimeout", 'i'},
    {"Shell", 'a'},
};

static const struct field host_fields[] = {
    {"Binds", 'a'},
    {"ContainerIDFile", 's'},
    {"LogConfig", 'o'},
    {"NetworkMode", 's'},
    {"PortBindings", 'o'},
    {"RestartPolicy", 'o'},
    {"AutoRemove", 'b'},
    {"VolumeDriver", 's'},
    {"VolumesFrom", 'a'},
    {"CapAdd", 'a'},
    {"CapDrop", 'a'},
    {"CgroupnsMode", 's'},
    {"Dns", 'a'},
    {"DnsOptions", 'a'},
    {"DnsSearch", 'a'},
    {"ExtraHosts", 'a'},
    {"GroupAdd", 'a'},
    {"IpcMode", 's'},
    {"Cgroup", 's'},
    {"Links", 'a'},
    {"OomScoreAdj", 'i'},
    {"PidMode", 's'},
    {"Privileged", 'b'},
    {"PublishAllPorts", 'b'},
    {"ReadonlyRootfs", 'b'},
    {"SecurityOpt", 'a'},
    {"UTSMode", 's'},
    {"UsernsMode", 's'},
    {"ShmSize", 'i'},
    {"Runtime", 's'},
    {"ConsoleSize", 'a'},
    {"Isolation", 's'},
    {"CpuShares", 'i'},
    {"Memory", 'i'},
    {"NanoCpus", 'i'},
    {"CgroupParent", 's'},
    {"BlkioWeight", 'i'},
    {"BlkioWeightDevice", 'a'},
    {"BlkioDeviceReadBps", 'a'},
    {"BlkioDeviceWriteBps", 'a'},
    {"BlkioDeviceReadIOps", 'a'},
    {"BlkioDeviceWriteIOps", 'a'},
    {"CpuPeriod", 'i'},
    {"CpuQuota", 'i'},
    {"CpuRealtimePeriod", 'i'},
    {"CpuRealtimeRuntime", 'i'},
    {"CpusetCpus", 's'},
    {"CpusetMems", 's'},
    {"Devices", 'a'},
    {"DeviceCgroupRules", 'a'},
    {"DeviceRequests", 'a'},
    {"KernelMemory", 'i'},
    {"KernelMemoryTCP", 'i'},
    {"MemoryReservation", 'i'},
    {"MemorySwap", 'i'},
    {"MemorySwappiness", 'i'},
    {"OomKillDisable", 'b'},
    {"PidsLimit", 'i'},
    {"Ulimits", 'a'},
    {"CpuCount", 'i'},
    {"CpuPercent", 'i'},
    {"IOMaximumIOps", 'i'},
    {"IOMaximumBandwidth", 'i'},
    {"MaskedPaths", 'a'},
    {"ReadonlyPaths", 'a'},
    {"Mounts", 'a'},
    {"Tmpfs", 'o'},
    {"Init", 'b'},
    {"Sysctls", 'o'},
    {"StorageOpt", 'o'},
};

/* Fields dockerd always shows (others only when set, as Go's omitempty). */
static const char *const config_always[] = {
    "Hostname", "Domainname", "User",	    "AttachStdin", "AttachStdout", "AttachStderr",
    "Tty",	"OpenStdin",  "StdinOnce",  "Env",	   "Cmd",	   "Image",
    "Volumes",	"WorkingDir", "Entrypoint", "OnBuild",	   "Labels",	   NULL};

static const char *const default_masked[] = {"/proc/asound",
					     "/proc/acpi",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/proc/scsi",
					     "/sys/firmware",
					     NULL};
static const char *const default_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

static bool type_ok(const json_t *v, char t)
{
	switch (t) {
	case 's':
		return json_is_string(v);
	case 'b':
		return json_is_boolean(v);
	case 'i':
		/* A real counts when it is a whole number in range (checked before the cast:
		 * converting an out-of-range double is undefined). */
		return json_is_integer(v) ||
		       (json_is_real(v) && json_real_value(v) >= -9223372036854775808.0 &&
			json_real_value(v) < 9223372036854775808.0 &&
			json_real_value(v) == (double)(json_int_t)json_real_value(v));
	case 'a':
		return json_is_array(v);
	case 'o':
		return json_is_object(v);
	case 'S':
		return json_is_string(v) || json_is_array(v);
	}
	return false;
}

static const char *type_word(char t)
{
	return t == 's'	  ? "a string"
	       : t == 'b' ? "a boolean"
	       : t == 'i' ? "an integer"
	       : t == 'a' ? "an array"
	       : t == 'o' ? "an object"
			  : "a string or an array";
}

/* Go's encoding/json: the exact key, else one that differs in case only (docker-py sends
 * "CPURealtimePeriod" for CpuRealtimePeriod). */
static json_t *get_fold(const json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);
	const char *k;
	if (v)
		return v;
	json_object_foreach ((json_t *)src, k, v)
		if (!strcasecmp(k, key))
			return v;
	return NULL;
}

/* Copies the known fields of src (not null) into dst, checking their types. */
static int copy_fields(json_t *dst, const json_t *src, const struct field *f, size_t n,
		       const char *ctx, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = get_fold(src, f[i].key);
		if (!v || json_is_null(v))
			continue;
		if (!type_ok(v, f[i].type))
			return err_invalid(e, "%s.%s: expected %s, got %s", ctx, f[i].key,
					   type_word(f[i].type),
					   json_is_object(v)   ? "object"
					   : json_is_array(v)  ? "array"
					   : json_is_string(v) ? "string"
							       : "a number or boolean");
		if (f[i].type == 'i' && json_is_real(v))
			json_object_set_new(dst, f[i].key,
					    json_integer((json_int_t)json_real_value(v)));
		else if (f[i].type == 'S' && json_is_string(v))
			json_object_set_new(dst, f[i].key, json_pack("[O]", v));
		else
			json_object_set(dst, f[i].key, v);
	}
	return 0;
}

static int check_strings(const json_t *o, const char *key, const char *ctx, struct err *e)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;
	if (json_is_array(a))
		json_array_foreach (a, i, v)
			if (!json_is_string(v))
				return err_invalid(e, "%s.%s[%zu]: expected a string", ctx, key, i);
	if (json_is_object(a) && !strcmp(key, "Labels")) {
		const char *k;
		json_object_foreach (a, k, v)
			if (!json_is_string(v))
				return err_invalid(e, "%s.Labels.%s: expected a string", ctx, k);
	}
	return 0;
}

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

json_t *container_config_parse(const json_t *body, struct err *e)
{
	json_t *cfg = json_object();
	for (const char *const *k = config_always; *k; k++)
		json_object_set_new(cfg, *k, json_null());
	json_object_update_new(cfg, json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, "
					      "s:s, s:s, s:o}",
					      "Hostname", "", "Domainname", "", "User", "",
					      "AttachStdin", 0, "AttachStdout", 0, "AttachStderr",
					      0, "Tty", 0, "OpenStdin", 0, "StdinOnce", 0, "Image",
					      "", "WorkingDir", "", "Labels", json_object()));
	if (json_is_object(body) &&
	    (copy_fields(cfg, body, config_fields, ARRAY_SIZE(config_fields), "Config", e) < 0 ||
	     check_strings(cfg, "Env", "Config", e) < 0 ||
	     check_strings(cfg, "Cmd", "Config", e) < 0 ||
	     check_strings(cfg, "Entrypoint", "Config", e) < 0 ||
	     check_strings(cfg, "Labels", "Config", e) < 0)) {
		json_decref(cfg);
		return NULL;
	}
	return cfg;
}

static int host_limits(const json_t *hc, struct err *e)
{
	json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
	json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
	if (mem > 0 && mem < 6 * 1024 * 1024)
		return err_invalid(e, "Minimum memory limit allowed is 6MB");
	if (mem > 0 && swap > 0 && swap < mem)
		return err_invalid(e,
				   "Minimum memoryswap limit should be larger than memory limit, "
				   "see usage");
	if (mem == 0 && swap > 0)
		return err_invalid(e, "You should always set the Memory limit when using "
				      "Memoryswap limit, see usage");
	json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	if (nano && (json_integer_value(json_object_get(hc, "CpuQuota")) ||
		     json_integer_value(json_object_get(hc, "CpuPeriod"))))
		return err_invalid(e, "Conflicting options: Nano CPUs and CPU Period cannot both "
				      "be set");
	if (nano < 0)
		return err_invalid(e, "Range of CPUs is from 0.01 to the number of CPUs available");
	const char *lt =
	    json_string_value(json_object_get(json_object_get(hc, "LogConfig"), "Type"));
	if (lt && *lt && strcmp(lt, "json-file") != 0 && strcmp(lt, "none") != 0)
		return err_invalid(e, "logger: no log driver named '%s' is registered", lt);
	json_int_t shm = json_integer_value(json_object_get(hc, "ShmSize"));
	if (shm < 0)
		return err_invalid(e, "SHM size can not be less than 0");
	return 0;
}

/* Defaults dockerd fills in (daemon/create.go, adaptContainerSettings). */
static void host_defaults(json_t *hc, bool cgroup2)
{
	json_t *lc = json_object_get(hc, "LogConfig");
	if (!json_is_object(lc)) {
		lc = json_object();
		json_object_set_new(hc, "LogConfig", lc);
	}
	const char *type = json_string_value(json_object_get(lc, "Type"));
	if (!type || !*type)
		json_object_set_new(lc, "Type", json_string("json-file"));
	if (!json_is_object(json_object_get(lc, "Config")))
		json_object_set_new(lc, "Config", json_object());
	if (str_eq(json_string_value(json_object_get(hc, "NetworkMode")), ""))
		json_object_set_new(hc, "NetworkMode", json_string("default"));
	if (json_integer_value(json_object_get(hc, "ShmSize")) == 0)
		json_object_set_new(hc, "ShmSize", json_integer(67108864));
	if (str_eq(json_string_value(json_object_get(hc, "IpcMode")), ""))
		json_object_set_new(hc, "IpcMode", json_string("private"));
	if (str_eq(json_string_value(json_object_get(hc, "CgroupnsMode")), ""))
		json_object_set_new(hc, "CgroupnsMode", json_string(cgroup2 ? "private" : "host"));
	bool priv = json_is_true(json_object_get(hc, "Privileged"));
	if (!json_is_array(json_object_get(hc, "MaskedPaths")))
		json_object_set_new(hc, "MaskedPaths",
				    priv ? json_null() : strv_json(default_masked));
	if (!json_is_array(json_object_get(hc, "ReadonlyPaths")))
		json_object_set_new(hc, "ReadonlyPaths",
				    priv ? json_null() : strv_json(default_readonly));
	if (!json_is_object(json_object_get(hc, "RestartPolicy")))
		json_object_set_new(hc, "RestartPolicy",
				    json_pack("{s:s, s:i}", "Name", "", "MaximumRetryCount", 0));
	if (!json_is_array(json_object_get(hc, "ConsoleSize")))
		json_object_set_new(hc, "ConsoleSize", json_pack("[i,i]", 0, 0));
}

/* dockerd's HostConfig with every field at its zero value, in Go's field order. */
static const char host_template[] =
    "{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},"
    "\"NetworkMode\":\"\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"\","
    "\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,"
    "\"CapAdd\":null,\"CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],"
    "\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\","
    "\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,"
    "\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\","
    "\"UsernsMode\":\"\",\"ShmSize\":0,\"Runtime\":\"runc\",\"ConsoleSize\":[0,0],"
    "\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\","
    "\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":null,"
    "\"BlkioDeviceWriteBps\":null,\"BlkioDeviceReadIOps\":null,\"BlkioDeviceWriteIOps\":null,"
    "\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,"
    "\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[],\"DeviceCgroupRules\":null,"
    "\"DeviceRequests\":null,\"KernelMemory\":0,\"KernelMemoryTCP\":0,"
    "\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":null,"
    "\"OomKillDisable\":false,\"PidsLimit\":null,\"Ulimits\":null,\"CpuCount\":0,"
    "\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,"
    "\"ReadonlyPaths\":null}";

json_t *container_hostconfig_parse(const json_t *body, bool cgroup2, struct err *e)
{
	json_t *hc = json_loads(host_template, JSON_PRESERVE_ORDER, NULL);
	if (!hc)
		abort();
	json_t *src = json_object_get(body, "HostConfig");
	if (src && !json_is_null(src) && !json_is_object(src)) {
		json_decref(hc);
		err_invalid(e, "HostConfig: expected an object");
		return NULL;
	}
	if ((src &&
	     copy_fields(hc, src, host_fields, ARRAY_SIZE(host_fields), "HostConfig", e) < 0) ||
	    check_strings(hc, "Binds", "HostConfig", e) < 0 ||
	    check_strings(hc, "CapAdd", "HostConfig", e) < 0 ||
	    check_strings(hc, "CapDrop", "HostConfig", e) < 0 || host_limits(hc, e) < 0 ||
	    container_restart_policy_check(hc, e) < 0 || ocispec_security_check(hc, e) < 0) {
		json_decref(hc);
		return NULL;
	}
	host_defaults(hc, cgroup2);
	return hc;
}

bool container_env_has_key(const json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	size_t i;
	json_t *v;
	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);
		if (s && strcspn(s, "=") == klen && !strncmp(s, kv, klen))
			return true;
	}
	return false;
}

static bool empty_array(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
}

/* moby daemon/commit.go merge(): the image's config fills what the user left empty, with
 * copies: the image's config is shared by concurrent creates, and copying leaves its
 * reference counts alone (json_incref's check is a plain read of the count, which TSan
 * reports beside another thread's atomic increment). */
void container_config_merge(json_t *cfg, const json_t *img)
{
	const char *user = json_string_value(json_object_get(cfg, "User"));
	if ((!user || !*user) && json_is_string(json_object_get(img, "User")))
		json_object_set_new(cfg, "User", json_deep_copy(json_object_get(img, "User")));
	json_t *ienv = json_object_get(img, "Env"), *env = json_object_get(cfg, "Env");
	if (empty_array(env)) {
		if (json_is_array(ienv))
			json_object_set_new(cfg, "Env", json_deep_copy(ienv));
	} else if (json_is_array(ienv)) {
		size_t i;
		json_t *v;
		json_t *add = json_array();
		json_array_foreach (ienv, i, v)
			if (json_is_string(v) && !container_env_has_key(env, json_string_value(v)))
				json_array_append_new(add, json_deep_copy(v));
		json_array_extend(env, add);
		json_decref(add);
	}
	json_t *labels = json_object_get(cfg, "Labels");
	json_t *il = json_object_get(img, "Labels");
	if (json_is_object(il)) {
		json_t *merged = json_deep_copy(il);
		json_object_update(merged, labels);
		json_object_set_new(cfg, "Labels", merged);
	}
	json_t *iports = json_object_get(img, "ExposedPorts");
	if (json_is_object(iports)) {
		json_t *p = json_object_get(cfg, "ExposedPorts");
		json_t *merged = json_deep_copy(iports);
		if (json_is_object(p))
			json_object_update(merged, p);
		json_object_set_new(cfg, "ExposedPorts", merged);
	}
	if (empty_array(json_object_get(cfg, "Entrypoint"))) {
		if (empty_array(json_object_get(cfg, "Cmd")) &&
		    json_is_array(json_object_get(img, "Cmd")))
			json_object_set_new(cfg, "Cmd",
					    json_deep_copy(json_object_get(img, "Cmd")));
		if (!json_is_array(json_object_get(cfg, "Entrypoint")) &&
		    json_is_array(json_object_get(img, "Entrypoint")))
			json_object_set_new(cfg, "Entrypoint",
					    json_deep_copy(json_object_get(img, "Entrypoint")));
	}
	const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
	if ((!wd || !*wd) && json_is_string(json_object_get(img, "WorkingDir")))
		json_object_set_new(cfg, "WorkingDir",
				    json_deep_copy(json_object_get(img, "WorkingDir")));
	json_t *ivol = json_object_get(img, "Volumes");
	if (json_is_object(ivol)) {
		json_t *merged = json_deep_copy(ivol);
		if (json_is_object(json_object_get(cfg, "Volumes")))
			json_object_update(merged, json_object_get(cfg, "Volumes"));
		json_object_set_new(cfg, "Volumes", merged);
	}
	if (!json_object_get(cfg, "StopSignal") &&
	    json_is_string(json_object_get(img, "StopSignal")))
		json_object_set(cfg, "StopSignal", json_object_get(img, "StopSignal"));
	container_health_merge(cfg, img);
	if (!json_is_array(json_object_get(cfg, "OnBuild")) &&
	    json_is_array(json_object_get(img, "OnBuild")))
		json_object_set(cfg, "OnBuild", json_object_get(img, "OnBuild"));
}

int container_config_command(const json_t *cfg, json_t **path, json_t **args, struct err *e)
{
	json_t *ep = json_object_get(cfg, "Entrypoint"), *cmd = json_object_get(cfg, "Cmd");
	json_t *all = json_array();
	if (json_is_array(ep))
		json_array_extend(all, ep);
	if (json_is_array(cmd))
		json_array_extend(all, cmd);
	if (json_array_size(all) == 0) {
		json_decref(all);
		return err_invalid(e, "No command specified");
	}
	*path = json_incref(json_array_get(all, 0));
	json_array_remove(all, 0);
	*args = all;
	return 0;
}
