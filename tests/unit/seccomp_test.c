/* Unit tests for src/runtime/seccomp: profile validation with errors naming the field, and
 * real effects of loaded filters, each in a forked child that reports through its status. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define ARCHS "[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"]"

static char tmpdir[] = "/tmp/berth-seccomp-test.XXXXXX";

/* Runs fn in a child after loading f; returns the wait status (100: the load failed). */
static int run_filtered(struct seccomp_filter *f, int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct err e = ERR_INIT;
		if (seccomp_filter_load(f, &e) < 0)
			_exit(100);
		int code = fn();
		/* The raw syscall: sanitizer runtimes hook _exit and need syscalls that an
		 * allow-list profile refuses. */
		syscall(SYS_exit_group, code);
		_exit(code);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static struct seccomp_filter *compile_str(const char *text, struct err *e)
{
	_cleanup_json_ json_t *j = json_loads(text, 0, NULL);
	if (!j) {
		err_invalid(e, "test JSON does not parse: %s", text);
		return NULL;
	}
	return seccomp_filter_compile(j, "linux.seccomp", e);
}

static void expect_error(const char *text, const char *want, const char *what)
{
	struct err e = ERR_INIT;
	struct seccomp_filter *f = compile_str(text, &e);
	ok(f == NULL, "%s is refused", what);
	is_str(e.msg, want, "%s: message names the field", what);
	seccomp_filter_free(f);
}

static void test_errors(void)
{
	expect_error("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		     "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_FOO'", "bad default");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_FOO\"}]}",
		     "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_FOO'",
		     "bad rule action");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
		     "\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}",
		     "linux.seccomp.syscalls[0].args[1].op: unknown operator 'SCMP_CMP_XX'",
		     "bad operator");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
		     "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
		     "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'",
		     "bad architecture");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
		     "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_X'", "bad flag");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
		     "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (syscalls have 6 "
		     "arguments)",
		     "argument index");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		     "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		     "linux.seccomp.listenerPath: listenerPath is not set (needed for "
		     "SCMP_ACT_NOTIFY)",
		     "notify without listenerPath");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":"
		     "[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		     "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the "
		     "write syscall",
		     "notify on write");
	expect_error(
	    "{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
	    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action",
	    "notify as default");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":"
		     "\"SCMP_ACT_ERRNO\"}]}",
		     "linux.seccomp.syscalls[0].names: missing", "missing names");
	expect_error("{\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
		     "linux.seccomp.defaultAction: missing", "rules without a default");
	expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}",
		     "linux.seccomp.defaultErrnoRet: 70000 is out of range", "errno range");
	expect_error("[]", "linux.seccomp: expected object, got array", "not an object");
}

static void test_empty(void)
{
	struct err e = ERR_INIT;
	ok(seccomp_filter_compile(NULL, "linux.seccomp", &e) == NULL && e.kind == ERR_NONE,
	   "NULL profile: no filter, no error");
	struct seccomp_filter *f = compile_str("{}", &e);
	ok(f != NULL, "empty profile compiles (seccomp off, as runc)");
	ok(seccomp_filter_load(f, &e) == 0, "loading the empty filter is a no-op");
	seccomp_filter_free(f);
	_cleanup_json_ json_t *null = json_null();
	f = seccomp_filter_compile(null, NULL, &e);
	ok(f != NULL, "JSON null compiles to an empty filter");
	seccomp_filter_free(f);
	ok(seccomp_filter_load(NULL, &e) == 0, "loading NULL is a no-op");
}

static int do_mkdir(void)
{
	_cleanup_free_ char *p = str_printf("%s/made", tmpdir);
	if (mkdir(p, 0700) == 0)
		return 0;
	return errno;
}

static void test_errno(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *j =
	    json_pack("{s:s, s:o, s:[{s:[s,s,s], s:s, s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
		      "architectures", json_loads(ARCHS, 0, NULL), "syscalls", "names", "mkdir",
		      "mkdirat", "no_such_syscall_xyz", "action", "SCMP_ACT_ERRNO", "errnoRet", 42);
	struct seccomp_filter *f = seccomp_filter_compile(j, "linux.seccomp", &e);
	ok(f != NULL, "ERRNO profile with an unknown syscall name compiles: %s", e.msg);
	is_int(exit_code(run_filtered(f, do_mkdir)), 42, "mkdir fails with errnoRet 42");
	_cleanup_free_ char *p = str_printf("%s/made", tmpdir);
	ok(!fs_exists(p), "the directory was not made");
	is_int(exit_code(run_filtered(NULL, do_mkdir)), 0, "without the filter mkdir works");
	rmdir(p);
	seccomp_filter_free(f);
}

