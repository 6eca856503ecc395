/* engine/container_store: the container records under <root>/containers/<id>/config.json,
 * held in memory; resolution as moby's GetContainer (full ID, name, unique ID prefix). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/container_health.h"
#include "engine/container_priv.h"
#include "engine/container_recover.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define RECORD "config.json"

char *container_dir(struct engine *eng, const char *id)
{
	return str_printf("%s/containers/%s", eng->root, id);
}

char *container_run_dir(struct engine *eng, const char *id)
{
	return str_printf("%s/containers/%s", eng->run_dir, id);
}

char *container_runtime_root(struct engine *eng)
{
	return str_printf("%s/runtime", eng->run_dir);
}

int container_save(struct engine *eng, struct container *c, struct err *e)
{
	return container_save_rec(eng, c->id, c->rec, true, e);
}

int container_save_rec(struct engine *eng, const char *id, const json_t *rec, bool durable,
		       struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/containers/%s/" RECORD, eng->root, id);
	if (durable)
		return store_save_json(path, rec, e);
	_cleanup_free_ char *s = json_dumps(rec, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return err_set(e, ERR_INTERNAL, ENOMEM, "encode %s", path);
	return fs_write_replace(path, s, strlen(s), 0600, e);
}

static struct container *container_load(struct engine *eng, const char *id, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/containers/%s/" RECORD, eng->root, id);
	json_t *rec = store_load_json(path, e);
	if (!rec)
		return NULL;
	const char *rid = json_string_value(json_object_get(rec, "Id"));
	const char *name = json_string_value(json_object_get(rec, "Name"));
	if (!rid || strcmp(rid, id) != 0 || !name ||
	    !json_is_object(json_object_get(rec, "State"))) {
		json_decref(rec);
		err_invalid(e, "container %s: damaged record", id);
		return NULL;
	}
	struct container *c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->rec = rec;
	const char *created = json_string_value(json_object_get(rec, "Created"));
	if (created)
		store_time_parse(created, &c->created, NULL);
	c->last_exit =
	    (int)json_integer_value(json_object_get(json_object_get(rec, "State"), "ExitCode"));
	return c;
}

/* A removal renames a container's directory to .tmp-rm-<id> with its rootfs mounted and
 * unmounts it after; a daemon killed in between left the mount (rm -rf stops at mounts). */
static void unmount_trash(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!str_has_prefix(de->d_name, STORE_TMP_PREFIX))
			continue;
		_cleanup_free_ char *path = str_printf("%s/%s", dir, de->d_name);
		rootfs_unmount(path, NULL);
	}
}

struct container_store *container_store_open(struct engine *eng, char ***warnings, struct err *e)
{
	_cleanup_free_ char *dir = str_printf("%s/containers", eng->root);
	if (store_mkdir(dir, 0710, e) < 0)
		return NULL;
	_cleanup_free_ char *rdir = str_printf("%s/containers", eng->run_dir);
	if (store_mkdir(rdir, 0700, e) < 0)
		return NULL;
	unmount_trash(dir);
	store_clean_tmp(dir, NULL);
	struct container_store *s = xcalloc(1, sizeof(*s));
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		free(s);
		err_sys(e, "eventfd");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	eng->containers = s;
	_cleanup_strv_ char **ids = store_list_dir(dir, "", e);
	if (!ids)
		return s;
	for (char **p = ids; *p; p++) {
		struct err le = ERR_INIT;
		struct container *c = id_is_hex(*p, ID_HEX_LEN) && strlen(*p) == ID_HEX_LEN
					  ? container_load(eng, *p, &le)
					  : NULL;
		if (!c && le.kind == ERR_NOT_FOUND) {
			container_recover_unrecorded(eng, *p); /* no record: a create cut short */
			continue;
		}
		if (!c) {
			if (warnings && le.kind != ERR_NONE)
				strv_push_take(warnings, str_printf("containers: %s", le.msg));
			continue;
		}
		cstore_add_locked(s, c);
		container_recover(eng, c);
	}
	return s;
}

void container_store_shutdown(struct container_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	uint64_t one = 1;
	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		log_warn("containers: cannot wake the watchers: %s", strerror(errno));
}

bool cstore_watcher_add(struct container_store *s)
{
	pthread_mutex_lock(&s->mu);
	bool ok = !s->closing;
	if (ok)
		s->watchers++;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

void cstore_watcher_done(struct container_store *s)
{
	pthread_mutex_lock(&s->mu);
	s->watchers--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

void container_store_free(struct container_store *s)
{
	if (!s)
		return;
	container_store_shutdown(s); /* (again: a failed start never shut it down) */
	container_health_release(s);
	pthread_mutex_lock(&s->mu);
	/* woken by the shutdown, the watchers drop their references and go */
	while (s->watchers > 0)
		pthread_cond_wait(&s->cond, &s->mu);
	for (size_t i = 0; i < s->n; i++)
		if (--s->v[i]->refs == 0) {
			json_decref(s->v[i]->rec);
			free(s->v[i]);
		}
	free(s->v);
	s->v = NULL;
	s->n = 0;
	pthread_mutex_unlock(&s->mu);
	close(s->stop_fd);
	free(s);
}

void cstore_add_locked(struct container_store *s, struct container *c)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = c;
}

void cstore_drop_locked(struct container_store *s, struct container *c)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i] == c) {
			memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
			s->n--;
			c->gone = true;
			c->refs--; /* the store's reference; the caller holds its own */
			return;
		}
	}
}

