/* container_test: the pure rules of containers: names, durations and Status texts, signal
 * names, the create body's decoding and image merge, the OCI config generated. */
#include <signal.h>
#include <string.h>

#include "engine/container.h"
#include "engine/container_config.h"
#include "engine/ocispec.h"
#include "store/time.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static void test_names(void)
{
	ok(container_name_valid("ab"), "ab is a valid name");
	ok(container_name_valid("/web-1_x.y"), "leading slash and [_.-] are fine");
	ok(!container_name_valid("a"), "one character is too short (moby's regexp needs two)");
	ok(!container_name_valid("-ab"), "must start alphanumeric");
	ok(!container_name_valid("a b"), "no spaces");
	ok(!container_name_valid(""), "empty is invalid");
	char n[96];
	container_name_generate(n, sizeof(n), 0);
	ok(strchr(n, '_') && container_name_valid(n), "generated %s is adjective_surname", n);
	container_name_generate(n, sizeof(n), 7);
	ok(n[strlen(n) - 1] >= '0' && n[strlen(n) - 1] <= '9', "a retry appends a digit: %s", n);
}

static void test_durations(void)
{
	char d[64];
	const int64_t s = 1000000000;
	struct {
		int64_t ns;
		const char *want;
	} cases[] = {{0, "Less than a second"},	   {s, "1 second"},
		     {59 * s, "59 seconds"},	   {60 * s, "About a minute"},
		     {119 * s, "About a minute"},  {120 * s, "2 minutes"},
		     {3599 * s, "59 minutes"},	   {3600 * s, "About an hour"},
		     {5400 * s, "2 hours"},	   {47 * 3600 * s, "47 hours"},
		     {48 * 3600 * s, "2 days"},	   {15 * 86400 * s, "2 weeks"},
		     {70 * 86400 * s, "2 months"}, {800 * 86400 * s, "2 years"}};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		container_human_duration(cases[i].ns, d, sizeof(d));
		is_str(d, cases[i].want, "HumanDuration(%llds)", (long long)(cases[i].ns / s));
	}
}

static void test_status(void)
{
	int64_t now;
	store_time_parse("2026-11-23T10:00:00Z", &now, NULL);
	json_t *st = json_pack("{s:s, s:b, s:b, s:i, s:s, s:s}", "Status", "created", "Running", 0,
			       "Paused", 0, "ExitCode", 0, "StartedAt", STORE_TIME_ZERO,
			       "FinishedAt", STORE_TIME_ZERO);
	char *t = container_status_text(st, now);
	is_str(t, "Created", "never started: Created");
	free(t);
	json_object_set_new(st, "Running", json_true());
	json_object_set_new(st, "StartedAt", json_string("2026-11-23T09:59:57Z"));
	t = container_status_text(st, now);
	is_str(t, "Up 3 seconds", "running");
	free(t);
	json_object_set_new(st, "Paused", json_true());
	t = container_status_text(st, now);
	is_str(t, "Up 3 seconds (Paused)", "paused");
	free(t);
	json_object_set_new(st, "Running", json_false());
	json_object_set_new(st, "Paused", json_false());
	json_object_set_new(st, "ExitCode", json_integer(3));
	json_object_set_new(st, "FinishedAt", json_string("2026-11-23T09:58:00.5Z"));
	t = container_status_text(st, now);
	is_str(t, "Exited (3) About a minute ago", "exited");
	free(t);
	json_decref(st);
}

static void test_signals(void)
{
	int sig = 0;
	ok(container_signal_parse("HUP", &sig, NULL) == 0 && sig == SIGHUP, "HUP");
	ok(container_signal_parse("SIGKILL", &sig, NULL) == 0 && sig == SIGKILL, "SIGKILL");
	ok(container_signal_parse("term", &sig, NULL) == 0 && sig == SIGTERM, "term");
	ok(container_signal_parse("9", &sig, NULL) == 0 && sig == 9, "9");
	ok(container_signal_parse("RTMIN+1", &sig, NULL) == 0 && sig == SIGRTMIN + 1, "RTMIN+1");
	struct err e = ERR_INIT;
	ok(container_signal_parse("BOGUS", &sig, &e) < 0 && e.kind == ERR_INVALID, "BOGUS refused");
	is_str(e.msg, "Invalid signal: BOGUS", "message");
	ok(container_signal_parse("0", &sig, NULL) < 0, "0 refused");
}

