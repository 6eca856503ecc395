/* image/tarsplit: recording a tar stream as "raw bytes + references to extracted files" and
 * replaying it. Records: 'R' u32 len + bytes, 'Z' u32 len (zero bytes), 'F' u16 len + path +
 * u64 size (the contents of that file of the layer directory). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/tar.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

#define SPLIT_MAX (64u << 20)

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
	bool trust_plain; /* plain input is not hashed: the caller has its digest */
	/* compressed input: a thread decompresses it (libarchive) and records the plain tar */
	int zfd, zrfd;
	pthread_t zthread;
	bool zrunning;
};

static void put(struct image_tarsplit *t, const void *p, size_t n)
{
	if (t->len + n > SPLIT_MAX) {
		t->bad = true; /* headers that big are no layer's: not worth keeping */
		return;
	}
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 4096;
		t->out = xrealloc(t->out, t->cap);
	}
	memcpy(t->out + t->len, p, n);
	t->len += n;
}

static void put_rec(struct image_tarsplit *t, char type, const void *p, uint32_t n)
{
	uint32_t old = 0;
	if (t->last_rec != SIZE_MAX && t->out[t->last_rec] == type)
		memcpy(&old, t->out + t->last_rec + 1, 4);
	if (t->last_rec != SIZE_MAX && t->out[t->last_rec] == type && old <= UINT32_MAX - n) {
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
	t->zfd = t->zrfd = -1;
	t->files = json_object();
	t->hashing = image_sha256_init(&t->hash, NULL) == 0;
	t->bad = !t->hashing;
	return t;
}

static void inflate_stop(struct image_tarsplit *t)
{
	if (t->zfd >= 0)
		close(TAKE_FD(t->zfd));
	if (t->zrunning) {
		pthread_join(t->zthread, NULL);
		t->zrunning = false;
	}
}

void image_tarsplit_free(struct image_tarsplit *t)
{
	if (!t)
		return;
	inflate_stop(t);
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
/* Octal, or base-256 when the high bit of the first byte is set; -1 when out of range. */
static int64_t tar_number(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	bool b256 = p[0] & 0x80;
	if (b256) {
		if (p[0] & 0x40)
			return -1; /* negative */
		v = p[0] & 0x3f;
		i = 1;
	}
	while (!b256 && i < n && (p[i] == ' ' || p[i] == 0))
		i++;
	for (; i < n && (b256 || (p[i] >= '0' && p[i] <= '7')); i++) {
		if (v > (UINT64_C(1) << 54))
			return -1;
		v = b256 ? (v << 8) | p[i] : v * 8 + (uint64_t)(p[i] - '0');
	}
	return (int64_t)v;
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
		if (n <= 0 || sp >= end || *sp != ' ' || n > end - p || sp + 1 > p + n - 1)
			return; /* malformed: the entry keeps its header's name and size */
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
	if (name && strlen(name) > UINT16_MAX)
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
	if (size < 0) {
		t->bad = true;
		return;
	}
	if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
		if (size > (1 << 20)) {
			t->bad = true; /* no name or pax header is that long */
			return;
		}
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

/* The plain tar stream. */
static void feed_plain(struct image_tarsplit *t, const unsigned char *p, size_t len)
{
	if (t->hashing)
		image_sha256_update(&t->hash, p, len);
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

static void *inflate_thread(void *arg)
{
	struct image_tarsplit *t = arg;
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	struct archive_entry *ent;
	bool ok = archive_read_open_fd(a, t->zrfd, 64 * 1024) == ARCHIVE_OK &&
		  archive_read_next_header(a, &ent) == ARCHIVE_OK;
	while (ok) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		ok = r >= ARCHIVE_WARN;
		if (ok)
			feed_plain(t, buf, n);
	}
	t->bad = t->bad || !ok;
	archive_read_free(a);
	char drop[4096];
	while (read(t->zrfd, drop, sizeof(drop)) > 0)
		;
	close(TAKE_FD(t->zrfd));
	return NULL;
}

static void inflate_start(struct image_tarsplit *t)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		t->bad = true;
		return;
	}
	t->zrfd = p[0];
	t->zfd = p[1];
	if (pthread_create(&t->zthread, NULL, inflate_thread, t) != 0) {
		close(TAKE_FD(t->zrfd));
		close(TAKE_FD(t->zfd));
		t->bad = true;
		return;
	}
	t->zrunning = true;
}

void image_tarsplit_trust_plain(struct image_tarsplit *t)
{
	t->trust_plain = true;
}

void image_tarsplit_feed(struct image_tarsplit *t, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (!t->started && len) {
		t->started = true;
		t->paxsize = -1;
		if (compressed(p, len)) {
			inflate_start(t);
		} else if (t->trust_plain && t->hashing) {
			image_sha256_release(&t->hash);
			t->hashing = false;
		}
	}
	if (!t->zrunning) {
		feed_plain(t, p, len);
		return;
	}
	while (len && t->zfd >= 0) {
		ssize_t n = write(t->zfd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(TAKE_FD(t->zfd)); /* the thread gave up: it marked the split bad */
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

char *image_tarsplit_finish(struct image_tarsplit *t, size_t *len,
			    char digest[IMAGE_DIGEST_LEN + 1])
{
	inflate_stop(t);
	digest[0] = '\0';
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
