/* load_fuzz: libFuzzer target for docker load: an archive (docker save's manifest.json
 * layout or an OCI index) streamed into a store on a temporary directory. Whatever the
 * input, the load either fails or registers complete images, and no temporary directory is
 * left behind. Needs root (layer extraction chroots). */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/archive.h"
#include "util/fs.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool tmp_left(const char *layers)
{
	DIR *d = opendir(layers);
	struct dirent *de;
	bool left = false;
	while (d && (de = readdir(d)))
		left = left || !strncmp(de->d_name, ".tmp-", 5);
	if (d)
		closedir(d);
	return left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	if (!dir[0]) {
		strcpy(dir, "/tmp/berth-load-fuzz.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	struct err e = ERR_INIT;
	struct image_store *s = image_store_open(dir, NULL, &e);
	if (!s)
		abort();
	struct image_load *ld = image_load_start(s, &e);
	if (!ld)
		abort();
	image_load_write(ld, data, size / 2);
	image_load_write(ld, data + size / 2, size - size / 2);
	struct image_load_result res;
	int r = image_load_finish(ld, &res, &e);
	if (r == 0 && !res.ids[0])
		abort(); /* success means an image */
	image_load_result_release(&res);
	image_load_free(ld);
	char *layers = str_printf("%s/layers", dir);
	if (tmp_left(layers))
		abort();
	free(layers);
	image_store_free(s);
	fs_rm_rf(dir, NULL); /* a fresh store for the next input */
	return 0;
}
