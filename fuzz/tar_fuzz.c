/* tar_fuzz: libFuzzer target for layer extraction (image_tar_extract, the path of import,
 * load and pull): any byte stream extracts or fails, and nothing appears outside the target.
 * Needs root (the extraction chroots). Each input runs in a fresh tree:
 *   <base>/run/target    the extraction directory
 *   <base>/run/sentinel  a sibling that must stay empty
 * and afterwards run/ must hold exactly those two, base/ only run/. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/tar.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[] = "/tmp/berth-tarfuzz.XXXXXX";
static char run[64], target[80], sentinel[80];

static void die(const char *what)
{
	fprintf(stderr, "tar_fuzz: %s\n", what);
	abort();
}

/* Number of entries of dir other than . and ..; only[] names the ones allowed. */
static int count_entries(const char *dir, const char *const *only)
{
	DIR *d = opendir(dir);
	if (!d)
		die("opendir of the fuzz tree failed");
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool allowed = !only;
		for (const char *const *o = only; o && *o; o++)
			allowed = allowed || !strcmp(*o, de->d_name);
		if (!allowed) {
			fprintf(stderr, "tar_fuzz: %s/%s appeared outside the target\n", dir,
				de->d_name);
			abort();
		}
		n++;
	}
	closedir(d);
	return n;
}

static void remove_base(void)
{
	struct err e = ERR_INIT;
	(void)fs_rm_rf(base, &e);
}

static void setup_once(void)
{
	if (run[0])
		return;
	if (!mkdtemp(base))
		die("mkdtemp");
	atexit(remove_base);
	snprintf(run, sizeof(run), "%s/run", base);
	snprintf(target, sizeof(target), "%s/target", run);
	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", run);
}

static void check_and_clean(void)
{
	static const char *const run_only[] = {"target", "sentinel", NULL};
	static const char *const base_only[] = {"run", NULL};
	struct stat st;
	if (lstat(target, &st) < 0 || !S_ISDIR(st.st_mode))
		die("the target is no longer a directory");
	if (lstat(sentinel, &st) < 0 || !S_ISDIR(st.st_mode))
		die("the sentinel is no longer a directory");
	if (count_entries(sentinel, NULL) != 0)
		die("a file appeared in the sentinel directory");
	count_entries(run, run_only);
	count_entries(base, base_only);
	struct err e = ERR_INIT;
	if (fs_rm_rf(run, &e) < 0 || fs_exists(run)) {
		fprintf(stderr, "tar_fuzz: cannot clean %s: %s\n", run, e.msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	if (mkdir(run, 0700) < 0 || mkdir(target, 0755) < 0 || mkdir(sentinel, 0755) < 0)
		die("mkdir of the fuzz tree failed");
	int fd = memfd_create("tar_fuzz", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) < 0)
		die("memfd");
	struct image_tar_result res;
	struct err e = ERR_INIT;
	int rc = image_tar_extract(fd, target, &res, &e);
	if (rc == 0 && strlen(res.diff_id) != IMAGE_DIGEST_LEN)
		die("a successful extraction has no diff ID");
	if (rc < 0 && e.kind == ERR_NONE)
		die("a failed extraction has no error");
	close(fd);
	check_and_clean();
	return 0;
}
