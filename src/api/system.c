/* api/system: /_ping, /version and /info with dockerd's key sets, and the hijack test route. */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "api/api.h"
#include "api/http.h"
#include "engine/container.h"
#include "engine/image_registry.h"
#include "engine/userns.h"
#include "engine/swarm.h"
#include "image/image.h"
#include "store/time.h"
#include "util/str.h"

void api_ping(struct api_req *req)
{
	bool head = !strcmp(req->method, "HEAD");
	api_reply_text(req, 200, "text/plain; charset=utf-8", head ? "" : "OK");
	MHD_add_response_header(req->resp, "Cache-Control", "no-cache, no-store, must-revalidate");
	MHD_add_response_header(req->resp, "Pragma", "no-cache");
	MHD_add_response_header(req->resp, "Swarm", engine_swarm_status(req->eng));
	MHD_add_response_header(req->resp, "Builder-Version", "1");
}

void api_version(struct api_req *req)
{
	struct engine_sysinfo si;
	engine_sysinfo(req->eng, &si);
	const char *arch = image_host_arch();
	json_t *details =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion",
		      API_MAX_VERSION_STR, "Arch", arch, "BuildTime", "", "Experimental", "false",
		      "GitCommit", "unknown", "GoVersion", "n/a", "KernelVersion", si.kernel,
		      "MinAPIVersion", API_MIN_VERSION_STR, "Os", "linux");
	json_t *v = json_pack(
	    "{s:{s:s}, s:[{s:s, s:s, s:o}, {s:s, s:s, s:{s:s}}], s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:s}",
	    "Platform", "Name", "berth", "Components", "Name", "Engine", "Version", BERTH_VERSION,
	    "Details", details, "Name", "runc", "Version", "berth-runc " BERTH_VERSION, "Details",
	    "GitCommit", "unknown", "Version", BERTH_VERSION, "ApiVersion", API_MAX_VERSION_STR,
	    "MinAPIVersion", API_MIN_VERSION_STR, "GitCommit", "unknown", "GoVersion", "n/a", "Os",
	    "linux", "Arch", arch, "KernelVersion", si.kernel, "BuildTime", "");
	api_reply_json(req, 200, v);
}

static const char *backing_fs(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return "<unknown>";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53:
		return "extfs";
	case 0x58465342:
		return "xfs";
	case 0x9123683E:
		return "btrfs";
	case 0x01021994:
		return "tmpfs";
	case 0x794c7630:
		return "overlayfs";
	case 0x2fc12fc1:
		return "zfs";
	}
	return "<unknown>";
}

static json_t *info_warnings(const struct engine_sysinfo *si)
{
	json_t *w = json_array();
	if (si->cgroup_version == 1 && !si->swap_limit)
		json_array_append_new(w, json_string("WARNING: No swap limit support"));
	if (!si->bridge_nf_iptables)
		json_array_append_new(w,
				      json_string("WARNING: bridge-nf-call-iptables is disabled"));
	if (!si->bridge_nf_ip6tables)
		json_array_append_new(w,
				      json_string("WARNING: bridge-nf-call-ip6tables is disabled"));
	return w;
}

static json_t *env_or_empty(const char *a, const char *b)
{
	const char *v = getenv(a);
	if (!v)
		v = getenv(b);
	return json_string(v ? v : "");
}

/* The host and capability part of /info. */
static json_t *info_host(struct api_req *req, const struct engine_sysinfo *si)
{
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	return json_pack(
	    "{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:i, s:b, s:i, "
	    "s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "MemoryLimit", si->memory_limit, "SwapLimit", si->swap_limit, "KernelMemory", 0,
	    "KernelMemoryTCP", 0, "CpuCfsPeriod", si->cpu_cfs, "CpuCfsQuota", si->cpu_cfs,
	    "CPUShares", si->cpu_shares, "CPUSet", si->cpuset, "PidsLimit", si->pids_limit,
	    "IPv4Forwarding", si->ipv4_forwarding, "BridgeNfIptables", si->bridge_nf_iptables,
	    "BridgeNfIp6tables", si->bridge_nf_ip6tables, "Debug", engine_debug(req->eng), "NFd",
	    si->nfd, "OomKillDisable", si->oom_kill_disable, "NGoroutines", si->nthreads,
	    "SystemTime", now, "LoggingDriver", "json-file", "CgroupDriver", "cgroupfs",
	    "CgroupVersion", si->cgroup_version == 2 ? "2" : "1", "NEventsListener", si->n_events,
	    "KernelVersion", si->kernel, "OperatingSystem", si->os_name, "OSVersion",
	    si->os_version, "OSType", "linux", "Architecture", si->arch, "IndexServerAddress",
	    "https://index.docker.io/v1/", "NCPU", (json_int_t)si->ncpu, "MemTotal",
	    (json_int_t)si->mem_total);
}