/* The cache gives the same filter as a compile; a damaged entry is ignored and rewritten. */
static void test_cache(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *j =
	    json_pack("{s:s, s:o, s:[{s:[s], s:s, s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
		      "architectures", json_loads(ARCHS, 0, NULL), "syscalls", "names", "mkdir",
		      "action", "SCMP_ACT_ERRNO", "errnoRet", 43);
	_cleanup_free_ char *dir = str_printf("%s/cache", tmpdir);
	mkdir(dir, 0700);
	struct seccomp_filter *a = seccomp_filter_compile_cached(j, "linux.seccomp", dir, &e);
	struct seccomp_filter *b = seccomp_filter_compile_cached(j, "linux.seccomp", dir, &e);
	ok(a && b, "compiled, then read back: %s", e.msg);
	is_int(exit_code(run_filtered(b, do_mkdir)), 43, "the cached filter refuses mkdir with 43");
	_cleanup_free_ char *p = str_printf("%s/made", tmpdir);
	rmdir(p);
	/* a different profile is a different entry */
	json_object_set_new(json_array_get(json_object_get(j, "syscalls"), 0), "errnoRet",
			    json_integer(44));
	struct seccomp_filter *c = seccomp_filter_compile_cached(j, "linux.seccomp", dir, &e);
	is_int(exit_code(run_filtered(c, do_mkdir)), 44, "another profile is not served the first");
	rmdir(p);
	/* damage every entry: each is ignored, recompiled and rewritten */
	_cleanup_free_ char *cmd =
	    str_printf("for f in %s/.seccomp-*; do printf x > $f; done", dir);
	ok(system(cmd) == 0, "entries damaged");
	struct seccomp_filter *d = seccomp_filter_compile_cached(j, "linux.seccomp", dir, &e);
	is_int(exit_code(run_filtered(d, do_mkdir)), 44, "a damaged entry is compiled anew");
	rmdir(p);
	seccomp_filter_free(a);
	seccomp_filter_free(b);
	seccomp_filter_free(c);
	seccomp_filter_free(d);
	_cleanup_free_ char *rm = str_printf("rm -rf %s", dir);
	ok(system(rm) == 0, "cache removed");
}

static int do_personality(void)
{
	/* 0xffffffff only queries; 1: refused query, 2: plain query refused. */
	if (personality(0xffffffff) != -1 || errno != EPERM)
		return 1;
	if (personality(PER_LINUX) == -1)
		return 2;
	return 0;
}

static void test_args(void)
{
	struct err e = ERR_INIT;
	struct seccomp_filter *f = compile_str(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":4294967295,"
	    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    &e);
	ok(f != NULL, "argument filter compiles: %s", e.msg);
	is_int(exit_code(run_filtered(f, do_personality)), 0,
	       "personality(0xffffffff) gets EPERM, personality(0) passes");
	seccomp_filter_free(f);
}

static int do_or_and(void)
{
	/* process_vm_writev: pid 1337 OR pid 2020 get ENOANO. */
	if (syscall(SYS_process_vm_writev, 1337, NULL, 0, NULL, 0, ~0UL) != -1 || errno != ENOANO)
		return 1;
	if (syscall(SYS_process_vm_writev, 2020, NULL, 0, NULL, 0, ~0UL) != -1 || errno != ENOANO)
		return 2;
	if (syscall(SYS_process_vm_writev, 0, NULL, 0, NULL, 0, ~0UL) != -1 || errno == ENOANO)
		return 3;
	/* kcmp: arg0 == 0 AND arg1 == 1337. */
	if (syscall(SYS_kcmp, 0, 1337, 0, 0, 0) != -1 || errno != ENOANO)
		return 4;
	if (syscall(SYS_kcmp, 0, 0, 0, 0, 0) == -1 && errno == ENOANO)
		return 5;
	if (syscall(SYS_kcmp, 500, 1337, 0, 0, 0) == -1 && errno == ENOANO)
		return 6;
	return 0;
}

