/* image/commit: docker commit in the image store: a container's upper directory written as a
 * layer tar (overlay whiteouts back to .wh. files) into a pipe and extracted into a temporary
 * layer as an import is, then registered with a child config of the parent image. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/store_priv.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

/* Go's container.Config: keys in struct order; omitempty ones only when set. */
static const struct {
	const char *key;
	char type; /* s string, b bool, n anything else (null when absent) */
	bool omitempty;
} config_keys[] = {
    {"Hostname", 's', false},	    {"Domainname", 's', false},	  {"User", 's', false},
    {"AttachStdin", 'b', false},    {"AttachStdout", 'b', false}, {"AttachStderr", 'b', false},
    {"ExposedPorts", 'n', true},    {"Tty", 'b', false},	  {"OpenStdin", 'b', false},
    {"StdinOnce", 'b', false},	    {"Env", 'n', false},	  {"Cmd", 'n', false},
    {"Healthcheck", 'n', true},	    {"ArgsEscaped", 'b', true},	  {"Image", 's', false},
    {"Volumes", 'n', false},	    {"WorkingDir", 's', false},	  {"Entrypoint", 'n', false},
    {"NetworkDisabled", 'b', true}, {"MacAddress", 's', true},	  {"OnBuild", 'n', false},
    {"Labels", 'n', false},	    {"StopSignal", 's', true},	  {"StopTimeout", 'n', true},
    {"Shell", 'n', true},
};

static bool json_empty(const json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_object(v) && !json_object_size(v));
}

json_t *image_config_normalize(const json_t *cfg)
{
	json_t *out = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const char *k = config_keys[i].key;
		json_t *v = json_object_get(cfg, k);
		bool stop_timeout = !strcmp(k, "StopTimeout"); /* a pointer: 0 is kept */
		if (config_keys[i].omitempty &&
		    (stop_timeout ? !v || json_is_null(v) : json_empty(v)))
			continue;
		if (v && !json_is_null(v))
			json_object_set(out, k, v);
		else if (config_keys[i].type == 's')
			json_object_set_new(out, k, json_string(""));
		else if (config_keys[i].type == 'b')
			json_object_set_new(out, k, json_false());
		else
			json_object_set_new(out, k, json_null());
	}
	return out;
}

struct gen {
	const char *dir;
	char *const *skip;
	const struct idmap_pair *ids;
	int fd;
	struct err err;
	int rc;
};

static int pipe_sink(void *arg, const void *data, size_t len, struct err *e)
{
	struct gen *g = arg;
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(g->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, "commit: write layer stream");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *gen_thread(void *arg)
{
	struct gen *g = arg;
	g->rc = image_layer_tar_write_ids(g->dir, g->skip, g->ids, pipe_sink, g, &g->err);
	close(TAKE_FD(g->fd)); /* EOF (or a truncated stream) for the extraction */
	return NULL;
}

/* Whether the walk would write anything: an empty upper layer is no layer (Docker's
 * layer.IsEmpty), and an archive without entries would not extract. */
static bool has_entries(const char *dir, char *const *skip)
{
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool skipped = false;
		for (char *const *s = skip; s && *s && !skipped; s++)
			skipped = !strcmp(*s, de->d_name);
		if (!skipped)
			return true;
	}
	return false;
}

/* The layer tar made and extracted at once into <layers>/.tmp-commit-XXXXXX/diff. */
static int commit_extract(struct image_store *s, const struct image_commit_opts *o, char **tmp,
			  struct image_tar_result *res, struct err *e)
{
	*tmp = str_printf("%s/" STORE_TMP_PREFIX "commit-XXXXXX", s->layers_dir);
	if (!mkdtemp(*tmp)) {
		free(TAKE_PTR(*tmp));
		return err_sys(e, "create temporary layer directory");
	}
	_cleanup_free_ char *diff = str_printf("%s/diff", *tmp);
	if (mkdir(diff, 0755) < 0)
		return err_sys(e, "mkdir %s", diff);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	struct gen g = {o->dir, o->skip, o->ids, p[1], ERR_INIT, -1};
	pthread_t t;
	int r = pthread_create(&t, NULL, gen_thread, &g);
	if (r != 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(e, r, "start commit thread");
	}
	r = image_tar_extract(p[0], diff, res, e);
	close(p[0]); /* a generator still writing gets EPIPE */
	pthread_join(t, NULL);
	/* a failed walk truncated the stream: its error is the cause */
	if (g.rc < 0 && (r == 0 || g.err.errnum != EPIPE)) {
		*e = g.err;
		return -1;
	}
	return r;
}

