/* image/distmeta: which registry blob holds which layer (diff ID -> compressed digest and the
 * repositories it was pulled from or pushed to), so a push can skip or mount it without
 * compressing the layer again. One small JSON file per layer under image/distribution/. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "image/distribution.h"
#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define DISTMETA_MAX 16 /* entries kept per layer, newest last */

static pthread_mutex_t distmeta_mu = PTHREAD_MUTEX_INITIALIZER;

static char *meta_path(struct image_store *s, const char *diff_id)
{
	return str_printf("%s/distribution/%s.json", s->dir, image_digest_hex(diff_id));
}

json_t *image_distmeta_get(struct image_store *s, const char *diff_id)
{
	_cleanup_free_ char *path = meta_path(s, diff_id);
	pthread_mutex_lock(&distmeta_mu);
	json_t *j = fs_exists(path) ? store_load_json(path, NULL) : NULL;
	pthread_mutex_unlock(&distmeta_mu);
	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	return j;
}

int image_distmeta_add(struct image_store *s, const char *diff_id, const char *digest,
		       const char *repository, int64_t size, struct err *e)
{
	_cleanup_free_ char *dir = str_printf("%s/distribution", s->dir);
	_cleanup_free_ char *path = meta_path(s, diff_id);
	if (store_mkdir(dir, 0700, e) < 0)
		return -1;
	pthread_mutex_lock(&distmeta_mu);
	_cleanup_json_ json_t *j = fs_exists(path) ? store_load_json(path, NULL) : NULL;
	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	size_t i;
	json_t *it;
	json_array_foreach (j, i, it) {
		if (str_eq(json_string_value(json_object_get(it, "digest")), digest) &&
		    str_eq(json_string_value(json_object_get(it, "repository")), repository)) {
			pthread_mutex_unlock(&distmeta_mu);
			return 0;
		}
	}
	json_array_append_new(j, json_pack("{s:s, s:s, s:I}", "digest", digest, "repository",
					   repository, "size", (json_int_t)size));
	while (json_array_size(j) > DISTMETA_MAX)
		json_array_remove(j, 0);
	int rc = store_save_json(path, j, e);
	pthread_mutex_unlock(&distmeta_mu);
	return rc;
}
