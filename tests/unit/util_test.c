/* Unit tests for src/util: errors, strings, paths, IDs, JSON getters, atomic files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"
#include "util/spawn.h"
#include "util/unixsock.h"

static void test_err(void)
{
	struct err e = ERR_INIT;
	is_int(err_notfound(&e, "No such container: %s", "3f2a"), -1, "err_* returns -1");
	is_str(e.msg, "No such container: 3f2a", "message formatted");
	is_int(err_http_status(&e), 404, "not found maps to 404");
	err_wrap(&e, "start %s", "web");
	is_str(e.msg, "start web: No such container: 3f2a", "wrap prefixes context");
	is_int(err_http_status(&e), 404, "wrap keeps the kind");
	errno = ENOENT;
	err_sys(&e, "open %s", "/nope");
	is_str(e.msg, "open /nope: No such file or directory", "err_sys appends strerror");
	is_int(e.errnum, ENOENT, "err_sys keeps errno");
	err_conflict(&e, "x");
	is_int(err_http_status(&e), 409, "conflict maps to 409");
	err_invalid(&e, "x");
	is_int(err_http_status(&e), 400, "invalid maps to 400");
	is_int(err_set(NULL, ERR_INTERNAL, 0, "ignored"), -1, "NULL error object is allowed");
}

static void test_str(void)
{
	struct err e = ERR_INIT;
	int64_t v = 0;
	ok(str_to_i64("-42", &v, "n", &e) == 0 && v == -42, "parse negative integer");
	ok(str_to_i64("4x", &v, "count", &e) < 0, "reject trailing garbage");
	is_str(e.msg, "invalid count: '4x' is not an integer", "error names the value");
	uint64_t u;
	ok(str_to_u64("-1", &u, "n", &e) < 0, "u64 rejects negative");
	_cleanup_strv_ char **v1 = strv_split("a::b:c:", ":");
	is_int(strv_len(v1), 3, "split skips empty fields");
	_cleanup_free_ char *j = strv_join(v1, ",");
	is_str(j, "a,b,c", "join");
	ok(str_has_prefix("container", "cont") && !str_has_prefix("co", "cont"), "has_prefix");
	ok(str_has_suffix("config.json", ".json"), "has_suffix");
	_cleanup_free_ char *un = str_unescape_octal("/a\\040b\\011c\\134d\\9");
	is_str(un, "/a b\tc\\d\\9", "mountinfo octal escapes undone, others kept");
}

static void test_path_id(void)
{
	_cleanup_free_ char *a = path_clean("/a/./b/../../../c//d/");
	is_str(a, "/c/d", "clean never climbs above /");
	_cleanup_free_ char *b = path_clean("x/../../y");
	is_str(b, "../y", "relative clean keeps leading ..");
	_cleanup_free_ char *c = path_join("/root", "../etc/passwd");
	is_str(c, "/etc/passwd", "join cleans");
	ok(id_valid_runtime("test_busybox-1.2+x"), "runtime id accepted");
	ok(!id_valid_runtime("a/b") && !id_valid_runtime("..") && !id_valid_runtime(""),
	   "runtime id with slash, .. or empty refused");
	ok(id_valid_name("web_1.a-b") && !id_valid_name("-x") && !id_valid_name("a"),
	   "docker name rules");
	char id[ID_HEX_LEN + 1];
	struct err e = ERR_INIT;
	ok(id_generate(id, &e) == 0 && strlen(id) == 64 && id_is_hex(id, 64), "generated id");
}

static void test_json(void)
{
	struct err e = ERR_INIT;
	const char *doc = "{\"process\":{\"args\":[\"sh\",1],\"cwd\":5,\"terminal\":true}}";
	_cleanup_json_ json_t *j = jx_loads(doc, strlen(doc), &e);
	ok(j != NULL, "parse");
	json_t *p = NULL;
	ok(jx_obj(j, "process", "", &p, &e) == 0 && p, "object member");
	char **args = NULL;
	ok(jx_strv(p, "args", "process", &args, &e) < 0, "array with a number refused");
	is_str(e.msg, "process.args[1]: expected string, got integer", "error names the element");
	const char *cwd = NULL;
	ok(jx_str(p, "cwd", "process", &cwd, &e) < 0, "wrong type refused");
	is_str(e.msg, "process.cwd: expected string, got integer", "error names the field");
	bool t = false;
	ok(jx_bool(p, "terminal", "process", &t, &e) == 0 && t, "bool member");
	const char *absent = "keep";
	ok(jx_str(p, "nope", "process", &absent, &e) == 0 && !strcmp(absent, "keep"),
	   "absent member leaves output alone");
	ok(jx_loads("{", 1, &e) == NULL && e.kind == ERR_INVALID, "malformed JSON is invalid");
	const char *big = "{\"hard\":18446744073709551615,\"s\":\"12345678901234567890\","
			  "\"n\":9223372036854775807,\"o\":99999999999999999999}";
	_cleanup_json_ json_t *b = jx_loads(big, strlen(big), &e);
	ok(b != NULL, "integers beyond int64 load");
	uint64_t hard = 0;
	ok(b && jx_u64(b, "hard", "rlimit", &hard, NULL, &e) == 0 && hard == UINT64_MAX,
	   "2^64-1 reads back as UINT64_MAX");
	is_str(b ? json_string_value(json_object_get(b, "s")) : NULL, "12345678901234567890",
	       "digits inside strings untouched");
	int64_t n = 0;
	ok(b && jx_i64(b, "n", "x", &n, NULL, &e) == 0 && n == INT64_MAX, "INT64_MAX stays exact");
	ok(b && jx_i64(b, "o", "x", &n, NULL, &e) < 0 && e.kind == ERR_INVALID,
	   "too big for int64 is an error, not UB");
}

static void test_fs(void)
{
	struct err e = ERR_INIT;
	char dir[] = "/tmp/berth-unit-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	_cleanup_free_ char *f = str_printf("%s/a/b/c", dir);
	ok(fs_mkdir_p(f, 0755, &e) == 0 && fs_is_dir(f), "mkdir -p");
	_cleanup_free_ char *file = str_printf("%s/rec.json", dir);
	ok(fs_write_atomic(file, "{\"a\":1}", 7, 0600, &e) == 0, "atomic write");
	ok(fs_write_atomic(file, "{\"a\":2}", 7, 0600, &e) == 0, "atomic overwrite");
	size_t len = 0;
	_cleanup_free_ char *got = fs_read_file(file, &len, &e);
	is_str(got, "{\"a\":2}", "read back the new version");
	struct stat st;
	ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "mode kept");
	_cleanup_free_ char *glob_dir = str_printf("%s", dir);
	_cleanup_closedir_ DIR *d = opendir(glob_dir);
	int temps = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		if (strstr(de->d_name, ".tmp-"))
			temps++;
	ok(temps == 0, "no temporary file left");
	ok(fs_read_file("/nonexistent/x", NULL, &e) == NULL && e.kind == ERR_NOT_FOUND,
	   "missing file is not found");
	ok(fs_rm_rf(dir, &e) == 0 && !fs_exists(dir), "rm -rf");
	ok(fs_rm_rf(dir, &e) == 0, "rm -rf of a missing path is fine");
}

static void test_unixsock(void)
{
	struct sockaddr_un sa;
	struct err e = ERR_INIT;
	int dfd = 5;
	ok(unixsock_addr(&sa, "/run", "a.sock", &dfd, &e) == 0 && dfd == -1 &&
	       !strcmp(sa.sun_path, "/run/a.sock") && sa.sun_family == AF_UNIX,
	   "a short path is itself");
	char dir[200];
	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	strcpy(dir + 1, "tmp");
	dir[4] = '/';
	dir[sizeof(dir) - 1] = '\0';
	ok(unixsock_addr(&sa, dir, "a.sock", &dfd, &e) < 0 && e.errnum == ENOENT && dfd < 0,
	   "a long path's missing directory: %s", e.msg);
	_cleanup_free_ char *tmp = str_dup("/tmp/util-test-XXXXXX");
	ok(mkdtemp(tmp) != NULL, "a directory");
	_cleanup_free_ char *deep = str_printf("%s/%0150d", tmp, 0);
	ok(mkdir(deep, 0700) == 0, "a long-named directory");
	_cleanup_free_ char *want = NULL;
	ok(unixsock_addr(&sa, deep, "a.sock", &dfd, &e) == 0 && dfd >= 0 &&
	       !strcmp(sa.sun_path, (want = str_printf("/proc/self/fd/%d/a.sock", dfd))),
	   "a long path goes through /proc/self/fd: %s", sa.sun_path);
	if (dfd >= 0)
		close(dfd);
	fs_rm_rf(tmp, NULL);
}

static void test_write_all(void)
{
	int sv[2];
	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "a socket pair");
	char buf[8] = "";
	ok(fs_write_all(sv[0], "abc", 3) == 0 && fs_send_all(sv[0], "def", 4) == 0 &&
	       read(sv[1], buf, sizeof(buf)) == 7 && !strcmp(buf + 3, "def"),
	   "write_all and send_all deliver everything");
	close(sv[1]);
	errno = 0;
	ok(fs_send_all(sv[0], "x", 1) < 0 && errno == EPIPE, "a closed peer is EPIPE, no SIGPIPE");
	close(sv[0]);
}

static void test_spawn(void)
{
	int p[2];
	struct err e = ERR_INIT;
	pid_t pid = spawn_fork_pipe(p, &e);
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	ok(pid > 0, "forked: %s", e.msg);
	close(p[1]);
	char c = 0;
	int st = -1;
	ok(read(p[0], &c, 1) == 1 && c == 'x' && waitpid(pid, &st, 0) == pid && st == 0,
	   "the child wrote through the pipe and exited 0");
	ok(fcntl(p[0], F_GETFD) & FD_CLOEXEC, "the pipe is O_CLOEXEC");
	close(p[0]);
}

int main(void)
{
	test_unixsock();
	test_spawn();
	test_write_all();
	test_err();
	test_str();
	test_path_id();
	test_json();
	test_fs();
	return tap_done();
}
