/* seccomp_cache: compiled filters kept under the runtime's root, so a profile is compiled
 * once per kernel rather than once per container (Docker's default profile costs libseccomp
 * about 15 ms, several times a whole `run`). An entry holds the profile's canonical JSON
 * and is used only when that matches byte for byte; a bad or foreign entry is ignored. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "runtime/seccomp_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

#define CACHE_MAGIC "berth-seccomp-bpf 1\n"

struct entry_head {
	uint32_t key_len, flags, prog_len;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The profile and the kernel it was compiled for (flags depend on what it supports). */
static char *cache_key(const json_t *j)
{
	_cleanup_free_ char *dump = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	struct utsname u;
	if (!dump || uname(&u) < 0)
		return NULL;
	return str_printf("%s %s\n%s", u.release, u.version, dump);
}

static struct seccomp_filter *cache_read(const char *path, const char *key)
{
	size_t len = 0, mlen = strlen(CACHE_MAGIC), klen = strlen(key);
	_cleanup_free_ char *buf = fs_read_file(path, &len, NULL);
	struct entry_head h;
	if (!buf || len < mlen + sizeof(h) || memcmp(buf, CACHE_MAGIC, mlen))
		return NULL;
	memcpy(&h, buf + mlen, sizeof(h));
	size_t off = mlen + sizeof(h);
	size_t plen = (size_t)h.prog_len * sizeof(struct sock_filter);
	if (h.key_len != klen || h.prog_len == 0 || h.prog_len > 65535 ||
	    len != off + klen + plen || memcmp(buf + off, key, klen))
		return NULL;
	struct seccomp_filter *f = xcalloc(1, sizeof(*f));
	f->prog = xmalloc(plen);
	memcpy(f->prog, buf + off + klen, plen);
	f->len = h.prog_len;
	f->flags = h.flags;
	return f;
}

static void cache_write(const char *path, const char *key, const struct seccomp_filter *f)
{
	size_t mlen = strlen(CACHE_MAGIC), klen = strlen(key);
	size_t plen = f->len * sizeof(struct sock_filter);
	struct entry_head h = {(uint32_t)klen, f->flags, (uint32_t)f->len};
	size_t len = mlen + sizeof(h) + klen + plen;
	_cleanup_free_ char *buf = xmalloc(len);
	memcpy(buf, CACHE_MAGIC, mlen);
	memcpy(buf + mlen, &h, sizeof(h));
	memcpy(buf + mlen + sizeof(h), key, klen);
	memcpy(buf + mlen + sizeof(h) + klen, f->prog, plen);
	/* best effort: without the entry the next container compiles again */
	fs_write_replace(path, buf, len, 0600, NULL);
}

struct seccomp_filter *seccomp_filter_compile_cached(const json_t *j, const char *ctx,
						     const char *cache_dir, struct err *e)
{
	if (!cache_dir || !json_is_object(j))
		return seccomp_filter_compile(j, ctx, e);
	_cleanup_free_ char *key = cache_key(j);
	if (!key)
		return seccomp_filter_compile(j, ctx, e);
	_cleanup_free_ char *path = str_printf("%s/.seccomp-%016llx.bpf", cache_dir,
					       (unsigned long long)fnv1a(key, strlen(key)));
	struct seccomp_filter *f = cache_read(path, key);
	if (f)
		return f;
	f = seccomp_filter_compile(j, ctx, e);
	/* a notifying filter carries its agent's address: not worth keeping */
	if (f && f->prog && !f->notify && f->len <= 65535)
		cache_write(path, key, f);
	return f;
}