static void test_config(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:s, s:[s], s:n, s:{s:s}, s:{s:i, s:n, s:[s]}}", "Image", "busybox",
		      "Cmd", "true", "Env", "A=1", "Entrypoint", "Labels", "k", "v", "HostConfig",
		      "Memory", 16 << 20, "LogConfig", "CapAdd", "NET_ADMIN");
	_cleanup_json_ json_t *cfg = container_config_parse(body, &e);
	ok(cfg != NULL, "Config decoded: %s", e.msg);
	ok(json_array_size(json_object_get(cfg, "Cmd")) == 1 &&
	       !strcmp(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0)), "true"),
	   "a string Cmd becomes a one-element list");
	_cleanup_json_ json_t *img =
	    json_pack("{s:[s,s], s:[s], s:s, s:{s:s, s:s}}", "Env", "PATH=/bin", "A=0", "Cmd", "sh",
		      "WorkingDir", "/w", "Labels", "k", "img", "i", "x");
	container_config_merge(cfg, img);
	json_t *env = json_object_get(cfg, "Env");
	ok(json_array_size(env) == 2 &&
	       !strcmp(json_string_value(json_array_get(env, 1)), "PATH=/bin"),
	   "image env added after the user's, A not overridden");
	is_str(json_string_value(json_object_get(cfg, "WorkingDir")), "/w", "workdir from image");
	is_str(json_string_value(json_object_get(json_object_get(cfg, "Labels"), "k")), "v",
	       "user label wins");
	is_str(json_string_value(json_object_get(json_object_get(cfg, "Labels"), "i")), "x",
	       "image label kept");
	json_t *path, *args;
	ok(container_config_command(cfg, &path, &args, &e) == 0, "command");
	is_str(json_string_value(path), "true", "Path from Cmd (the user's, not the image's)");
	json_decref(path);
	json_decref(args);
	_cleanup_json_ json_t *hc = container_hostconfig_parse(body, false, &e);
	ok(hc != NULL, "HostConfig decoded");
	is_str(json_string_value(json_object_get(json_object_get(hc, "LogConfig"), "Type")),
	       "json-file", "null LogConfig -> json-file");
	is_int(json_integer_value(json_object_get(hc, "ShmSize")), 67108864, "ShmSize default");
	is_str(json_string_value(json_object_get(hc, "NetworkMode")), "default", "NetworkMode");

	_cleanup_json_ json_t *bad = json_pack("{s:{s:s}}", "HostConfig", "Memory", "x");
	err_clear(&e);
	ok(container_hostconfig_parse(bad, false, &e) == NULL && e.kind == ERR_INVALID,
	   "a mistyped field is refused");
	ok(strstr(e.msg, "HostConfig.Memory") != NULL, "naming it: %s", e.msg);
	_cleanup_json_ json_t *small = json_pack("{s:{s:i}}", "HostConfig", "Memory", 1024);
	err_clear(&e);
	ok(container_hostconfig_parse(small, false, &e) == NULL, "Memory below 6MB refused");
	is_str(e.msg, "Minimum memory limit allowed is 6MB", "dockerd's message");
	_cleanup_json_ json_t *empty = json_pack("{s:[]}", "Cmd");
	err_clear(&e);
	ok(container_config_command(empty, &path, &args, &e) < 0, "nothing to run");
	is_str(e.msg, "No command specified", "dockerd's message");
}

static bool has_str(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v)
		if (str_eq(json_string_value(v), s))
			return true;
	return false;
}

