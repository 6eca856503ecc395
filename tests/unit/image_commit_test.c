/* Unit tests for src/image/commit: an overlay upper directory (files, a whiteout, an opaque
 * directory, runtime mount points to leave out) committed into a store becomes a layer whose
 * tar has .wh. entries and whose directory has overlay whiteouts again; an empty upper is no
 * layer (empty_layer history); the Config is normalised to Go's key order. Needs root
 * (mknod, trusted.* xattrs, the extraction's chroot). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/image.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

struct buf {
	char *data;
	size_t len;
};

static int buf_sink(void *arg, const void *data, size_t len, struct err *e)
{
	struct buf *b = arg;
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* Whether name occurs as a tar header name (the first 100 bytes of a 512-byte block). */
static bool tar_has(const struct buf *b, const char *name)
{
	for (size_t off = 0; off + 512 <= b->len; off += 512)
		if (!strncmp(b->data + off, name, 100) && b->data[off + strlen(name)] == '\0')
			return true;
	return false;
}

static void make_upper(const char *up)
{
	_cleanup_free_ char *f = str_printf("%s/hello", up);
	_cleanup_free_ char *wh = str_printf("%s/gone", up);
	_cleanup_free_ char *opq = str_printf("%s/opq", up);
	_cleanup_free_ char *inner = str_printf("%s/opq/new", up);
	_cleanup_free_ char *proc = str_printf("%s/proc", up);
	_cleanup_free_ char *etc = str_printf("%s/etc", up);
	_cleanup_free_ char *hosts = str_printf("%s/etc/hosts", up);
	mkdir(up, 0755);
	fs_write_atomic(f, "hi\n", 3, 0640, NULL);
	mknod(wh, S_IFCHR, makedev(0, 0));
	mkdir(opq, 0755);
	setxattr(opq, "trusted.overlay.opaque", "y", 1, 0);
	fs_write_atomic(inner, "n", 1, 0644, NULL);
	mkdir(proc, 0555);
	mkdir(etc, 0755);
	fs_write_atomic(hosts, "", 0, 0644, NULL);
}

static void test_commit(struct image_store *s, const char *base)
{
	_cleanup_free_ char *up = str_printf("%s/upper", base);
	make_upper(up);
	char *skip[] = {"proc", "etc/hosts", NULL};
	_cleanup_json_ json_t *cfg =
	    json_pack("{s:[s], s:s, s:{}}", "Cmd", "cat", "Zzz", "x", "Labels");
	struct image_commit_opts o = {.dir = up,
				      .skip = skip,
				      .container = "c1",
				      .config = cfg,
				      .cconfig = cfg,
				      .author = "me",
				      .comment = "msg",
				      .created_by = "cat",
				      .docker_version = "test"};
	struct err e = ERR_INIT;
	struct image *img = image_store_commit(s, &o, &e);
	if (!ok(img != NULL, "commit: %s", e.msg))
		return;
	is_int(img->layers, 1, "one layer");
	const json_t *h = json_array_get(json_object_get(img->config, "history"), 0);
	is_str(json_string_value(json_object_get(h, "comment")), "msg", "history comment");
	is_str(json_string_value(json_object_get(img->config, "author")), "me", "author");
	_cleanup_free_ char *c = jx_dumps(image_container_config(img));
	ok(str_has_prefix(c, "{\"Hostname\":\"\",\"Domainname\":\"\"") && !strstr(c, "Zzz"),
	   "config in Go's key order, unknown keys dropped");
	_cleanup_free_ char *dir = image_store_layer_path(s, img->chain_ids[0]);
	_cleanup_free_ char *gone = str_printf("%s/gone", dir);
	_cleanup_free_ char *opq = str_printf("%s/opq", dir);
	_cleanup_free_ char *proc = str_printf("%s/proc", dir);
	struct stat st;
	ok(lstat(gone, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0,
	   "whiteout back as a 0/0 device");
	char v[4];
	ok(lgetxattr(opq, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y',
	   "opaque directory kept");
	ok(!fs_exists(proc), "mount points left out");
	struct buf b = {0};
	ok(image_store_layer_tar(s, img->chain_ids[0], buf_sink, &b, &e) == 0, "layer tar");
	ok(tar_has(&b, ".wh.gone") && tar_has(&b, "opq/.wh..wh..opq") && tar_has(&b, "hello") &&
	       !tar_has(&b, "etc/hosts"),
	   "tar has .wh. entries, not the skipped files");
	char digest[IMAGE_DIGEST_LEN + 1];
	image_sha256_buf(b.data, b.len, digest);
	is_str(digest, img->diff_ids[0], "the tar hashes to the diff ID");
	free(b.data);
	image_put(img);
}

static void test_empty(struct image_store *s, const char *base)
{
	_cleanup_free_ char *up = str_printf("%s/empty-upper", base);
	mkdir(up, 0755);
	_cleanup_json_ json_t *cfg = json_object();
	struct image_commit_opts o = {
	    .dir = up, .config = cfg, .cconfig = cfg, .docker_version = ""};
	struct err e = ERR_INIT;
	struct image *img = image_store_commit(s, &o, &e);
	if (!ok(img != NULL, "empty commit: %s", e.msg))
		return;
	is_int(img->layers, 0, "an empty upper adds no layer");
	const json_t *h = json_array_get(json_object_get(img->config, "history"), 0);
	ok(json_is_true(json_object_get(h, "empty_layer")), "history says empty_layer");
	image_put(img);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	char base[] = "/tmp/berth-commit-test.XXXXXX";
	if (!mkdtemp(base))
		return 1;
	_cleanup_free_ char *dir = str_printf("%s/image", base);
	struct err e = ERR_INIT;
	struct image_store *s = image_store_open(dir, NULL, &e);
	if (!ok(s != NULL, "open store: %s", e.msg))
		return tap_done();
	test_commit(s, base);
	test_empty(s, base);
	image_store_free(s);
	fs_rm_rf(base, NULL);
	return tap_done();
}
