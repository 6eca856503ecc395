/* Unit tests for src/store: atomic records, listings that skip leftovers, the root lock, and
 * timestamps (Go's RFC3339Nano trimming, parsing with zones, unix seconds). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/time.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static void test_records(const char *dir)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *p = str_printf("%s/a.json", dir);
	_cleanup_json_ json_t *j = json_pack("{s:s}", "k", "v");
	ok(store_save_json(p, j, &e) == 0, "save a record");
	struct stat st;
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "records are 0600");
	_cleanup_json_ json_t *back = store_load_json(p, &e);
	is_str(json_string_value(json_object_get(back, "k")), "v", "load it back");
	_cleanup_json_ json_t *j2 = json_pack("{s:i}", "k", 2);
	ok(store_save_json(p, j2, &e) == 0, "replace it");
	_cleanup_free_ char *leftover = str_printf("%s/" STORE_TMP_PREFIX "a.json-XXXX", dir);
	fs_write_atomic(leftover, "x", 1, 0600, NULL);
	_cleanup_free_ char *tmpdir = str_printf("%s/" STORE_TMP_PREFIX "dir", dir);
	mkdir(tmpdir, 0700);
	_cleanup_free_ char *b = str_printf("%s/b.json", dir);
	store_write_file(b, "{}", 2, 0600, &e);
	_cleanup_strv_ char **names = store_list_dir(dir, ".json", &e);
	is_int(strv_len(names), 2, "listing skips temporary files");
	is_str(names[0], "a.json", "listing is sorted");
	ok(store_clean_tmp(dir, &e) == 0 && !fs_exists(leftover) && !fs_exists(tmpdir),
	   "clean_tmp removes leftover files and trees");
	_cleanup_strv_ char **all = store_list_dir(dir, "", &e);
	ok(strv_len(all) == 2, "nothing but the records left");
	ok(store_remove_file(p, &e) == 0 && !fs_exists(p), "remove a record");
	ok(store_remove_file(p, &e) == 0, "removing an absent record is fine");
	json_t *none = store_load_json(p, &e);
	ok(!none && e.kind == ERR_NOT_FOUND, "loading an absent record is not found");
}

static void test_lock(const char *dir)
{
	struct err e = ERR_INIT;
	int fd = store_lock_root(dir, &e);
	ok(fd >= 0, "take the root lock");
	int again = store_lock_root(dir, &e);
	ok(again < 0 && e.kind == ERR_CONFLICT, "a second lock is a conflict");
	char want[64];
	snprintf(want, sizeof(want), "another daemon (pid %d) is already using", (int)getpid());
	ok(strstr(e.msg, want) != NULL, "the message names the holder: %s", e.msg);
	close(fd);
	fd = store_lock_root(dir, &e);
	ok(fd >= 0, "lock again once released");
	close(fd);
}

static void test_time(void)
{
	char buf[STORE_TIME_MAX];
	store_time_format(1795420985123456789LL, buf);
	is_str(buf, "2026-11-23T08:03:05.123456789Z", "nanoseconds");
	store_time_format(1795420985120000000LL, buf);
	is_str(buf, "2026-11-23T08:03:05.12Z", "trailing zeros trimmed");
	store_time_format(1795420985000000000LL, buf);
	is_str(buf, "2026-11-23T08:03:05Z", "no fraction when whole");
	store_time_format(0, buf);
	is_str(buf, "0001-01-01T00:00:00Z", "zero time is Go's zero");
	store_time_format_fixed(1795420985120000000LL, buf);
	is_str(buf, "2026-11-23T08:03:05.120000000Z", "fixed: nine digits");
	int64_t ns;
	struct err e = ERR_INIT;
	ok(store_time_parse("2026-11-23T08:03:05.12Z", &ns, &e) == 0 && ns == 1795420985120000000LL,
	   "parse with fraction");
	ok(store_time_parse("2026-11-23T09:03:05+01:00", &ns, &e) == 0 &&
	       ns == 1795420985000000000LL,
	   "parse with a zone offset");
	ok(store_time_parse("2026-11-22 22:43:05", &ns, &e) < 0, "a zone is required");
	ok(store_time_parse("0001-01-01T00:00:00Z", &ns, &e) == 0 && ns == 0,
	   "Go's zero time is no time (no overflow)");
	ok(store_time_parse("9999-12-31T23:59:59Z", &ns, &e) < 0, "beyond 2262 is out of range");
	ok(store_time_parse_unix("1795421073.123456789", &ns, &e) == 0 &&
	       ns == 1795421073123456789LL,
	   "unix seconds with nanoseconds");
	ok(store_time_parse_unix("1795420985", &ns, &e) == 0 && ns == 1795420985000000000LL,
	   "unix seconds");
	ok(store_time_parse_unix("10m", &ns, &e) < 0, "durations are not unix times");
}

int main(void)
{
	char dir[] = "/tmp/berth-store-test.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_records(dir);
	test_lock(dir);
	test_time();
	fs_rm_rf(dir, NULL);
	return tap_done();
}