static void test_or_and(void)
{
	struct err e = ERR_INIT;
	struct seccomp_filter *f = compile_str(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"process_vm_writev\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":55,"
	    "\"args\":[{\"index\":0,\"value\":1337,\"op\":\"SCMP_CMP_EQ\"},"
	    "{\"index\":0,\"value\":2020,\"op\":\"SCMP_CMP_EQ\"}]},"
	    "{\"names\":[\"kcmp\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":55,"
	    "\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
	    "{\"index\":1,\"value\":1337,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    &e);
	ok(f != NULL, "multi-argument profile compiles: %s", e.msg);
	is_int(exit_code(run_filtered(f, do_or_and)), 0,
	       "same index: conditions OR-ed; different indexes: AND-ed");
	seccomp_filter_free(f);
}

static void test_kill(void)
{
	const char *acts[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"};
	for (size_t i = 0; i < ARRAY_SIZE(acts); i++) {
		struct err e = ERR_INIT;
		_cleanup_json_ json_t *j =
		    json_pack("{s:s, s:[{s:[s,s], s:s}]}", "defaultAction", "SCMP_ACT_ALLOW",
			      "syscalls", "names", "mkdir", "mkdirat", "action", acts[i]);
		struct seccomp_filter *f = seccomp_filter_compile(j, "linux.seccomp", &e);
		is_int(exit_code(run_filtered(f, do_mkdir)), -SIGSYS, "%s: child dies of SIGSYS",
		       acts[i]);
		seccomp_filter_free(f);
	}
}

static int do_enosys(void)
{
	if (syscall(1000, 0xdeadbeef, 0xcafefeed, 0x1337) != -1 || errno != ENOSYS)
		return 1;
	/* A known syscall the profile does not allow gets the default errno (ENXIO). */
	if (syscall(SYS_unshare, 0) != -1 || errno != ENXIO)
		return 2;
	if (chdir("/") != -1 || errno != ENXIO)
		return 3;
	if (getpid() <= 0)
		return 4;
	return 0;
}

static void test_enosys(void)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *j =
	    json_pack("{s:s, s:i, s:o, s:[{s:[s,s,s,s,s], s:s}]}", "defaultAction",
		      "SCMP_ACT_ERRNO", "defaultErrnoRet", ENXIO, "architectures",
		      json_loads(ARCHS, 0, NULL), "syscalls", "names", "exit", "exit_group",
		      "getpid", "openat2", "chown32", "action", "SCMP_ACT_ALLOW");
	struct seccomp_filter *f = seccomp_filter_compile(j, "linux.seccomp", &e);
	ok(f != NULL, "allow-list profile compiles: %s", e.msg);
	is_int(exit_code(run_filtered(f, do_enosys)), 0,
	       "syscalls newer than the profile get ENOSYS, others the default errno");
	seccomp_filter_free(f);

	/* Without architectures the native one still gets the stub. */
	json_object_del(j, "architectures");
	f = seccomp_filter_compile(j, "linux.seccomp", &e);
	is_int(exit_code(run_filtered(f, do_enosys)), 0, "stub also for the native arch alone");
	seccomp_filter_free(f);
}

static void test_flags_and_redundant(void)
{
	struct err e = ERR_INIT;
	struct seccomp_filter *f = compile_str(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
	    "\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":["
	    "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	    "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7},"
	    "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7}]}",
	    &e);
	ok(f != NULL, "flags, a rule equal to the default and a repeated rule compile: %s", e.msg);
	is_int(exit_code(run_filtered(f, do_mkdir)), 7, "filter with flags loads and works");
	seccomp_filter_free(f);
}

#define NOTIFY_MKDIR                                                                            \
	"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"listenerMetadata\":"   \
	"\"bar\",\"architectures\":" ARCHS ",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"]," \
	"\"action\":\"SCMP_ACT_NOTIFY\"}]}"

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static int send_listener(int listener, void *arg, struct err *e)
{
	int r = sync_send_fd(*(int *)arg, SYNC_SECCOMP, listener, e);
	close(listener);
	return r;
}

/* A one-request agent: mkdir gets ENOMEDIUM, anything else goes on. */
static int answer_one(int listener)
{
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return -1;
	struct seccomp_notif_resp resp = {.id = req.id};
	if (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat)
		resp.error = -ENOMEDIUM;
	else
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? -1 : (int)req.data.nr;
}