void api_info(struct api_req *req)
{
	struct engine_sysinfo si;
	engine_sysinfo(req->eng, &si);
	const char *root = engine_root(req->eng);
	int n[4];
	engine_container_counts(req->eng, n);
	json_t *info = json_pack("{s:s, s:i, s:i, s:i, s:i, s:I, s:s, s:[[s,s],[s,s],[s,s],[s,s]], "
				 "s:{s:[s], s:[s,s,s], s:n, s:[s]}}",
				 "ID", engine_id(req->eng), "Containers", n[0], "ContainersRunning",
				 n[1], "ContainersPaused", n[2], "ContainersStopped", n[3],
				 "Images", (json_int_t)si.n_images, "Driver", "overlay2",
				 "DriverStatus", "Backing Filesystem", backing_fs(root),
				 "Supports d_type", "true", "Native Overlay Diff", "true",
				 "userxattr", "false", "Plugins", "Volume", "local", "Network",
				 "bridge", "host", "null", "Authorization", "Log", "json-file");
	json_object_update_new(info, info_host(req, &si));
	json_t *rest = json_pack(
	    "{s:o, s:n, s:s, s:o, s:o, s:s, s:s, s:[], s:b, s:s, s:{s:{s:s}}, s:s, "
	    "s:{s:s, s:s, s:s, s:b, s:s, s:n}, s:b, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, "
	    "s:{s:s, s:s}, s:[s], s:o}",
	    "RegistryConfig", engine_registry_config(req->eng), "GenericResources", "DockerRootDir",
	    root, "HttpProxy", env_or_empty("HTTP_PROXY", "http_proxy"), "HttpsProxy",
	    env_or_empty("HTTPS_PROXY", "https_proxy"), "NoProxy", "", "Name", si.hostname,
	    "Labels", "ExperimentalBuild", 0, "ServerVersion", BERTH_VERSION, "Runtimes", "runc",
	    "path", si.runtime_path, "DefaultRuntime", "runc", "Swarm", "NodeID", "", "NodeAddr",
	    "", "LocalNodeState", "inactive", "ControlAvailable", 0, "Error", "", "RemoteManagers",
	    "LiveRestoreEnabled", 1, "Isolation", "", "InitBinary", "", "ContainerdCommit", "ID",
	    "", "Expected", "", "RuncCommit", "ID", "berth-runc " BERTH_VERSION, "Expected",
	    "berth-runc " BERTH_VERSION, "InitCommit", "ID", "", "Expected", "", "SecurityOptions",
	    "name=seccomp,profile=builtin", "Warnings", info_warnings(&si));
	if (engine_userns_on(req->eng)) /* dockerd lists it when the root is remapped */
		json_array_append_new(json_object_get(rest, "SecurityOptions"),
				      json_string("name=userns"));
	json_object_update_new(info, rest);
	json_object_set_new(info, "Swarm", engine_swarm_info(req->eng));
	api_reply_json(req, 200, info);
}

/* POST /_berth/echo (debug daemons only): 101, then every byte comes back until the client
 * half-closes. Exercises the hijack path the attach/exec handlers will use. */
static void echo_session(void *arg, int sock, const char *extra, size_t extra_len)
{
	if (extra_len)
		send(sock, extra, extra_len, MSG_NOSIGNAL);
	char buf[4096];
	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || send(sock, buf, (size_t)n, MSG_NOSIGNAL) != n)
			break;
	}
	shutdown(sock, SHUT_WR);
}

void api_debug_echo(struct api_req *req)
{
	api_reply_upgrade(req, "application/vnd.docker.raw-stream", echo_session, NULL, NULL);
}
