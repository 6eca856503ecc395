/* image/store_priv: the image store's state and the helpers its files share (store.c,
 * store_refs.c, store_remove.c, layer.c, import.c). Callers hold s->mu where noted. */
#ifndef BERTH_IMAGE_STORE_PRIV_H
#define BERTH_IMAGE_STORE_PRIV_H

#include <pthread.h>

#include "image/image.h"
#include "image/tar.h"

struct image_store {
	pthread_mutex_t mu;
	char *dir;	   /* <root>/image */
	char *layers_dir;  /* layers/<chain hex>/{diff/,layer.json}; layers/.tmp-* in progress */
	char *configs_dir; /* configs/<id hex>.json: the config bytes the ID is the hash of */
	char *meta_dir;	   /* meta/<id hex>.json: {"parent", "last_tag_time"} */
	char *refs_path;   /* refs.json: {"docker.io/library/busybox:latest": "sha256:..."} */
	struct image **images;
	size_t n_images, cap_images;
	json_t *layers; /* chain ID -> {"diff_id","size","parent"} */
	json_t *refs;
	json_t *meta; /* image ID -> meta object */
};

/* image.c */
/* Parses config bytes into an image (refcount 1) with chain IDs; sizes from s->layers. */
struct image *image_from_config(struct image_store *s, const char *id, const char *raw, size_t len,
				struct err *e);
/* mu held: lookups in the in-memory index (id may be NULL: not found). */
struct image *store_find_locked(struct image_store *s, const char *id);
/* GetImage resolution (see image_store_get); not held. */
struct image *store_get_locked(struct image_store *s, const char *name, struct err *e);
void store_add_locked(struct image_store *s, struct image *img);
void store_drop_locked(struct image_store *s, const char *id);

/* layer.c */
int layer_load_all(struct image_store *s, struct err *e);
/* Moves an extracted tmp dir into layers/<chain>; an existing identical layer wins.
 * mu held. */
int layer_register_locked(struct image_store *s, const char *tmp, const char *parent,
			  const struct image_tar_result *res, char *chain_out, struct err *e);
/* Removes layers no image references; their chain IDs are appended to *removed
 * (when not NULL). mu held. */
int layer_gc_locked(struct image_store *s, char ***removed, struct err *e);
int64_t layer_size_locked(struct image_store *s, const char *chain);

/* store_refs.c */
int refs_load(struct image_store *s, struct err *e);
int refs_save_locked(struct image_store *s, struct err *e);
char **refs_of_locked(struct image_store *s, const char *id);
int meta_save_locked(struct image_store *s, const char *id, struct err *e);
/* mu held: a new image id's config file, its parent link (parent still present) and its
 * index entry; held. Nothing is left behind on failure. */
struct image *store_register_config_locked(struct image_store *s, const char *id, const char *raw,
					   size_t len, const char *parent, struct err *e);

/* import_config.c */
/* The config of an imported one-layer image; changes applied. New reference. */
json_t *import_build_config(const struct image_import_opts *o, const char *diff_id, int64_t now,
			    struct err *e);

#endif