static const char *rec_name(const struct container *c)
{
	const char *n = json_string_value(json_object_get(c->rec, "Name"));
	return n ? n + (*n == '/') : "";
}

struct container *cstore_by_name_locked(struct container_store *s, const char *name)
{
	if (*name == '/')
		name++;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(rec_name(s->v[i]), name))
			return s->v[i];
	return NULL;
}

struct container *cstore_find_locked(struct container_store *s, const char *name, struct err *e)
{
	struct container *found = NULL;
	if (!name || !*name) {
		err_notfound(e, "No such container: %s", name ? name : "");
		return NULL;
	}
	for (size_t i = 0; i < s->n && !found; i++)
		if (!strcmp(s->v[i]->id, name))
			found = s->v[i];
	if (!found)
		found = cstore_by_name_locked(s, name);
	if (!found && id_is_hex(name, 1)) {
		size_t len = strlen(name);
		for (size_t i = 0; i < s->n; i++) {
			if (strncmp(s->v[i]->id, name, len) != 0)
				continue;
			if (found) {
				err_set(e, ERR_INTERNAL, 0,
					"Multiple IDs found with provided prefix: %s", name);
				return NULL;
			}
			found = s->v[i];
		}
	}
	if (!found) {
		err_notfound(e, "No such container: %s", name);
		return NULL;
	}
	found->refs++;
	return found;
}

struct container *container_get(struct engine *eng, const char *name, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, e);
	pthread_mutex_unlock(&s->mu);
	return c;
}

void container_put(struct engine *eng, struct container *c)
{
	if (!c)
		return;
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last) {
		json_decref(c->rec);
		free(c);
	}
}

void container_lock_busy(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	while (c->busy)
		pthread_cond_wait(&s->cond, &s->mu);
	c->busy = true;
	pthread_mutex_unlock(&s->mu);
}

void container_unlock_busy(struct engine *eng, struct container *c)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	c->busy = false;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

char *engine_container_resolve(struct engine *eng, const char *name, struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return NULL;
	char *id = str_dup(c->id);
	container_put(eng, c);
	return id;
}

static int cmp_created(const void *a, const void *b)
{
	const struct container *x = *(struct container *const *)a;
	const struct container *y = *(struct container *const *)b;
	return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

json_t *engine_container_list(struct engine *eng)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container **v = xcalloc(s->n + 1, sizeof(*v));
	if (s->n) /* s->v is NULL while there are none (memcpy from NULL is undefined) */
		memcpy(v, s->v, s->n * sizeof(*v));
	size_t n = s->n;
	qsort(v, n, sizeof(*v), cmp_created);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_deep_copy(v[i]->rec));
	pthread_mutex_unlock(&s->mu);
	free(v);
	return out;
}

json_t *engine_container_inspect(struct engine *eng, const char *name, struct err *e)
{
	struct container_store *s = eng->containers;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, e);
	json_t *rec = c ? json_deep_copy(c->rec) : NULL;
	if (rec)
		json_object_set_new(rec, "ExecIDs", container_exec_ids_locked(c->id));
	if (c)
		c->refs--;
	pthread_mutex_unlock(&s->mu);
	return rec;
}

void engine_container_counts(struct engine *eng, int counts[4])
{
	struct container_store *s = eng->containers;
	memset(counts, 0, 4 * sizeof(int));
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		counts[0]++;
		if (container_paused(s->v[i]))
			counts[2]++;
		else if (container_running(s->v[i]))
			counts[1]++;
		else
			counts[3]++;
	}
	pthread_mutex_unlock(&s->mu);
}

int engine_container_image_users(struct engine *eng, const char *image_id)
{
	struct container_store *s = eng->containers;
	int n = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		n += str_eq(json_string_value(json_object_get(s->v[i]->rec, "Image")), image_id);
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* The event's attributes from rec: labels, image, name (copies: nothing of rec is shared). */
static json_t *event_attrs(const json_t *rec, char **id, char **image)
{
	json_t *attrs = json_object();
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(json_object_get(rec, "Config"), "Labels"), k, v) {
		if (json_is_string(v))
			json_object_set_new(attrs, k, json_string(json_string_value(v)));
	}
	const char *img =
	    json_string_value(json_object_get(json_object_get(rec, "Config"), "Image"));
	const char *name = json_string_value(json_object_get(rec, "Name"));
	json_object_set_new(attrs, "image", json_string(img ? img : ""));
	json_object_set_new(attrs, "name", json_string(name ? name + (*name == '/') : ""));
	*image = img ? str_dup(img) : NULL;
	*id = str_dup(json_string_value(json_object_get(rec, "Id")));
	return attrs;
}

