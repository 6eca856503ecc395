/* image/layer: the layer store: layers/<chain hex>/diff holds a layer's files (overlayfs
 * whiteouts included), layers/<chain hex>/layer.json its identity; a layer appears only by
 * renaming a complete temporary directory into place. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "image/store_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

char *image_store_layer_path(struct image_store *s, const char *chain_id)
{
	return str_printf("%s/%s/diff", s->layers_dir, image_digest_hex(chain_id));
}

int64_t layer_size_locked(struct image_store *s, const char *chain)
{
	json_t *l = json_object_get(s->layers, chain);
	return l ? json_integer_value(json_object_get(l, "size")) : -1;
}

/* layers/ is the top of many independent trees: with the top-directory flag (chattr +T)
 * ext4's Orlov allocator puts each new layer directory in a block group of its own instead
 * of next to layers/. Without it, every layer's inodes came from the group where the layers
 * removed just before had theirs, and on a filesystem without a journal ext4 steps over each
 * recently freed inode one by one (recently_deleted): a pull or import after an rmi spent
 * as long finding inodes as writing its data. Best effort: other filesystems lack the flag. */
static void layers_spread(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int flags;
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
		return;
	flags |= FS_TOPDIR_FL;
	(void)!ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

/* Reads every layers/<hex>/layer.json; directories without a valid one are leftovers. */
int layer_load_all(struct image_store *s, struct err *e)
{
	layers_spread(s->layers_dir);
	if (store_clean_tmp(s->layers_dir, e) < 0)
		return -1;
	_cleanup_strv_ char **names = store_list_dir(s->layers_dir, "", e);
	if (!names)
		return -1;
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *dir = str_printf("%s/%s", s->layers_dir, *n);
		_cleanup_free_ char *meta = str_printf("%s/layer.json", dir);
		_cleanup_json_ json_t *j = store_load_json(meta, NULL);
		const char *chain = json_string_value(json_object_get(j, "chain_id"));
		if (!chain || strcmp(image_digest_hex(chain), *n) != 0) {
			if (fs_rm_rf(dir, e) < 0)
				return -1;
			continue;
		}
		json_object_set(s->layers, chain, j);
	}
	return 0;
}

int layer_register_locked(struct image_store *s, const char *tmp, const char *parent,
			  const struct image_tar_result *res, char *chain_out, struct err *e)
{
	image_chain_id(parent, res->diff_id, chain_out);
	if (json_object_get(s->layers, chain_out))
		return fs_rm_rf(tmp, e); /* same content already registered */
	_cleanup_json_ json_t *j =
	    json_pack("{s:s, s:s, s:s?, s:I}", "chain_id", chain_out, "diff_id", res->diff_id,
		      "parent", parent, "size", (json_int_t)res->size);
	_cleanup_free_ char *meta = str_printf("%s/layer.json", tmp);
	if (store_save_json(meta, j, e) < 0)
		return -1;
	_cleanup_free_ char *dst = str_printf("%s/%s", s->layers_dir, image_digest_hex(chain_out));
	if (rename(tmp, dst) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return err_sys(e, "rename %s to %s", tmp, dst);
		fs_rm_rf(tmp, NULL);
	}
	if (fs_fsync_dir(s->layers_dir, e) < 0)
		return -1;
	json_object_set(s->layers, chain_out, j);
	return 0;
}

/* Marks every chain ID some image uses. */
static json_t *layers_in_use_locked(struct image_store *s)
{
	json_t *used = json_object();
	for (size_t i = 0; i < s->n_images; i++)
		for (size_t k = 0; k < s->images[i]->layers; k++)
			json_object_set_new(used, s->images[i]->chain_ids[k], json_true());
	return used;
}

int layer_gc_locked(struct image_store *s, char ***removed, struct err *e)
{
	_cleanup_json_ json_t *used = layers_in_use_locked(s);
	const char *chain;
	json_t *l, *tmp;
	json_object_foreach_safe (s->layers, tmp, chain, l) {
		if (json_object_get(used, chain))
			continue;
		_cleanup_free_ char *dir =
		    str_printf("%s/%s", s->layers_dir, image_digest_hex(chain));
		/* Rename first: a crash mid-removal leaves a tmp dir, never a half layer. */
		_cleanup_free_ char *trash = str_printf("%s/" STORE_TMP_PREFIX "rm-%s",
							s->layers_dir, image_digest_hex(chain));
		if (rename(dir, trash) < 0 && errno != ENOENT)
			return err_sys(e, "remove layer %s", chain);
		if (fs_rm_rf(trash, e) < 0)
			return -1;
		if (removed)
			strv_push(removed, chain);
		json_object_del(s->layers, chain);
	}
	return 0;
}
