/* image/ref_format: string forms of references (full, familiar), tags, digests, matching. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

void image_ref_release(struct image_ref *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

int image_ref_parse_any(const char *s, struct image_ref *ref, char **digest, struct err *e)
{
	memset(ref, 0, sizeof(*ref));
	*digest = NULL;
	if (strlen(s) == 64 && id_is_hex(s, 64)) {
		*digest = str_printf("sha256:%s", s);
		return 0;
	}
	if (image_digest_validate(s, NULL) == 0) {
		*digest = str_dup(s);
		return 0;
	}
	return image_ref_parse(s, ref, e);
}

int image_ref_set_tag(struct image_ref *ref, const char *tag, struct err *e)
{
	if (!image_ref_valid_tag(tag))
		return err_invalid(e, "invalid tag format");
	free(ref->tag);
	ref->tag = str_dup(tag);
	return 0;
}

void image_ref_default_tag(struct image_ref *ref)
{
	if (!ref->tag && !ref->digest)
		ref->tag = str_dup(IMAGE_DEFAULT_TAG);
}

char *image_ref_name(const struct image_ref *ref)
{
	return str_printf("%s/%s", ref->domain, ref->path);
}

static char *with_suffixes(char *name, const struct image_ref *ref)
{
	char *s = str_printf("%s%s%s%s%s", name, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
			     ref->digest ? "@" : "", ref->digest ? ref->digest : "");
	free(name);
	return s;
}

char *image_ref_string(const struct image_ref *ref)
{
	return with_suffixes(image_ref_name(ref), ref);
}

char *image_ref_familiar_name(const struct image_ref *ref)
{
	if (strcmp(ref->domain, IMAGE_DEFAULT_DOMAIN) != 0)
		return image_ref_name(ref);
	const char *rest = ref->path;
	if (str_has_prefix(rest, "library/") && !strchr(rest + 8, '/'))
		rest += 8;
	return str_dup(rest);
}

char *image_ref_familiar(const struct image_ref *ref)
{
	return with_suffixes(image_ref_familiar_name(ref), ref);
}

char *image_ref_familiarize(const char *full)
{
	struct image_ref r;
	if (image_ref_parse(full, &r, NULL) < 0)
		return NULL;
	char *s = image_ref_familiar(&r);
	image_ref_release(&r);
	return s;
}

bool image_ref_match(const char *pattern, const struct image_ref *ref)
{
	_cleanup_free_ char *fam = image_ref_familiar(ref);
	if (fnmatch(pattern, fam, FNM_PATHNAME) == 0)
		return true;
	_cleanup_free_ char *name = image_ref_familiar_name(ref);
	return fnmatch(pattern, name, FNM_PATHNAME) == 0;
}
