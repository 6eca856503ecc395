/* image/tarsplit: recording a tar stream as "raw bytes + references to extracted files" and
 * replaying it. Records: 'R' u32 len + bytes, 'Z' u32 len (zero bytes), 'F' u16 len + path +
 * u64 size (the contents of that file of the layer directory). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/tar.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

enum ts_state { TS_HDR, TS_META, TS_DATA, TS_RAW, TS_PAD, TS_TAIL };

struct image_tarsplit {
	char *out;
	size_t len, cap;
	size_t last_rec; /* offset of the last R record (extended in place), or SIZE_MAX */
	unsigned char blk[512];
	size_t blen;
	enum ts_state st;
	uint64_t left, pad;
	char mtype;
	char *meta;
	size_t mlen;
	char *longname, *paxpath;
	int64_t paxsize;
	json_t *files; /* paths that have an F record */
	bool bad, started;
	struct image_sha256 hash;
	bool hashing;
};

static void put(struct image_tarsplit *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 4096;
		t->out = xrealloc(t->out, t->cap);
	}
	memcpy(t->out + t->len, p, n);
	t->len += n;
}

static void put_rec(struct image_tarsplit *t, char type, const void *p, uint32_t n)
{
	if (t->last_rec != SIZE_MAX && t->out[t->last_rec] == type) {
		uint32_t old;
		memcpy(&old, t->out + t->last_rec + 1, 4);
		old += n;
		memcpy(t->out + t->last_rec + 1, &old, 4);
	} else {
		t->last_rec = t->len;
		put(t, &type, 1);
		put(t, &n, 4);
	}
	if (type == 'R')
		put(t, p, n);
}

/* Raw bytes; zero runs (padding, empty header fields) become Z records. */
static void emit_raw(struct image_tarsplit *t, const unsigned char *p, size_t n)
{
	size_t i = 0, start = 0;
	while (i < n) {
		if (p[i] != 0) {
			i++;
			continue;
		}
		size_t z = i;
		while (z < n && p[z] == 0)
			z++;
		if (z - i >= 32) {
			if (i > start)
				put_rec(t, 'R', p + start, (uint32_t)(i - start));
			put_rec(t, 'Z', NULL, (uint32_t)(z - i));
			start = z;
		}
		i = z;
	}
	if (start < n)
		put_rec(t, 'R', p + start, (uint32_t)(n - start));
}

struct image_tarsplit *image_tarsplit_new(void)
{
	struct image_tarsplit *t = xcalloc(1, sizeof(*t));
	t->last_rec = SIZE_MAX;
	t->files = json_object();
	t->hashing = image_sha256_init(&t->hash, NULL) == 0;
	t->bad = !t->hashing;
	return t;
}

void image_tarsplit_free(struct image_tarsplit *t)
{
	if (!t)
		return;
	if (t->hashing)
		image_sha256_release(&t->hash);
	json_decref(t->files);
	free(t->out);
	free(t->meta);
	free(t->longname);
	free(t->paxpath);
	free(t);
}

/* Octal, or base-256 when the high bit of the first byte is set. */
static int64_t tar_number(const unsigned char *p, size_t n)
{
	int64_t v = 0;
	if (p[0] & 0x80) {
		v = p[0] & 0x3f;
		for (size_t i = 1; i < n; i++)
			v = (v << 8) | p[i];
		return v;
	}
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == 0))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

static bool header_valid(const unsigned char *b)
{
	int64_t want = tar_number(b + 148, 8);
	int64_t sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return sum == want;
}

/* "len key=value\n" records of a pax header: path and size matter here. */
static void parse_pax(struct image_tarsplit *t)
{
	const char *p = t->meta, *end = t->meta + t->mlen;
	while (p < end) {
		char *sp;
		long n = strtol(p, &sp, 10);
		if (n <= 0 || sp >= end || *sp != ' ' || p + n > end)
			return;
		const char *kv = sp + 1, *rend = p + n - 1; /* rend: the '\n' */
		const char *eq = memchr(kv, '=', (size_t)(rend - kv));
		if (eq && eq - kv == 4 && !memcmp(kv, "path", 4)) {
			free(t->paxpath);
			t->paxpath = str_ndup(eq + 1, (size_t)(rend - eq - 1));
		} else if (eq && eq - kv == 4 && !memcmp(kv, "size", 4)) {
			t->paxsize = strtoll(eq + 1, NULL, 10);
		}
		p += n;
	}
}

