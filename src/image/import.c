/* image/import: a layer tarball streamed in through a byte ring to an extraction thread, then
 * registered as a layer and a one-layer image. The temporary layer directory lives under
 * layers/ (same filesystem, so the final rename is atomic) with the store's tmp prefix, so an
 * interrupted import is removed at the next start. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/changes.h"
#include "image/ring.h"
#include "image/store_priv.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

struct image_import {
	struct image_store *s;
	char *comment, *docker_version, *os, *arch;
	char **changes;
	char *tmp, *diff;
	struct image_ring *ring;
	bool closed; /* no more writes: the extraction stopped, or the end is near */
	pthread_t worker;
	bool started, finished;
	/* a plain tar is hashed in the ring, by the writer or the extraction thread, whichever
	 * would otherwise wait: the two cores share the work (a third thread for the hash
	 * measured no faster, and the writer alone was the bottleneck) */
	bool decided, skip_hash, hashing;
	struct image_sha256 hash;
	struct image_tar_result res;
	struct err err;
	int rc;
};

/* 1 MiB, read in batches of 256 KiB: the data is still in the cache (L2) when the
 * extraction reads it; 2 and 4 MiB rings cost ~30% more CPU per import here. */
#define RING_SIZE (1u << 20)

static ssize_t ring_read(void *arg, const void **buf)
{
	return image_ring_read(arg, buf);
}

static void *import_worker(void *arg)
{
	struct image_import *imp = arg;
	imp->rc = image_tar_extract_from(ring_read, imp->ring, imp->diff, &imp->skip_hash,
					 &imp->res, &imp->err);
	/* A writer still sending after a failure gets an error instead of blocking. */
	image_ring_close_read(imp->ring);
	return NULL;
}

static int import_prepare(struct image_import *imp, struct err *e)
{
	imp->tmp = str_printf("%s/" STORE_TMP_PREFIX "import-XXXXXX", imp->s->layers_dir);
	if (!mkdtemp(imp->tmp)) {
		free(imp->tmp);
		imp->tmp = NULL;
		return err_sys(e, "create temporary layer directory");
	}
	imp->diff = str_printf("%s/diff", imp->tmp);
	if (mkdir(imp->diff, 0755) < 0)
		return err_sys(e, "mkdir %s", imp->diff);
	imp->ring = image_ring_new(RING_SIZE);
	int r = pthread_create(&imp->worker, NULL, import_worker, imp);
	if (r != 0)
		return err_errno(e, r, "start import thread");
	imp->started = true;
	return 0;
}

struct image_import *image_import_start(struct image_store *s, const struct image_import_opts *o,
					struct err *e)
{
	/* Bad changes are refused before any data is read, as dockerd does. */
	_cleanup_json_ json_t *probe = image_config_new_container_config();
	if (image_changes_apply(probe, o->changes, e) < 0)
		return NULL;
	struct image_import *imp = xcalloc(1, sizeof(*imp));
	imp->s = s;
	imp->comment = str_dup(o->comment);
	imp->docker_version = str_dup(o->docker_version);
	imp->os = str_dup(o->os);
	imp->arch = str_dup(o->arch);
	imp->changes = strv_copy(o->changes);
	if (import_prepare(imp, e) < 0) {
		image_import_free(imp);
		return NULL;
	}
	return imp;
}

/* Before the first byte reaches the extraction: who hashes the stream. */
static void import_decide_hash(struct image_import *imp, const void *data, size_t len)
{
	imp->decided = true;
	if (len < 6 || image_tar_compressed(data, len)) /* compressed: the reader has the tar */
		return;
	if (image_sha256_init(&imp->hash, NULL) < 0)
		return;
	imp->hashing = true;
	image_ring_hash(imp->ring, &imp->hash);
	__atomic_store_n(&imp->skip_hash, true, __ATOMIC_RELEASE);
}

int image_import_write(struct image_import *imp, const void *data, size_t len)
{
	if (imp->closed)
		return -1;
	if (!imp->decided && len)
		import_decide_hash(imp, data, len);
	if (image_ring_write(imp->ring, data, len) < 0) {
		imp->closed = true; /* the extraction has stopped */
		return -1;
	}
	return 0;
}

static void import_wait(struct image_import *imp)
{
	if (imp->ring)
		image_ring_close_write(imp->ring);
	imp->closed = true;
	if (imp->started) {
		pthread_join(imp->worker, NULL);
		imp->started = false;
	}
}

/* mu held: the extracted layer becomes a layer, its config an image. */
static struct image *import_commit_locked(struct image_import *imp, struct err *e)
{
	struct image_store *s = imp->s;
	char chain[IMAGE_DIGEST_LEN + 1];
	if (layer_register_locked(s, imp->tmp, NULL, &imp->res, chain, e) < 0)
		return NULL;
	struct image_import_opts o = {imp->comment, imp->changes, imp->docker_version, imp->os,
				      imp->arch};
	_cleanup_json_ json_t *cfg = import_build_config(&o, imp->res.diff_id, store_time_now(), e);
	if (!cfg)
		return NULL;
	_cleanup_free_ char *raw = jx_dumps(cfg);
	size_t len = strlen(raw);
	char id[IMAGE_DIGEST_LEN + 1];
	image_sha256_buf(raw, len, id);
	struct image *img = store_find_locked(s, id);
	if (img)
		return image_hold(img);
	_cleanup_free_ char *path = str_printf("%s/%s.json", s->configs_dir, image_digest_hex(id));
	if (store_write_file(path, raw, len, 0600, e) < 0)
		return NULL;
	img = image_from_config(s, id, raw, len, e);
	if (!img) {
		unlink(path);
		return NULL;
	}
	store_add_locked(s, img);
	return image_hold(img);
}

struct image *image_import_finish(struct image_import *imp, struct err *e)
{
	import_wait(imp);
	imp->finished = true;
	if (imp->hashing) {
		imp->hashing = false;
		image_ring_hash_finish(imp->ring);
		image_sha256_final(&imp->hash, imp->res.diff_id);
		image_sha256_release(&imp->hash);
	}
	if (imp->rc < 0) {
		*e = imp->err;
		/* gone before the client hears of the failure */
		fs_rm_rf(imp->tmp, NULL);
		return NULL;
	}
	pthread_mutex_lock(&imp->s->mu);
	struct image *img = import_commit_locked(imp, e);
	if (!img) {
		fs_rm_rf(imp->tmp, NULL);
		layer_gc_locked(imp->s, NULL, NULL); /* a registered but unused layer goes */
	}
	pthread_mutex_unlock(&imp->s->mu);
	return img;
}

void image_import_free(struct image_import *imp)
{
	if (!imp)
		return;
	import_wait(imp);
	if (imp->hashing)
		image_sha256_release(&imp->hash);
	image_ring_free(imp->ring);
	if (imp->tmp)
		fs_rm_rf(imp->tmp, NULL); /* gone already when the layer was registered */
	free(imp->tmp);
	free(imp->diff);
	free(imp->comment);
	free(imp->docker_version);
	free(imp->os);
	free(imp->arch);
	strv_free(imp->changes);
	free(imp);
}