static void test_notify(void)
{
	struct err e = ERR_INIT;
	struct seccomp_filter *f = compile_str(NOTIFY_MKDIR, &e);
	ok(f != NULL && seccomp_filter_notifies(f), "NOTIFY profile compiles: %s", e.msg);
	is_int(exit_code(run_filtered(f, do_mkdir)), ENOSYS,
	       "listener closed (no agent): mkdir gets ENOSYS");
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		bail("socketpair");
	seccomp_filter_set_listener_fn(f, send_listener, &sp[1]);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		if (seccomp_filter_load(f, &e) < 0)
			_exit(100);
		syscall(SYS_exit_group, do_mkdir());
	}
	close(sp[1]);
	struct sync_msg m;
	int listener = -1;
	ok(sync_recv(sp[0], &m, &listener, &e) == 0 && m.type == SYNC_SECCOMP && listener >= 0,
	   "the listener fn gets the listener right after the load");
	int nr = answer_one(listener);
	ok(nr == SYS_mkdir || nr == SYS_mkdirat, "the agent sees the mkdir (nr %d)", nr);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	is_int(exit_code(status), ENOMEDIUM, "mkdir returns the agent's error");
	close(listener);
	close(sp[0]);
	seccomp_filter_free(f);
}

/* Accepts one connection on srv and checks the message and the fd that came with it. */
static void check_agent_message(int srv, int sent_fd, const char *what)
{
	_cleanup_close_ int c = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	char buf[4096] = "";
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n = c >= 0 ? recvmsg(c, &mh, MSG_CMSG_CLOEXEC) : -1;
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	int got = -1;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
	struct stat a, b;
	ok(got >= 0 && fstat(got, &a) == 0 && fstat(sent_fd, &b) == 0 && a.st_ino == b.st_ino,
	   "%s: the fd arrives with the message", what);
	if (got >= 0)
		close(got);
	_cleanup_json_ json_t *j = n > 0 ? json_loads(buf, 0, NULL) : NULL;
	const char *fd0 = json_string_value(json_array_get(json_object_get(j, "fds"), 0));
	is_str(fd0, "seccompFd", "%s: fds names the seccomp fd", what);
	is_str(json_string_value(json_object_get(j, "metadata")), "bar", "%s: metadata", what);
	is_int((int)json_integer_value(json_object_get(j, "pid")), 42, "%s: pid", what);
	is_str(json_string_value(json_object_get(json_object_get(j, "state"), "id")), "ctr",
	       "%s: the container's state", what);
	ok(json_string_value(json_object_get(j, "ociVersion")) != NULL, "%s: ociVersion", what);
}

static int listen_unix(const char *path, socklen_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + len) < 0 ||
	    listen(fd, 1) < 0)
		bail("agent socket");
	return fd;
}

static void test_agent_send(void)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *sock = str_printf("%s/agent.sock", tmpdir);
	_cleanup_free_ char *abs = str_printf("@berth-seccomp-test-%d", (int)getpid());
	_cleanup_json_ json_t *j = json_loads(NOTIFY_MKDIR, 0, NULL);
	json_object_set_new(j, "listenerPath", json_string(sock));
	struct seccomp_filter *f = seccomp_filter_compile(j, "linux.seccomp", &e);
	_cleanup_json_ json_t *st = json_pack("{s:s, s:s}", "id", "ctr", "status", "creating");
	_cleanup_close_ int srv = listen_unix(sock, (socklen_t)strlen(sock) + 1);
	ok(seccomp_agent_send(f, 1, 42, st, &e) == 0, "send to a path socket: %s", e.msg);
	check_agent_message(srv, 1, "path socket");
	seccomp_filter_free(f);

	json_object_set_new(j, "listenerPath", json_string(abs));
	f = seccomp_filter_compile(j, "linux.seccomp", &e);
	_cleanup_free_ char *raw = str_dup(abs);
	raw[0] = '\0';
	_cleanup_close_ int asrv = listen_unix(raw, (socklen_t)strlen(abs));
	ok(seccomp_agent_send(f, 1, 42, st, &e) == 0, "send to an abstract socket: %s", e.msg);
	check_agent_message(asrv, 1, "abstract socket");
	seccomp_filter_free(f);

	unlink(sock);
	json_object_set_new(j, "listenerPath", json_string(sock));
	f = seccomp_filter_compile(j, "linux.seccomp", &e);
	ok(seccomp_agent_send(f, 1, 42, st, &e) < 0 &&
	       strstr(e.msg, "failed to connect with seccomp agent") != NULL,
	   "no agent listening: %s", e.msg);
	seccomp_filter_free(f);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_errors();
	test_empty();
	test_errno();
	test_cache();
	test_args();
	test_or_and();
	test_kill();
	test_enosys();
	test_flags_and_redundant();
	test_notify();
	test_agent_send();
	struct err e = ERR_INIT;
	fs_rm_rf(tmpdir, &e);
	return tap_done();
}