static char *entry_name(struct image_tarsplit *t, const unsigned char *b)
{
	if (t->longname)
		return TAKE_PTR(t->longname);
	if (t->paxpath)
		return TAKE_PTR(t->paxpath);
	_cleanup_free_ char *name = str_ndup((const char *)b, strnlen((const char *)b, 100));
	if (!memcmp(b + 257, "ustar\0", 6) && b[345]) {
		_cleanup_free_ char *prefix =
		    str_ndup((const char *)b + 345, strnlen((const char *)b + 345, 155));
		return str_printf("%s/%s", prefix, name);
	}
	return TAKE_PTR(name);
}

/* A complete header block of a file entry: its payload is left out when the extracted file
 * will hold it. */
static void on_entry(struct image_tarsplit *t, const unsigned char *b, char type, int64_t size)
{
	_cleanup_free_ char *raw = entry_name(t, b);
	_cleanup_free_ char *name = image_tar_clean_name(raw, NULL);
	if (!name || json_is_true(json_object_get(t->files, name)))
		t->bad = true; /* refused, or the earlier file is overwritten */
	const char *base = name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : name;
	bool regular = type == '0' || type == '\0' || type == '7';
	t->left = (uint64_t)size;
	t->pad = (512 - (uint64_t)size % 512) % 512;
	if (type == 'S')
		t->bad = true;
	if (!t->bad && regular && size > 0 && !str_has_prefix(base, ".wh.")) {
		uint16_t n = (uint16_t)strlen(name);
		char r = 'F';
		uint64_t sz = (uint64_t)size;
		t->last_rec = SIZE_MAX;
		put(t, &r, 1);
		put(t, &n, 2);
		put(t, name, n);
		put(t, &sz, 8);
		json_object_set_new(t->files, name, json_true());
		t->st = TS_DATA;
	} else {
		t->st = size > 0 ? TS_RAW : TS_HDR;
	}
	if (name && !json_object_get(t->files, name))
		json_object_set_new(t->files, name, json_false());
}

static void on_header(struct image_tarsplit *t)
{
	const unsigned char *b = t->blk;
	emit_raw(t, b, 512);
	bool zero = true;
	for (size_t i = 0; i < 512 && zero; i++)
		zero = b[i] == 0;
	if (zero) {
		t->st = TS_TAIL;
		return;
	}
	if (!header_valid(b)) {
		t->bad = true;
		t->st = TS_TAIL;
		return;
	}
	char type = (char)b[156];
	int64_t size = tar_number(b + 124, 12);
	if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
		t->mtype = type;
		t->mlen = 0;
		t->meta = xrealloc(t->meta, (size_t)size + 1);
		t->left = (uint64_t)size;
		t->pad = (512 - (uint64_t)size % 512) % 512;
		t->st = size > 0 ? TS_META : TS_HDR;
		return;
	}
	if (t->paxsize >= 0)
		size = t->paxsize;
	t->paxsize = -1;
	on_entry(t, b, type, size);
}

static void meta_done(struct image_tarsplit *t)
{
	t->meta[t->mlen] = '\0';
	if (t->mtype == 'L') {
		free(t->longname);
		t->longname = str_dup(t->meta);
	} else if (t->mtype == 'x') {
		parse_pax(t);
	}
}

/* Consumes payload-like bytes of the current state; returns how many. */
static size_t feed_body(struct image_tarsplit *t, const unsigned char *p, size_t n)
{
	size_t k;
	if (t->st == TS_PAD) {
		k = n < t->pad ? n : (size_t)t->pad;
		emit_raw(t, p, k);
		t->pad -= k;
		if (!t->pad)
			t->st = TS_HDR;
		return k;
	}
	k = n < t->left ? n : (size_t)t->left;
	if (t->st == TS_META) {
		memcpy(t->meta + t->mlen, p, k);
		t->mlen += k;
	}
	if (t->st != TS_DATA)
		emit_raw(t, p, k);
	t->left -= k;
	if (!t->left) {
		if (t->st == TS_META)
			meta_done(t);
		t->st = t->pad ? TS_PAD : TS_HDR;
	}
	return k;
}

static bool compressed(const unsigned char *p, size_t n)
{
	static const unsigned char magic[][6] = {
	    {0x1f, 0x8b}, {'B', 'Z', 'h'}, {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}};
	static const size_t mlen[] = {2, 3, 6, 4};
	for (size_t i = 0; i < ARRAY_SIZE(mlen); i++)
		if (n >= mlen[i] && !memcmp(p, magic[i], mlen[i]))
			return true;
	return false;
}

