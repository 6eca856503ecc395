/* image/ref: reference grammar and normalisation (distribution/reference semantics). */
#include "image/ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

#define NAME_TOTAL_MAX 255

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* path-component := [a-z0-9]+ ((?:[._]|__|[-]*) [a-z0-9]+)* over [s, s+n) */
static bool valid_path_component(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		size_t sep = i;
		while (i < n && !is_lower_alnum(s[i]))
			i++;
		size_t len = i - sep;
		const char *p = s + sep;
		bool ok =
		    (len == 1 && (*p == '.' || *p == '_')) || (len == 2 && !strncmp(p, "__", 2));
		if (!ok) {
			ok = true;
			for (size_t k = 0; k < len; k++)
				ok = ok && p[k] == '-';
		}
		if (!ok || i == n)
			return false;
	}
	return n > 0;
}

/* domain := component ('.' component)* (':' [0-9]+)?; component := alnum (alnum|-)* alnum */
static bool valid_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon ? (size_t)(colon - s) : n;
	if (colon) {
		if (colon + 1 == s + n)
			return false;
		for (const char *p = colon + 1; p < s + n; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	size_t i = 0;
	while (i <= host) {
		size_t start = i;
		while (i < host && s[i] != '.')
			i++;
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		for (size_t k = start; k < i; k++)
			if (!isalnum((unsigned char)s[k]) && s[k] != '-')
				return false;
		i++;
	}
	return host > 0;
}

bool image_ref_valid_tag(const char *tag)
{
	size_t n = strlen(tag);
	if (n == 0 || n > 128 || !is_word(tag[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(tag[i]) && tag[i] != '.' && tag[i] != '-')
			return false;
	return true;
}

/* The digest grammar of the reference regexp (before go-digest's own checks). */
static bool digest_grammar(const char *d)
{
	const char *colon = strchr(d, ':');
	if (!colon || colon == d || !isalpha((unsigned char)d[0]))
		return false;
	for (const char *p = d; p < colon; p++) {
		if (strchr("-_+.", *p)) {
			if (!isalpha((unsigned char)p[1]))
				return false;
		} else if (!isalnum((unsigned char)*p)) {
			return false;
		}
	}
	size_t n = 0;
	for (const char *p = colon + 1; *p; p++, n++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return n >= 32;
}

int image_digest_validate(const char *d, struct err *e)
{
	const char *colon = strchr(d, ':');
	if (!colon || colon == d || !colon[1])
		return err_invalid(e, "invalid checksum digest format");
	size_t alen = (size_t)(colon - d), want;
	if (alen == 6 && !strncmp(d, "sha256", 6))
		want = 64;
	else if (alen == 6 && !strncmp(d, "sha384", 6))
		want = 96;
	else if (alen == 6 && !strncmp(d, "sha512", 6))
		want = 128;
	else
		return err_invalid(e, "unsupported digest algorithm");
	const char *hex = colon + 1;
	if (strlen(hex) != want)
		return err_invalid(e, "invalid checksum digest length");
	for (const char *p = hex; *p; p++)
		if (!strchr("0123456789abcdef", *p))
			return err_invalid(e, "invalid checksum digest format");
	return 0;
}

/* Checks name[:tag][@digest] against the grammar; splits it on success. */
static bool grammar_split(const char *s, struct image_ref *out)
{
	const char *at = strchr(s, '@');
	size_t nt_len = at ? (size_t)(at - s) : strlen(s);
	if (at && !digest_grammar(at + 1))
		return false;
	const char *slash = memrchr(s, '/', nt_len);
	const char *colon =
	    memrchr(slash ? slash : s, ':', nt_len - (size_t)((slash ? slash : s) - s));
	size_t name_len = colon ? (size_t)(colon - s) : nt_len;
	_cleanup_free_ char *tag = colon ? str_ndup(colon + 1, nt_len - name_len - 1) : NULL;
	if (tag && !image_ref_valid_tag(tag))
		return false;
	const char *first = memchr(s, '/', name_len);
	if (!first)
		return false; /* normalised references always carry a domain */
	size_t dlen = (size_t)(first - s);
	if (!valid_domain(s, dlen) && !valid_path_component(s, dlen))
		return false;
	for (const char *p = first + 1; p <= s + name_len;) {
		const char *q = memchr(p, '/', (size_t)(s + name_len - p));
		size_t clen = q ? (size_t)(q - p) : (size_t)(s + name_len - p);
		if (!valid_path_component(p, clen))
			return false;
		p += clen + 1;
	}
	if (out) {
		out->domain = str_ndup(s, dlen);
		out->path = str_ndup(first + 1, name_len - dlen - 1);
		out->tag = TAKE_PTR(tag);
		out->digest = at ? str_dup(at + 1) : NULL;
	}
	return true;
}

/* reference.Parse of a string that already has its domain. */
static int ref_parse_full(const char *s, struct image_ref *ref, struct err *e)
{
	struct image_ref r = {0};
	if (!grammar_split(s, &r)) {
		_cleanup_free_ char *low = str_dup(s);
		for (char *p = low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (grammar_split(low, NULL))
			return err_invalid(e, "invalid reference format: repository name must be "
					      "lowercase");
		return err_invalid(e, "invalid reference format");
	}
	if (strlen(r.domain) + 1 + strlen(r.path) > NAME_TOTAL_MAX) {
		image_ref_release(&r);
		return err_invalid(e, "repository name must not be more than 255 characters");
	}
	if (r.digest && image_digest_validate(r.digest, e) < 0) {
		image_ref_release(&r);
		return -1;
	}
	*ref = r;
	return 0;
}

int image_ref_parse(const char *s, struct image_ref *ref, struct err *e)
{
	memset(ref, 0, sizeof(*ref));
	if (strlen(s) == 64 && id_is_hex(s, 64))
		return err_invalid(
		    e,
		    "invalid repository name (%s), cannot specify 64-byte hexadecimal "
		    "strings",
		    s);
	if (!*s)
		return err_invalid(e, "invalid reference format");
	/* splitDockerDomain: the first component is a registry only if it looks like one */
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *domain = NULL;
	const char *rest = s;
	if (slash) {
		_cleanup_free_ char *first = str_ndup(s, (size_t)(slash - s));
		bool lower = true;
		for (char *p = first; *p; p++)
			lower = lower && !isupper((unsigned char)*p);
		if (strpbrk(first, ".:") || !strcmp(first, "localhost") || !lower) {
			domain = TAKE_PTR(first);
			rest = slash + 1;
		}
	}
	if (!domain || !strcmp(domain, "index.docker.io")) {
		free(domain);
		domain = str_dup(IMAGE_DEFAULT_DOMAIN);
	}
	_cleanup_free_ char *remainder = NULL;
	if (!strcmp(domain, IMAGE_DEFAULT_DOMAIN) && !strchr(rest, '/'))
		remainder = str_printf("library/%s", rest);
	else
		remainder = str_dup(rest);
	/* Go checks the remote name only, up to the first ':': tags may have capitals. */
	for (char *p = remainder; *p && *p != ':'; p++)
		if (isupper((unsigned char)*p))
			return err_invalid(e, "invalid reference format: repository name must be "
					      "lowercase");
	_cleanup_free_ char *full = str_printf("%s/%s", domain, remainder);
	return ref_parse_full(full, ref, e);
}