static void test_ocispec(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *body =
	    json_pack("{s:s, s:[s,s], s:b, s:s, s:{s:I, s:I, s:i, s:s, s:i, s:[s], s:[s], s:b, "
		      "s:[{s:s, s:i, s:i}], s:{s:s}}}",
		      "Image", "busybox", "Cmd", "sh", "-c", "Tty", 1, "Hostname", "h1",
		      "HostConfig", "Memory", (json_int_t)64 << 20, "NanoCpus",
		      (json_int_t)1500000000, "PidsLimit", 50, "CpusetCpus", "0", "CpuShares", 512,
		      "CapAdd", "NET_ADMIN", "CapDrop", "MKNOD", "ReadonlyRootfs", 1, "Ulimits",
		      "Name", "nofile", "Soft", 100, "Hard", 200, "Tmpfs", "/t", "size=1m");
	_cleanup_json_ json_t *cfg = container_config_parse(body, &e);
	_cleanup_json_ json_t *hc = container_hostconfig_parse(body, false, &e);
	json_t *path, *args;
	container_config_command(cfg, &path, &args, &e);
	_cleanup_json_ json_t *rec =
	    json_pack("{s:s, s:o, s:o, s:O, s:O}", "Id",
		      "0123456789abcdef0123456789abcdef0123456789abcdef0123"
		      "456789abcdef",
		      "Path", path, "Args", args, "Config", cfg, "HostConfig", hc);
	struct ocispec_input in = {
	    .rec = rec, .rootfs = "/r", .cdir = "/c", .uid = 1, .gid = 2, .swap_ok = true};
	_cleanup_json_ json_t *spec = ocispec_build(&in, &e);
	ok(spec != NULL, "spec built: %s", e.msg);
	json_t *p = json_object_get(spec, "process");
	ok(json_is_true(json_object_get(p, "terminal")), "terminal from Tty");
	is_str(json_string_value(json_array_get(json_object_get(p, "args"), 0)), "sh", "args[0]");
	is_int(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 1, "uid");
	json_t *env = json_object_get(p, "env");
	ok(has_str(env, "HOSTNAME=h1") && has_str(env, "TERM=xterm"), "HOSTNAME and TERM");
	json_t *caps = json_object_get(json_object_get(p, "capabilities"), "bounding");
	ok(has_str(caps, "CAP_NET_ADMIN") && has_str(caps, "CAP_CHOWN") &&
	       !has_str(caps, "CAP_MKNOD") && !has_str(caps, "CAP_SYS_ADMIN"),
	   "default caps + NET_ADMIN - MKNOD");
	is_str(json_string_value(
		   json_object_get(json_array_get(json_object_get(p, "rlimits"), 0), "type")),
	       "RLIMIT_NOFILE", "ulimit nofile");
	ok(json_is_true(json_object_get(json_object_get(spec, "root"), "readonly")), "read-only");
	is_str(json_string_value(json_object_get(spec, "hostname")), "h1", "hostname");
	json_t *lx = json_object_get(spec, "linux");
	json_t *res = json_object_get(lx, "resources");
	is_int(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
	       64 << 20, "memory limit");
	is_int(json_integer_value(json_object_get(json_object_get(res, "memory"), "swap")),
	       128 << 20, "no MemorySwap: twice the memory");
	is_int(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")), 150000,
	       "1.5 CPUs");
	is_int(json_integer_value(json_object_get(json_object_get(res, "cpu"), "shares")), 512,
	       "shares");
	is_int(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")), 50,
	       "pids");
	ok(strstr(json_string_value(json_object_get(lx, "cgroupsPath")), "/berth/0123") != NULL,
	   "cgroupsPath /berth/<id>");
	ok(json_array_size(json_object_get(lx, "maskedPaths")) > 5, "masked paths");
	size_t nns = json_array_size(json_object_get(lx, "namespaces"));
	is_int(nns, 5, "mount, network, uts, pid, ipc");
	json_t *mounts = json_object_get(spec, "mounts"), *m;
	size_t i;
	bool proc = false, tmp = false, hosts = false;
	json_array_foreach (mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		proc = proc || !strcmp(d, "/proc");
		tmp = tmp || !strcmp(d, "/t");
		hosts =
		    hosts || (!strcmp(d, "/etc/hosts") &&
			      !strcmp(json_string_value(json_object_get(m, "source")), "/c/hosts"));
	}
	ok(proc && tmp && hosts, "proc, tmpfs /t, /etc/hosts bind");

	_cleanup_json_ json_t *priv = json_pack("{s:b, s:[s]}", "Privileged", 1, "CapDrop", "ALL");
	_cleanup_strv_ char **all = NULL;
	ok(ocispec_caps(priv, &all, &e) == 0 && strv_len(all) > 30, "privileged: every cap");
	_cleanup_json_ json_t *bogus = json_pack("{s:[s]}", "CapAdd", "BOGUS");
	_cleanup_strv_ char **none = NULL;
	ok(ocispec_caps(bogus, &none, &e) < 0, "unknown capability refused");
}

int main(void)
{
	test_names();
	test_durations();
	test_status();
	test_signals();
	test_config();
	test_ocispec();
	return tap_done();
}