void image_tarsplit_feed(struct image_tarsplit *t, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (t->hashing)
		image_sha256_update(&t->hash, data, len);
	if (!t->started && len) {
		t->started = true;
		t->paxsize = -1;
		t->bad = t->bad || compressed(p, len);
	}
	while (len && !t->bad) {
		size_t k;
		if (t->st == TS_TAIL) {
			emit_raw(t, p, len);
			return;
		}
		if (t->st == TS_HDR) {
			k = 512 - t->blen < len ? 512 - t->blen : len;
			memcpy(t->blk + t->blen, p, k);
			t->blen += k;
			if (t->blen == 512) {
				t->blen = 0;
				on_header(t);
			}
		} else {
			k = feed_body(t, p, len);
		}
		p += k;
		len -= k;
	}
}

char *image_tarsplit_finish(struct image_tarsplit *t, size_t *len,
			    char digest[IMAGE_DIGEST_LEN + 1])
{
	if (t->hashing) {
		image_sha256_final(&t->hash, digest);
		image_sha256_release(&t->hash);
		t->hashing = false;
	}
	if (t->bad || t->blen || (t->st != TS_HDR && t->st != TS_TAIL))
		return NULL;
	*len = t->len;
	t->cap = 0;
	t->len = 0;
	return TAKE_PTR(t->out);
}

/* Walks the records; for F records fn_file gets the path and size. */
struct ts_rec {
	char type;
	const char *data; /* R bytes, F path */
	size_t n;	  /* R/Z length, F path length */
	uint64_t size;	  /* F */
};

static int next_rec(const char *s, size_t len, size_t *off, struct ts_rec *r, struct err *e)
{
	size_t o = *off;
	if (o + 1 > len)
		return 0;
	r->type = s[o++];
	if (r->type == 'R' || r->type == 'Z') {
		uint32_t n;
		if (o + 4 > len)
			return err_invalid(e, "tar-split: truncated record");
		memcpy(&n, s + o, 4);
		o += 4;
		r->n = n;
		r->data = s + o;
		if (r->type == 'R')
			o += n;
	} else if (r->type == 'F') {
		uint16_t n;
		if (o + 2 > len)
			return err_invalid(e, "tar-split: truncated record");
		memcpy(&n, s + o, 2);
		o += 2;
		r->data = s + o;
		r->n = n;
		o += n;
		if (o + 8 > len)
			return err_invalid(e, "tar-split: truncated record");
		memcpy(&r->size, s + o, 8);
		o += 8;
	} else {
		return err_invalid(e, "tar-split: unknown record type");
	}
	if (o > len)
		return err_invalid(e, "tar-split: truncated record");
	*off = o;
	return 1;
}

int image_tarsplit_size(const char *split, size_t len, int64_t *size, struct err *e)
{
	size_t off = 0;
	struct ts_rec r;
	int k;
	*size = 0;
	while ((k = next_rec(split, len, &off, &r, e)) > 0)
		*size += (int64_t)(r.type == 'F' ? r.size : r.n);
	return k;
}

/* Opens path under the layer directory; no symlink anywhere on the way. */
static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
			       .resolve =
				   RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int replay_file(int dirfd, const struct ts_rec *r, char *buf, size_t bufsz,
		       image_sink_fn *fn, void *arg, struct err *e)
{
	_cleanup_free_ char *path = str_ndup(r->data, r->n);
	_cleanup_close_ int fd = open_beneath(dirfd, path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_sys(e, "layer file %s", path);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != r->size)
		return err_set(e, ERR_INTERNAL, 0, "layer file %s changed since it was stored",
			       path);
	uint64_t left = r->size;
	while (left) {
		ssize_t n = read(fd, buf, left < bufsz ? left : bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? err_sys(e, "read %s", path)
				     : err_set(e, ERR_INTERNAL, 0, "layer file %s shrank", path);
		if (fn(arg, buf, (size_t)n, e) < 0)
			return -1;
		left -= (uint64_t)n;
	}
	return 0;
}

int image_tarsplit_replay(const char *split, size_t len, const char *dir, image_sink_fn *fn,
			  void *arg, struct err *e)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_sys(e, "open %s", dir);
	const size_t bufsz = 256 * 1024;
	_cleanup_free_ char *buf = xcalloc(1, bufsz);
	size_t off = 0;
	struct ts_rec r;
	int k;
	while ((k = next_rec(split, len, &off, &r, e)) > 0) {
		if (r.type == 'R' && fn(arg, r.data, r.n, e) < 0)
			return -1;
		if (r.type == 'F' && replay_file(dirfd, &r, buf, bufsz, fn, arg, e) < 0)
			return -1;
		if (r.type != 'Z')
			continue;
		memset(buf, 0, bufsz);
		for (size_t left = r.n; left;) {
			size_t n = left < bufsz ? left : bufsz;
			if (fn(arg, buf, n, e) < 0)
				return -1;
			left -= n;
		}
	}
	return k;
}