static json_t *history_entry(const struct image_commit_opts *o, const char *created, bool empty)
{
	json_t *h = json_pack("{s:s}", "created", created);
	if (o->author && *o->author)
		json_object_set_new(h, "author", json_string(o->author));
	if (o->created_by && *o->created_by)
		json_object_set_new(h, "created_by", json_string(o->created_by));
	if (o->comment && *o->comment)
		json_object_set_new(h, "comment", json_string(o->comment));
	if (empty)
		json_object_set_new(h, "empty_layer", json_true());
	return h;
}

static void copy_if_set(json_t *to, const json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);
	if (!json_empty(v))
		json_object_set(to, key, v);
}

/* NewChildImage: the parent's rootfs and history plus this layer; top-level keys sorted as
 * dockerd marshals them. */
static json_t *commit_config(const struct image *parent, const struct image_commit_opts *o,
			     const char *diff_id, int64_t now)
{
	char created[STORE_TIME_MAX];
	store_time_format(now, created);
	const json_t *pc = parent ? parent->config : NULL;
	json_t *hist = json_array(), *ids = json_array();
	json_array_extend(hist, json_object_get(pc, "history"));
	json_array_append_new(hist, history_entry(o, created, !diff_id));
	for (size_t i = 0; parent && i < parent->layers; i++)
		json_array_append_new(ids, json_string(parent->diff_ids[i]));
	if (diff_id)
		json_array_append_new(ids, json_string(diff_id));
	const char *arch = json_string_value(json_object_get(pc, "architecture"));
	const char *os = json_string_value(json_object_get(pc, "os"));
	json_t *c = json_pack("{s:s}", "architecture", arch && *arch ? arch : image_host_arch());
	if (o->author && *o->author)
		json_object_set_new(c, "author", json_string(o->author));
	if (o->comment && *o->comment)
		json_object_set_new(c, "comment", json_string(o->comment));
	json_object_set_new(c, "config", image_config_normalize(o->config));
	json_object_set_new(c, "container", json_string(o->container ? o->container : ""));
	json_object_set_new(c, "container_config", image_config_normalize(o->cconfig));
	json_object_set_new(c, "created", json_string(created));
	json_object_set_new(c, "docker_version", json_string(o->docker_version));
	json_object_set_new(c, "history", hist);
	json_object_set_new(c, "os", json_string(os && *os ? os : "linux"));
	copy_if_set(c, pc, "os.features");
	copy_if_set(c, pc, "os.version");
	json_object_set_new(c, "rootfs",
			    json_pack("{s:s, s:o}", "type", "layers", "diff_ids", ids));
	copy_if_set(c, pc, "variant");
	return c;
}

/* mu held: layer (when there is one), parent link, config, index entry. */
static struct image *commit_register_locked(struct image_store *s,
					    const struct image_commit_opts *o,
					    const struct image *parent, const char *tmp,
					    const struct image_tar_result *res, struct err *e)
{
	if (parent && !store_find_locked(s, parent->id)) {
		err_conflict(e, "image %s was removed during the commit", parent->id);
		return NULL;
	}
	char chain[IMAGE_DIGEST_LEN + 1];
	const char *top = parent && parent->layers ? parent->chain_ids[parent->layers - 1] : NULL;
	if (tmp && layer_register_locked(s, tmp, top, res, chain, e) < 0)
		return NULL;
	_cleanup_json_ json_t *cfg =
	    commit_config(parent, o, tmp ? res->diff_id : NULL, store_time_now());
	_cleanup_free_ char *raw = jx_dumps(cfg);
	size_t len = strlen(raw);
	char id[IMAGE_DIGEST_LEN + 1];
	image_sha256_buf(raw, len, id);
	struct image *img = store_find_locked(s, id);
	if (img)
		return image_hold(img);
	return store_register_config_locked(s, id, raw, len, parent ? parent->id : NULL, e);
}

struct image *image_store_commit(struct image_store *s, const struct image_commit_opts *o,
				 struct err *e)
{
	struct image *parent = NULL;
	if (o->parent && *o->parent && !(parent = image_store_get(s, o->parent, e)))
		return NULL;
	_cleanup_free_ char *tmp = NULL;
	struct image_tar_result res = {0};
	struct image *img = NULL;
	if (!has_entries(o->dir, o->skip) || commit_extract(s, o, &tmp, &res, e) == 0) {
		pthread_mutex_lock(&s->mu);
		img = commit_register_locked(s, o, parent, tmp, &res, e);
		if (!img && tmp)
			layer_gc_locked(s, NULL, NULL); /* a registered but unused layer goes */
		pthread_mutex_unlock(&s->mu);
	}
	if (tmp && fs_exists(tmp))
		fs_rm_rf(tmp, NULL); /* renamed away when registered */
	image_put(parent);
	return img;
}