static void event_publish(struct engine *eng, json_t *attrs, const char *id, const char *image,
			  const char *action, json_t *extra)
{
	if (extra)
		json_object_update(attrs, extra);
	json_decref(extra);
	engine_event_publish_from(eng, "container", action, id, image, attrs);
}

void container_emit(struct engine *eng, struct container *c, const char *action, json_t *extra)
{
	_cleanup_free_ char *id = NULL, *image = NULL;
	pthread_mutex_lock(&eng->containers->mu);
	json_t *attrs = event_attrs(c->rec, &id, &image);
	pthread_mutex_unlock(&eng->containers->mu);
	event_publish(eng, attrs, id, image, action, extra);
}

void container_emit_id(struct engine *eng, const char *name, const char *action, json_t *extra)
{
	struct container_store *s = eng->containers;
	_cleanup_free_ char *id = NULL, *image = NULL;
	pthread_mutex_lock(&s->mu);
	struct container *c = cstore_find_locked(s, name, NULL);
	json_t *attrs = c ? event_attrs(c->rec, &id, &image) : NULL;
	if (c)
		c->refs--;
	pthread_mutex_unlock(&s->mu);
	if (attrs)
		event_publish(eng, attrs, id, image, action, extra);
	else
		json_decref(extra);
}

void engine_container_event(struct engine *eng, const char *id, const char *action)
{
	container_emit_id(eng, id, action, NULL);
}

bool container_running(const struct container *c)
{
	return json_is_true(json_object_get(json_object_get(c->rec, "State"), "Running"));
}

bool container_paused(const struct container *c)
{
	return json_is_true(json_object_get(json_object_get(c->rec, "State"), "Paused"));
}

void container_set_state(struct container *c, const char *status)
{
	json_t *st = json_object_get(c->rec, "State");
	json_object_set_new(st, "Status", json_string(status));
	json_object_set_new(st, "Running",
			    json_boolean(!strcmp(status, "running") || !strcmp(status, "paused")));
	json_object_set_new(st, "Paused", json_boolean(!strcmp(status, "paused")));
	json_object_set_new(st, "Dead", json_boolean(!strcmp(status, "dead")));
}

/* engine_event_publish with the legacy "from" field container events carry (events.c's
 * publish has no parameter for it). */
void engine_event_publish_from(struct engine *eng, const char *type, const char *action,
			       const char *id, const char *from, json_t *attrs)
{
	pthread_mutex_lock(&eng->ev_mu);
	uint64_t seq = ++eng->ev_seq;
	struct engine_event *ev = &eng->ring[seq % EVENTS_RING];
	free(ev->id);
	free(ev->from);
	free(ev->action);
	json_decref(ev->attrs);
	memset(ev, 0, sizeof(*ev));
	ev->seq = seq;
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	ev->action = str_dup(action);
	ev->id = str_dup(id);
	ev->from = from ? str_dup(from) : NULL;
	ev->attrs = attrs ? attrs : json_object();
	ev->time = store_time_now();
	pthread_cond_broadcast(&eng->ev_cond);
	pthread_mutex_unlock(&eng->ev_mu);
}

static __thread int64_t du_total;

static int du_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F || flag == FTW_SL)
		du_total += st->st_size;
	return 0;
}

void engine_container_size(struct engine *eng, const char *id, int64_t *rw, int64_t *rootfs)
{
	*rw = *rootfs = 0;
	struct container *c = container_get(eng, id, NULL);
	if (!c)
		return;
	_cleanup_free_ char *upper = str_printf("%s/containers/%s/upper", eng->root, c->id);
	du_total = 0;
	nftw(upper, du_add, 16, FTW_PHYS | FTW_MOUNT);
	*rw = du_total;
	pthread_mutex_lock(&eng->containers->mu);
	const char *img = json_string_value(json_object_get(c->rec, "Image"));
	_cleanup_free_ char *imgid = str_dup(img ? img : "");
	pthread_mutex_unlock(&eng->containers->mu);
	struct image *im = image_store_get(eng->images, imgid, NULL);
	*rootfs = *rw + (im ? im->size : 0);
	image_put(im);
	container_put(eng, c);
}

bool container_image_used(const char *image_id, void *arg, char *cid, size_t cid_len, bool *running)
{
	struct engine *eng = arg;
	struct container_store *s = eng->containers;
	bool found = false;
	*running = false;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		const struct container *c = s->v[i];
		if (!str_eq(json_string_value(json_object_get(c->rec, "Image")), image_id))
			continue;
		bool r = container_running(c);
		if (!found || (r && !*running)) {
			snprintf(cid, cid_len, "%s", c->id);
			*running = r;
		}
		found = true;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}
