/* tarsplit_fuzz: libFuzzer target for the tar-split recorder (it parses every layer tar an
 * import or load streams in): record in two pieces, then replay; a replay that succeeds
 * (only possible without file references, the layer directory being empty) must give the
 * input back byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	char *data;
	size_t len;
};

static int sink(void *arg, const void *p, size_t n, struct err *e)
{
	struct out *o = arg;
	o->data = xrealloc(o->data, o->len + n + 1);
	memcpy(o->data + o->len, p, n);
	o->len += n;
	return 0;
}

static char dir[64];

static void remove_dir(void)
{
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		strcpy(dir, "/tmp/berth-tarsplit-fuzz.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	/* compressed inputs go through a decompression thread: keep the fuzzer on the parser */
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		return 0;
	struct image_tarsplit *t = image_tarsplit_new();
	image_tarsplit_feed(t, data, size / 2);
	image_tarsplit_feed(t, data + size / 2, size - size / 2);
	size_t len = 0;
	char digest[IMAGE_DIGEST_LEN + 1];
	char *split = image_tarsplit_finish(t, &len, digest);
	image_tarsplit_free(t);
	if (!split)
		return 0;
	int64_t total;
	struct err e = ERR_INIT;
	if (image_tarsplit_size(split, len, &total, &e) < 0)
		abort(); /* our own encoding must always read back */
	struct out o = {0};
	if (image_tarsplit_replay(split, len, dir, sink, &o, &e) == 0 &&
	    (o.len != size || (size && memcmp(o.data, data, size) != 0) || (int64_t)size != total))
		abort();
	free(o.data);
	free(split);
	return 0;
}
