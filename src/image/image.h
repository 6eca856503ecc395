/* image/image: the image store: content-addressed image configs (ID = sha256 of the config
 * JSON), layers by chain ID on overlayfs-ready directories, references (tags), and the
 * operations on them: resolve, list, tag, import, remove. Thread-safe; one per daemon root. */
#ifndef BERTH_IMAGE_IMAGE_H
#define BERTH_IMAGE_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "image/ref.h"
#include "util/err.h"

/* An image as loaded from its config. Immutable once created; shared by reference count
 * (image_hold/image_put) so a listing can outlive a concurrent removal. */
struct image {
	int refcount;
	char id[IMAGE_DIGEST_LEN + 1];
	json_t *config;	 /* the whole image config */
	int64_t created; /* ns since the epoch; 0 when the config has none */
	char *parent;	 /* local parent image ID (commit), NULL for none */
	size_t layers;
	char **diff_ids;     /* [layers] */
	char **chain_ids;    /* [layers] */
	int64_t *layer_size; /* [layers], each layer's own size */
	int64_t size;	     /* sum of layer_size */
};

struct image *image_hold(struct image *img);
void image_put(struct image *img);
/* The container config part ("config"), never NULL (an empty object when absent). */
const json_t *image_container_config(const struct image *img);

struct image_store;

/* Opens (creating) the store under dir, recovering from interrupted operations: temporary
 * layers are removed, images whose config or layers are damaged are skipped (one line each
 * in *warnings), layers no image uses are removed, references to missing images dropped. */
struct image_store *image_store_open(const char *dir, char ***warnings, struct err *e);
void image_store_free(struct image_store *s);
/* Layer contents for a chain ID (…/layers/<hex>/diff), malloc'd; for overlay mounts. */
char *image_store_layer_path(struct image_store *s, const char *chain_id);

/* Docker's GetImage: full ID (with or without sha256:), a reference (tag or digest), then a
 * unique ID prefix. ERR_NOT_FOUND "No such image: busybox:latest", ERR_INVALID for a bad
 * reference. Returns a held image. */
struct image *image_store_get(struct image_store *s, const char *name, struct err *e);
/* All images, held, in no particular order; free with image_list_free. */
struct image **image_store_list(struct image_store *s, size_t *n);
void image_list_free(struct image **v, size_t n);
size_t image_store_count(struct image_store *s);
/* Full reference strings ("docker.io/library/busybox:latest") of an image, sorted. */
char **image_store_refs(struct image_store *s, const char *id);
/* RFC 3339 time of the last tag, or NULL. malloc'd. */
char *image_store_last_tag_time(struct image_store *s, const char *id);
bool image_store_has_children(struct image_store *s, const char *id);
/* Points ref (which must carry a tag or digest) at image id, replacing an older target. */
int image_store_tag(struct image_store *s, const char *id, const struct image_ref *ref,
		    struct err *e);

/* One line of a removal: Untagged (ref = familiar reference) or Deleted (an image or
 * layer ID). id is the image the line is about. */
struct image_rm_item {
	bool deleted;
	char *ref;
	char id[IMAGE_DIGEST_LEN + 1];
};
struct image_rm_result {
	struct image_rm_item *items;
	size_t n;
};
/* Reports whether a container uses the image (cid gets its ID) and if it is running. */
typedef bool (*image_usage_fn)(const char *image_id, void *arg, char *cid, size_t cid_len,
			       bool *running);
/* Docker's ImageDelete: untag a reference, or delete by ID (force: despite several
 * references or stopped containers), then the parents unless noprune. */
int image_store_remove(struct image_store *s, const char *name, bool force, bool prune,
		       image_usage_fn used, void *arg, struct image_rm_result *res, struct err *e);
void image_rm_result_release(struct image_rm_result *res);

/* Import of a layer tarball as a one-layer image: start, stream the body in, finish. */
struct image_import_opts {
	const char *comment;	    /* "Imported from -" or the message */
	char *const *changes;	    /* Dockerfile instructions for the config */
	const char *docker_version; /* written into the config */
	const char *os, *arch;	    /* NULL: linux, the host's architecture */
};
struct image_import;
/* Checks the options (changes) first, so bad ones fail before any data is read. */
struct image_import *image_import_start(struct image_store *s, const struct image_import_opts *o,
					struct err *e);
/* Feeds body bytes. -1 once extraction stopped (its error comes from finish): the caller
 * may discard the rest of the body. */
int image_import_write(struct image_import *imp, const void *data, size_t len);
/* Ends the input, waits for the extraction, registers layer and image. Held image. */
struct image *image_import_finish(struct image_import *imp, struct err *e);
/* Aborts an unfinished import (removing its temporary layer) and frees it. */
void image_import_free(struct image_import *imp);

/* docker import URL: src without a scheme gets http:// (malloc'd); image_fetch streams the
 * body to sink and reports progress every 512 KiB and at the end (total 0 when the server
 * sent no length). A sink or progress returning -1 stops the transfer: 1 is returned, the
 * callback knows why. ERR_INVALID for another scheme or an HTTP error status. */
typedef int image_fetch_sink_fn(void *arg, const void *data, size_t len);
typedef int image_fetch_progress_fn(void *arg, int64_t current, int64_t total);
char *image_fetch_url(const char *src);
int image_fetch(const char *url, image_fetch_sink_fn *sink, image_fetch_progress_fn *progress,
		void *arg, struct err *e);

/* Commit (docker commit): a directory, a container's overlay upper layer, becomes a new layer
 * (overlay whiteouts and opaque directories pass through as .wh. entries of its tar) on top of
 * the parent image's layers, with a child config and history entry as dockerd's. Atomic: the
 * layer is extracted into a temporary directory, then layer, metadata and config appear under
 * the store's lock; a crash leaves at most an orphan that the next open removes. */
struct idmap_pair;
struct image_commit_opts {
	const char *dir;	/* upper directory; absent: an empty layer */
	char *const *skip;	/* relative paths of dir left out (mount points), may be NULL */
	const char *parent;	/* ID of the image the container runs, NULL for none */
	const char *container;	/* container ID, for "container" */
	const json_t *config;	/* the new Config */
	const json_t *cconfig;	/* the container's Config, for "container_config" */
	const char *author;	/* "" or NULL: none */
	const char *comment;	/* "" or NULL: none */
	const char *created_by; /* history: the container's Cmd joined */
	const char *docker_version;
	const struct idmap_pair *ids; /* owners of dir's files translated (util/idmap.h), or NULL */
};
/* Returns the new image, held. */
struct image *image_store_commit(struct image_store *s, const struct image_commit_opts *o,
				 struct err *e);
/* A container Config in the key order and omitempty rules of Go's container.Config; keys it
 * does not know are dropped. New reference. */
json_t *image_config_normalize(const json_t *cfg);

/* An image config whose layers are all in the store registered as it is (its ID the hash
 * of its compact JSON), with parent as its local parent; an existing one is returned. Held. */
struct image *image_store_add_config(struct image_store *s, const json_t *config,
				     const char *parent, struct err *e);
/* Records parent as the local parent of image id. */
int image_store_set_parent(struct image_store *s, const char *id, const char *parent,
			   struct err *e);

/* "amd64" for x86_64 etc. (Go's GOARCH names). */
const char *image_host_arch(void);

#endif
