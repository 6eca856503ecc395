/* monitor_log_test: json-file encoding and line splitting, rotation, attach frames and
 * the exit codes of start errors (the monitor's pure parts). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/jsonlog.h"
#include "monitor/monitor_priv.h"
#include "tap.h"
#include "util/fs.h"
#include "util/str.h"

static const struct timespec T0 = {.tv_sec = 1795420982, .tv_nsec = 396537428};

static char *enc(const char *text, size_t len, enum jlog_stream s)
{
	char *out = xmalloc(jlog_encode_max(len) + 1);
	size_t n = jlog_encode(out, text, len, s, &T0);
	out[n] = '\0';
	return out;
}

static void test_encode(void)
{
	char *e = enc("hello\n", 6, JLOG_STDOUT);
	is_str(e,
	       "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-23T08:03:02."
	       "396537428Z\"}\n",
	       "plain line, 9-digit time");
	free(e);
	e = enc("<a&b>\"\\\t\r\x01", 10, JLOG_STDERR);
	is_str(e,
	       "{\"log\":\"\\u003ca\\u0026b\\u003e\\\"\\\\\\t\\r\\u0001\",\"stream\":\"stderr\","
	       "\"time\":\"2026-11-23T08:03:02.396537428Z\"}\n",
	       "HTML and control characters escaped as Docker");
	free(e);
	e = enc("\xc3\xa9\xff\xe2\x80\xa8", 6, JLOG_STDOUT);
	ok(strstr(e, "\"log\":\"\xc3\xa9\\ufffd\\u2028\"") != NULL,
	   "UTF-8 kept, invalid byte -> U+FFFD, U+2028 escaped");
	free(e);
	struct timespec t = {.tv_sec = 0, .tv_nsec = 5};
	char when[64];
	jlog_format_time(when, &t);
	is_str(when, "1970-01-01T00:00:00.000000005Z", "fraction always 9 digits");
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/monlog.XXXXXX";
	return str_dup(mkdtemp(tmpl));
}

static char *slurp(const char *path)
{
	char *s = fs_read_file(path, NULL, NULL);
	return s ? s : str_dup("(missing)");
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_split(void)
{
	char *d = tmpdir();
	char *path = str_printf("%s/log", d);
	struct jlog l;
	struct err e = ERR_INIT;
	ok(jlog_open(&l, path, 0, 1, &e) == 0, "open %s", e.msg);
	jlog_write(&l, JLOG_STDOUT, "a\nb", 3, &T0);
	jlog_write(&l, JLOG_STDERR, "x\n", 2, &T0);
	jlog_write(&l, JLOG_STDOUT, "c\nd", 3, &T0);
	char *s = slurp(path);
	is_int(count_lines(s), 3, "complete lines only");
	ok(strstr(s, "\"log\":\"bc\\n\"") != NULL, "partial line joined with its end");
	free(s);
	jlog_flush(&l, &T0);
	s = slurp(path);
	is_int(count_lines(s), 4, "flush writes the partial");
	ok(strstr(s, "\"log\":\"d\",\"stream\":\"stdout\"") != NULL, "partial without newline");
	free(s);
	char big[JLOG_PARTIAL_MAX + 10];
	memset(big, 'z', sizeof(big));
	jlog_write(&l, JLOG_STDOUT, big, sizeof(big), &T0);
	s = slurp(path);
	is_int(count_lines(s), 5, "an over-long partial is written as it is");
	free(s);
	jlog_close(&l);
	struct err ig = ERR_INIT;
	fs_rm_rf(d, &ig);
	free(path);
	free(d);
}

static void test_rotate(void)
{
	char *d = tmpdir();
	char *path = str_printf("%s/log", d);
	struct jlog l;
	struct err e = ERR_INIT;
	ok(jlog_open(&l, path, 300, 3, &e) == 0, "open with max-size 300, max-file 3");
	for (int i = 0; i < 40; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line-%02d\n", i);
		jlog_write(&l, JLOG_STDOUT, line, (size_t)n, &T0);
	}
	jlog_close(&l);
	char *p1 = str_printf("%s.1", path), *p2 = str_printf("%s.2", path),
	     *p3 = str_printf("%s.3", path);
	struct stat st;
	ok(stat(path, &st) == 0 && st.st_size <= 300 && st.st_size > 0, "current file <= max");
	ok(stat(p1, &st) == 0 && st.st_size <= 300, "FILE.1 <= max");
	ok(stat(p2, &st) == 0 && st.st_size <= 300, "FILE.2 <= max");
	ok(stat(p3, &st) < 0, "no FILE.3 with max-file 3");
	char *s = slurp(path);
	ok(strstr(s, "line-39") != NULL, "newest line in FILE");
	free(s);
	s = slurp(p2);
	char *s1 = slurp(p1);
	ok(count_lines(s) > 0 && count_lines(s1) > 0, "rotated files hold lines");
	free(s);
	free(s1);
	struct err ig = ERR_INIT;
	fs_rm_rf(d, &ig);
	free(p1), free(p2), free(p3), free(path), free(d);
}

static void test_truncate(void)
{
	char *d = tmpdir();
	char *path = str_printf("%s/log", d);
	struct jlog l;
	struct err e = ERR_INIT;
	ok(jlog_open(&l, path, 200, 1, &e) == 0, "open with max-file 1");
	for (int i = 0; i < 20; i++)
		jlog_write(&l, JLOG_STDERR, "0123456789\n", 11, &T0);
	jlog_close(&l);
	char *p1 = str_printf("%s.1", path);
	struct stat st;
	ok(stat(path, &st) == 0 && st.st_size <= 200, "max-file 1 truncates in place");
	ok(stat(p1, &st) < 0, "and keeps no FILE.1");
	struct err ig = ERR_INIT;
	fs_rm_rf(d, &ig);
	free(p1), free(path), free(d);
}

static void test_frames_and_codes(void)
{
	unsigned char h[5];
	mon_frame_header(h, 2, 0x01020304);
	ok(h[0] == 2 && h[1] == 1 && h[2] == 2 && h[3] == 3 && h[4] == 4,
	   "frame header: stream, big-endian length");
	mon_frame_header(h, 1, 70000);
	ok(h[0] == 1 && h[1] == 0 && h[2] == 1 && h[3] == 0x11 && h[4] == 0x70, "70000");
	is_int(mon_start_exit_code("exec: \"foo\": executable file not found in $PATH"), 127,
	       "not in PATH -> 127");
	is_int(mon_start_exit_code("exec /no/such: No such file or directory"), 127,
	       "missing file -> 127");
	is_int(mon_start_exit_code("exec /etc/passwd: permission denied"), 126,
	       "permission denied -> 126");
	is_int(mon_start_exit_code("cgroup: invalid memory limit"), 125, "anything else -> 125");
}

static void test_opts(void)
{
	struct mon_opts o;
	struct err e = ERR_INIT;
	char *ok_argv[] = {"berth-monitor",
			   "run",
			   "--runtime-root",
			   "/r",
			   "--id",
			   "c1",
			   "--bundle=b",
			   "--state-dir",
			   "/s",
			   "--stdin",
			   "--log-max-size",
			   "1000",
			   NULL};
	ok(mon_opts_parse(&o, 12, ok_argv, &e) == 0, "run flags parse: %s", e.msg);
	ok(o.bundle && o.bundle[0] == '/' && o.log_max_size == 1000 && o.stdin_open &&
	       o.log_max_file == 1 && o.ready_fd == -1,
	   "relative path made absolute, defaults");
	mon_opts_release(&o);
	char *bad[] = {"berth-monitor", "exec", "--runtime-root", "/r", "--id", "c1",
		       "--state-dir",	"/s",	"--bundle",	  "/b", NULL};
	ok(mon_opts_parse(&o, 10, bad, &e) < 0 && strstr(e.msg, "--bundle"),
	   "exec refuses --bundle: %s", e.msg);
	mon_opts_release(&o);
	char *missing[] = {"berth-monitor",
			   "exec",
			   "--runtime-root",
			   "/r",
			   "--id",
			   "c1",
			   "--state-dir",
			   "/s",
			   NULL};
	ok(mon_opts_parse(&o, 8, missing, &e) < 0 && strstr(e.msg, "--process"),
	   "exec needs --process: %s", e.msg);
	mon_opts_release(&o);
}

static void test_sizes(void)
{
	struct {
		const char *in;
		uint64_t want;
	} good[] = {{"1000", 1000},
		    {"10k", 10240},
		    {"10m", 10485760},
		    {"1.5g", 1610612736},
		    {"512KiB", 524288},
		    {"2 MB", 2097152},
		    {"7b", 7},
		    {"1T", 1099511627776},
		    {"0", 0}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 1;
		struct err e = ERR_INIT;
		ok(mon_parse_size(good[i].in, &v, &e) == 0 && v == good[i].want, "size '%s' = %llu",
		   good[i].in, (unsigned long long)v);
	}
	const char *bad[] = {"", "m", "-1", "10x", "10mm", "1e3", " 5", "0x10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		struct err e = ERR_INIT;
		ok(mon_parse_size(bad[i], &v, &e) < 0 && strstr(e.msg, "invalid size"),
		   "size '%s' refused", bad[i]);
	}
}

int main(void)
{
	test_sizes();
	test_encode();
	test_split();
	test_rotate();
	test_truncate();
	test_frames_and_codes();
	test_opts();
	return tap_done();
}
