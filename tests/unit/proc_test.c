/* Unit tests for src/runtime/proc*.c and hooks.c: rlimits, oom score, identity and
 * capabilities applied for real in forked children (read back from /proc/self/status),
 * PATH lookup, passwd/group parsing, and hooks (stdin, failures, timeouts). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/proc.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static char tmpdir[] = "/tmp/berth-proc-test.XXXXXX";

struct child_report {
	char *text; /* what the child wrote */
	int status;
};

/* Runs fn(out, arg) in a child whose stdin/stderr are /dev/null and stdout a fresh pipe (so
 * that nothing of ours is chowned); the report is what fn writes to out. */
static struct child_report in_child(int (*fn)(int out, void *arg), void *arg)
{
	struct child_report r = {NULL, -1};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return r;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int sp[2];
		if (null < 0 || pipe(sp) < 0 || dup2(null, 0) < 0 || dup2(sp[1], 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(99);
		_exit(fn(p[1], arg));
	}
	close(p[1]);
	r.text = xcalloc(1, 1);
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		r.text = xrealloc(r.text, len + (size_t)n + 1);
		memcpy(r.text + len, buf, (size_t)n);
		len += (size_t)n;
		r.text[len] = '\0';
	}
	close(p[0]);
	while (waitpid(pid, &r.status, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* The value after "key:" on its line of a /proc status-like text, malloc'd. */
static char *field(const char *text, const char *key)
{
	_cleanup_free_ char *k = str_printf("\n%s:", key);
	const char *p = text ? strstr(text, k) : NULL;
	if (!p)
		return NULL;
	p += strlen(k);
	p += strspn(p, " \t");
	size_t len = strcspn(p, "\n");
	while (len && strchr(" \t", p[len - 1]))
		len--;
	return str_ndup(p, len);
}

static void report_status(int out, const char *extra)
{
	_cleanup_free_ char *st = fs_read_file("/proc/self/status", NULL, NULL);
	dprintf(out, "\n%s\n%s", extra ? extra : "", st ? st : "");
}

static int fail_report(int out, const struct err *e)
{
	dprintf(out, "\nerror: %s\n", e->msg);
	return 1;
}

static int do_rlimits(int out, void *arg)
{
	struct spec_rlimit rl[] = {{RLIMIT_NOFILE, 100, 200}, {RLIMIT_CORE, 0, 0}};
	struct spec_process p = {
	    .rlimits = rl, .n_rlimits = 2, .has_oom_score_adj = true, .oom_score_adj = 500};
	struct err e = ERR_INIT;
	if (proc_set_rlimits(&p, &e) < 0 || proc_set_oom_score_adj(&p, &e) < 0)
		return fail_report(out, &e);
	struct rlimit got;
	getrlimit(RLIMIT_NOFILE, &got);
	_cleanup_free_ char *oom = fs_read_file("/proc/self/oom_score_adj", NULL, NULL);
	dprintf(out, "\nnofile: %llu %llu\noom: %s", (unsigned long long)got.rlim_cur,
		(unsigned long long)got.rlim_max, oom ? oom : "?\n");
	return 0;
}

static void test_rlimits(void)
{
	struct child_report r = in_child(do_rlimits, NULL);
	_cleanup_free_ char *nofile = field(r.text, "nofile"), *oom = field(r.text, "oom");
	is_str(nofile, "100 200", "RLIMIT_NOFILE soft and hard applied");
	is_str(oom, "500", "oom_score_adj written");
	free(r.text);

	struct spec_rlimit bad[] = {{RLIMIT_NOFILE, 10, 5}};
	struct spec_process p = {.rlimits = bad, .n_rlimits = 1};
	struct err e = ERR_INIT;
	ok(proc_set_rlimits(&p, &e) < 0, "soft above hard is refused");
	ok(str_has_prefix(e.msg, "process.rlimits[0]: error setting rlimit type 7"),
	   "error names the rlimit: %s", e.msg);
}

struct fin_case {
	struct spec_process p;
	struct seccomp_filter *seccomp;
};

static int do_finalize(int out, void *arg)
{
	struct fin_case *c = arg;
	struct err e = ERR_INIT;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (proc_finalize(&c->p, c->seccomp, &e) < 0)
		return fail_report(out, &e);
	int pdeath = 0;
	prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
	struct stat st = {0};
	fstat(1, &st);
	_cleanup_free_ char *dir = str_printf("%s/made", tmpdir);
	int mk = mkdir(dir, 0700) == 0 ? 0 : errno;
	_cleanup_free_ char *extra =
	    str_printf("pdeath: %d\nstdout_uid: %u\nmkdir: %d", pdeath, (unsigned)st.st_uid, mk);
	report_status(out, extra);
	return 0;
}

#define CAP(n) (UINT64_C(1) << (n))

static void test_finalize_user(void)
{
	gid_t gids[] = {1000, 2000};
	struct fin_case c = {
	    .p = {
		.user = {.uid = 1000,
			 .gid = 1000,
			 .additional_gids = gids,
			 .n_additional_gids = 2,
			 .has_umask = true,
			 .umask = 077},
		.caps = {.bounding = CAP(0), .effective = CAP(0), .permitted = CAP(0), .set = true},
		.no_new_privileges = true}};
	struct child_report r = in_child(do_finalize, &c);
	_cleanup_free_ char *err = field(r.text, "error"), *bnd = field(r.text, "CapBnd"),
			    *eff = field(r.text, "CapEff"), *prm = field(r.text, "CapPrm"),
			    *inh = field(r.text, "CapInh"), *uid = field(r.text, "Uid"),
			    *gid = field(r.text, "Gid"), *groups = field(r.text, "Groups"),
			    *umask_ = field(r.text, "Umask"), *nnp = field(r.text, "NoNewPrivs"),
			    *pdeath = field(r.text, "pdeath"), *owner = field(r.text, "stdout_uid");
	is_str(err, NULL, "finalize as uid 1000 succeeds");
	is_str(bnd, "0000000000000001", "bounding set is just CAP_CHOWN");
	is_str(eff, "0000000000000001", "effective set is CAP_CHOWN (kept across setuid)");
	is_str(prm, "0000000000000001", "permitted set is CAP_CHOWN");
	is_str(inh, "0000000000000000", "inheritable set is empty");
	is_str(uid, "1000\t1000\t1000\t1000", "real, effective, saved and fs uid");
	is_str(gid, "1000\t1000\t1000\t1000", "gids");
	is_str(groups, "1000 2000", "supplementary groups");
	is_str(umask_, "0077", "umask");
	is_str(nnp, "1", "no_new_privs set");
	is_str(pdeath, "9", "parent-death signal survives the uid change");
	is_str(owner, "1000", "stdout (a pipe) now belongs to the user, as runc");
	free(r.text);
}

static void test_finalize_defaults(void)
{
	/* No process.capabilities: runc drops everything; no umask: 0022; no NNP. */
	struct fin_case c = {0};
	struct child_report r = in_child(do_finalize, &c);
	_cleanup_free_ char *err = field(r.text, "error"), *bnd = field(r.text, "CapBnd"),
			    *eff = field(r.text, "CapEff"), *umask_ = field(r.text, "Umask"),
			    *nnp = field(r.text, "NoNewPrivs"), *groups = field(r.text, "Groups"),
			    *uid = field(r.text, "Uid");
	is_str(err, NULL, "finalize as root without capabilities succeeds");
	is_str(bnd, "0000000000000000", "absent capabilities: empty bounding set");
	is_str(eff, "0000000000000000", "absent capabilities: empty effective set");
	is_str(umask_, "0022", "default umask 0022");
	is_str(nnp, "0", "no_new_privs left alone");
	is_str(groups, "", "no supplementary groups");
	is_str(uid, "0\t0\t0\t0", "still root");
	free(r.text);
}

static void test_finalize_ambient(void)
{
	uint64_t nbs = CAP(10); /* CAP_NET_BIND_SERVICE */
	struct fin_case c = {.p = {.user = {.uid = 1000, .gid = 1000},
				   .caps = {.bounding = nbs,
					    .effective = nbs,
					    .permitted = nbs,
					    .inheritable = nbs,
					    .ambient = nbs | CAP(0),
					    .set = true}}};
	struct child_report r = in_child(do_finalize, &c);
	_cleanup_free_ char *err = field(r.text, "error"), *amb = field(r.text, "CapAmb");
	is_str(err, NULL, "finalize with ambient caps succeeds");
	is_str(amb, "0000000000000400",
	       "ambient: NET_BIND_SERVICE raised, CHOWN (not permitted) skipped as runc");
	free(r.text);
}

static void test_finalize_seccomp(void)
{
	_cleanup_json_ json_t *j = json_pack("{s:s, s:[{s:[s,s], s:s, s:i}]}", "defaultAction",
					     "SCMP_ACT_ALLOW", "syscalls", "names", "mkdir",
					     "mkdirat", "action", "SCMP_ACT_ERRNO", "errnoRet", 42);
	struct err e = ERR_INIT;
	struct seccomp_filter *f = seccomp_filter_compile(j, "linux.seccomp", &e);
	for (int nnp = 0; nnp < 2; nnp++) {
		struct fin_case c = {
		    .p = {.user = {.uid = 1000, .gid = 1000}, .no_new_privileges = nnp},
		    .seccomp = f};
		struct child_report r = in_child(do_finalize, &c);
		_cleanup_free_ char *err = field(r.text, "error"), *mk = field(r.text, "mkdir"),
				    *sc = field(r.text, "Seccomp");
		is_str(err, NULL, "finalize with seccomp, noNewPrivileges=%d", nnp);
		is_str(sc, "2", "filter mode on (noNewPrivileges=%d)", nnp);
		is_str(mk, "42", "the filter works after the uid change (noNewPrivileges=%d)", nnp);
		free(r.text);
	}
	seccomp_filter_free(f);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	struct err e = ERR_INIT;
	fs_write_atomic(path, text, strlen(text), mode, &e);
}

static void test_find_exec(void)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *bin = str_printf("%s/bin", tmpdir), *foo = str_printf("%s/foo", bin),
			    *bar = str_printf("%s/bar", bin), *sub = str_printf("%s/sub", bin),
			    *pathenv = str_printf("PATH=/nonexistent::%s", bin);
	fs_mkdir_p(sub, 0755, &e);
	write_file(foo, "#!/bin/sh\n", 0755);
	write_file(bar, "data\n", 0644);
	char *env[] = {"A=1", "PATH=/wrong", pathenv, NULL};
	_cleanup_free_ char *got = proc_find_exec("foo", env, &e);
	is_str(got, foo, "found through PATH (the last PATH wins)");
	_cleanup_free_ char *abs = proc_find_exec(foo, env, &e);
	is_str(abs, foo, "a path with a slash is used as is");
	ok(!proc_find_exec("bar", env, &e), "a non-executable file is skipped");
	is_str(e.msg, "exec: \"bar\": executable file not found in $PATH", "runc's not found");
	ok(!proc_find_exec("sub", env, &e), "a directory is skipped");
	char *nopath[] = {"A=1", NULL};
	ok(!proc_find_exec("sh", nopath, &e) && e.kind == ERR_NOT_FOUND,
	   "no PATH: nothing searched, as runc");
	ok(!proc_find_exec("/nonexistent/x", env, &e), "missing absolute path");
	is_str(e.msg, "exec: \"/nonexistent/x\": stat /nonexistent/x: no such file or directory",
	       "Go's stat error text");
	ok(!proc_find_exec(bar, env, &e), "non-executable absolute path");
	_cleanup_free_ char *want = str_printf("exec: \"%s\": permission denied", bar);
	is_str(e.msg, want, "Go's permission text");
	/* An empty PATH element is the current directory, which Go refuses to use. */
	_cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *dot[] = {"PATH=/nonexistent:", NULL};
	if (chdir(bin) == 0) {
		ok(!proc_find_exec("foo", dot, &e), "found only in the current directory");
		is_str(e.msg,
		       "exec: \"foo\": cannot run executable found relative to current directory",
		       "Go's ErrDot text");
		(void)!fchdir(cwd);
	}
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "\n"
			     "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
			     "  bob:x:1001:100::/home/bob:/bin/sh  \n"
			     "short:x:1002";
static const char group[] = "root:x:0:\n"
			    "wheel:x:10:alice,root\n"
			    "users:x:100:bob\n"
			    "alice:x:1000:\n"
			    "devs:x:2000:bob,alice\n";

static void check_user(const char *spec, const char *pw, uid_t uid, gid_t gid, const char *sgids)
{
	struct spec_user u = {0};
	struct err e = ERR_INIT;
	int r = proc_user_resolve(spec, pw, group, &u, &e);
	_cleanup_free_ char *list = str_dup("");
	for (size_t i = 0; i < u.n_additional_gids; i++) {
		char *l = str_printf("%s%s%u", list, i ? "," : "", (unsigned)u.additional_gids[i]);
		free(list);
		list = l;
	}
	ok(r == 0 && u.uid == uid && u.gid == gid && !strcmp(list, sgids),
	   "'%s' -> %u:%u [%s] (got %u:%u [%s] %s)", spec, (unsigned)uid, (unsigned)gid, sgids,
	   (unsigned)u.uid, (unsigned)u.gid, list, e.msg);
	free(u.additional_gids);
}

static void check_user_error(const char *spec, const char *pw, const char *want)
{
	struct spec_user u = {0};
	struct err e = ERR_INIT;
	ok(proc_user_resolve(spec, pw, group, &u, &e) < 0, "'%s' is refused", spec);
	is_str(e.msg, want, "'%s': error text", spec);
	free(u.additional_gids);
}

static void test_user(void)
{
	check_user("alice", passwd, 1000, 1000, "10,2000");
	check_user("1000", passwd, 1000, 1000, "10,2000");
	check_user("bob", passwd, 1001, 100, "100,2000");
	check_user("bob:wheel", passwd, 1001, 10, "");
	check_user("alice:2000", passwd, 1000, 2000, "");
	check_user("alice:4242", passwd, 1000, 4242, "");
	check_user("5000", passwd, 5000, 0, "");
	check_user("5000:6000", passwd, 5000, 6000, "");
	check_user("", passwd, 0, 0, "10");
	check_user("1234:5", NULL, 1234, 5, "");
	check_user("short", passwd, 1002, 0, "");
	check_user_error("nobody", passwd,
			 "unable to find user nobody: no matching entries in passwd file");
	check_user_error("alice:nogroup", passwd,
			 "unable to find group nogroup: no matching entries in group file");
	check_user_error("alice", NULL,
			 "unable to find user alice: no matching entries in passwd file");
	check_user_error("-1", passwd, "uids and gids must be in range 0-2147483647");
	check_user_error("1:4294967296", passwd, "uids and gids must be in range 0-2147483647");
	_cleanup_free_ char *h1 = proc_passwd_home(passwd, 1000), *h2 = proc_passwd_home(passwd, 7);
	is_str(h1, "/home/alice", "home of uid 1000");
	is_str(h2, "/", "home of an unlisted uid is /");
	_cleanup_strv_ char **env = strv_copy((char *[]){"A=1", NULL});
	proc_env_default_home(&env, 0);
	ok(strv_len(env) == 2 && str_has_prefix(env[1], "HOME=/"), "HOME added from /etc/passwd");
	proc_env_default_home(&env, 1000);
	is_int(strv_len(env), 2, "an existing HOME is kept");
}

static struct spec_hook sh_hook(char **args, int timeout)
{
	return (struct spec_hook){
	    .path = "/bin/sh", .args = args, .has_timeout = timeout > 0, .timeout = timeout};
}

static void test_hooks(void)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *out = str_printf("%s/state", tmpdir);
	_cleanup_free_ char *cmd = str_printf("cat > %s && test \"$FOO\" = bar", out);
	char *a_cat[] = {"sh", "-c", cmd, NULL}, *env[] = {"FOO=bar", NULL};
	struct spec_hook h = sh_hook(a_cat, 5);
	h.env = env;
	const char *state = "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"creating\"}";
	ok(hooks_run(&h, 1, state, &e) == 0, "hook runs: %s", e.msg);
	_cleanup_free_ char *got = fs_read_file(out, NULL, &e);
	is_str(got, state, "the hook got the state on stdin and its env");

	char *a_ok[] = {"sh", "-c", "true", NULL};
	char *a_fail[] = {"sh", "-c", "echo out; echo oops >&2; exit 3", NULL};
	struct spec_hook two[] = {sh_hook(a_ok, 0), sh_hook(a_fail, 0)};
	ok(hooks_run(two, 2, state, &e) < 0, "a failing hook is an error");
	is_str(e.msg,
	       "error running hook #1: error running hook /bin/sh: exit status 3, stdout: out\n, "
	       "stderr: oops\n",
	       "the error names the hook, its status and output");

	char *a_sig[] = {"sh", "-c", "kill -SYS $$", NULL};
	h = sh_hook(a_sig, 0);
	ok(hooks_run(&h, 1, state, &e) < 0 && strstr(e.msg, "signal: bad system call"),
	   "a hook killed by a signal: %s", e.msg);

	char *a_sleep[] = {"sh", "-c", "exec sleep 30", NULL};
	h = sh_hook(a_sleep, 1);
	time_t t0 = time(NULL);
	ok(hooks_run(&h, 1, state, &e) < 0, "a hook past its timeout fails");
	is_str(e.msg, "error running hook #0: hook /bin/sh timed out after 1s", "timeout text");
	ok(time(NULL) - t0 < 5, "and is killed at the timeout");

	h = (struct spec_hook){.path = "/nonexistent/hook"};
	ok(hooks_run(&h, 1, state, &e) < 0 &&
	       strstr(e.msg, "fork/exec /nonexistent/hook: no such file or directory"),
	   "a missing hook binary: %s", e.msg);

	/* A state larger than a pipe, and a hook that never reads it. */
	size_t big = 300 * 1024;
	_cleanup_free_ char *large = xmalloc(big + 1);
	memset(large, 'x', big);
	large[big] = '\0';
	h = sh_hook(a_ok, 5);
	err_clear(&e);
	ok(hooks_run(&h, 1, large, &e) == 0, "large state, unread: no hang, no SIGPIPE: %s", e.msg);
	ok(hooks_run(NULL, 0, state, &e) == 0, "no hooks");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(tmpdir, 0755);
	if (geteuid() == 0) {
		test_rlimits();
		test_finalize_user();
		test_finalize_defaults();
		test_finalize_ambient();
		test_finalize_seccomp();
	} else {
		ok(1, "# SKIP identity tests need root");
	}
	test_find_exec();
	test_user();
	test_hooks();
	struct err e = ERR_INIT;
	fs_rm_rf(tmpdir, &e);
	return tap_done();
}
