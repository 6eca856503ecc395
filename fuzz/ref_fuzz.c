/* ref_fuzz: libFuzzer target for image references (the `fromImage`, `repo`/`tag` and path
 * names of the API): parse, normalise, format, and check that formatted forms parse back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ref_eq(const struct image_ref *a, const struct image_ref *b)
{
	return str_eq(a->domain, b->domain) && str_eq(a->path, b->path) && str_eq(a->tag, b->tag) &&
	       str_eq(a->digest, b->digest);
}

/* s (formatted from r) must parse again to r itself. */
static void reparses(const char *s, const struct image_ref *r)
{
	struct err e = ERR_INIT;
	struct image_ref again;
	if (image_ref_parse(s, &again, &e) < 0 || !ref_eq(r, &again))
		abort();
	image_ref_release(&again);
}

/* The familiar form drops docker.io/; a docker.io path whose first component looks like a
 * host ("docker.io/a.b/c" -> "a.b/c") reads back as another domain, and "library/<64 hex>"
 * as an image ID that ParseNormalizedNamed refuses, both as in Docker. */
static bool familiar_is_ambiguous(const struct image_ref *r, const char *fam)
{
	if (!str_eq(r->domain, IMAGE_DEFAULT_DOMAIN))
		return false;
	if (strlen(fam) == 64 && id_is_hex(fam, 64))
		return true;
	size_t n = strcspn(fam, "/");
	if (!fam[n])
		return false;
	return memchr(fam, '.', n) || memchr(fam, ':', n) ||
	       (n == 9 && !memcmp(fam, "localhost", 9));
}

static void check_ref(const char *s, const char *pattern)
{
	struct err e = ERR_INIT;
	struct image_ref r;
	if (image_ref_parse(s, &r, &e) < 0)
		return;
	if (!r.domain || !r.path || (r.tag && !image_ref_valid_tag(r.tag)) ||
	    (r.digest && image_digest_validate(r.digest, NULL) < 0))
		abort();
	_cleanup_free_ char *full = image_ref_string(&r);
	reparses(full, &r);
	_cleanup_free_ char *fam = image_ref_familiar(&r);
	if (!familiar_is_ambiguous(&r, fam))
		reparses(fam, &r);
	_cleanup_free_ char *fam2 = image_ref_familiarize(full);
	if (!fam2 || strcmp(fam, fam2))
		abort();
	(void)image_ref_match(pattern, &r);
	image_ref_default_tag(&r);
	if (!r.tag && !r.digest)
		abort();
	if (image_ref_set_tag(&r, pattern, NULL) == 0) {
		_cleanup_free_ char *tagged = image_ref_string(&r);
		reparses(tagged, &r);
	}
	image_ref_release(&r);
}

/* Input: the reference, optionally a NUL and a glob pattern / tag for match and set_tag. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	size_t n = strlen(s), skip = n < size ? n + 1 : n;
	_cleanup_free_ char *pat = strndup((const char *)data + skip, size - skip);
	check_ref(s, pat);
	struct err e = ERR_INIT;
	struct image_ref r;
	char *digest = NULL;
	if (image_ref_parse_any(s, &r, &digest, &e) == 0) {
		if (digest && image_digest_validate(digest, NULL) < 0)
			abort();
		image_ref_release(&r);
	}
	free(digest);
	return 0;
}
