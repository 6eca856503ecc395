/* engine/container_export: GET /containers/{id}/export: the container's merged filesystem as
 * a tar stream, running or not. The merged view is a read-only overlay (upper + image layers
 * as lower layers) mounted in a mount namespace private to one thread: it never shows on the
 * host, and it goes away with the thread, even if the daemon dies mid-export. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "engine/userns.h"
#include "image/archive.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

/* The kernel refuses mount options longer than a page. */
#define MOUNT_OPTS_MAX 4000

struct engine_export {
	struct engine *eng;
	char id[ID_HEX_LEN + 1];
	char **dirs;		      /* upper (when it exists), then the image layers top first */
	const struct idmap_pair *ids; /* --userns-remap: owners back to the container's ids */
	int fd;			      /* where the tar goes */
	struct err err;
	int rc;
};

struct engine_export *engine_container_export_open(struct engine *eng, const char *name,
						   struct err *e)
{
	struct container *c = container_get(eng, name, e);
	if (!c)
		return NULL;
	struct engine_export *x = xcalloc(1, sizeof(*x));
	x->eng = eng;
	x->fd = -1;
	snprintf(x->id, sizeof(x->id), "%s", c->id);
	x->dirs = xcalloc(1, sizeof(char *));
	pthread_mutex_lock(&eng->containers->mu);
	const json_t *data = json_object_get(json_object_get(c->rec, "GraphDriver"), "Data");
	const char *upper = json_string_value(json_object_get(data, "UpperDir"));
	const char *lowers = json_string_value(json_object_get(data, "LowerDir"));
	bool dead = json_is_true(json_object_get(json_object_get(c->rec, "State"), "Dead"));
	bool removing = c->removing || c->gone;
	if (upper && fs_is_dir(upper))
		strv_push(&x->dirs, upper);
	/* a remapped container's upper holds host ids: the layers are seen through the
	 * idmapped view to match, and the tar translates all back */
	x->ids = engine_userns_ids(eng, json_object_get(c->rec, "HostConfig"), false);
	_cleanup_free_ char *mapped = x->ids ? engine_userns_lowers(eng, lowers) : NULL;
	if (mapped)
		lowers = mapped;
	_cleanup_strv_ char **l = lowers && *lowers ? strv_split(lowers, ":") : NULL;
	for (char **p = l; p && *p; p++)
		strv_push(&x->dirs, *p);
	pthread_mutex_unlock(&eng->containers->mu);
	container_put(eng, c);
	if (dead || removing) {
		err_conflict(e, "You cannot export container %s which is %s", x->id,
			     dead ? "Dead" : "being removed");
		engine_container_export_free(x);
		return NULL;
	}
	for (char **d = x->dirs; *d; d++) {
		if (!fs_is_dir(*d)) { /* said now: once the tar streams, only a cut is left */
			err_set(e, ERR_INTERNAL, 0,
				"export of container %.12s: layer %s is missing", x->id, *d);
			engine_container_export_free(x);
			return NULL;
		}
	}
	return x;
}

void engine_container_export_free(struct engine_export *x)
{
	if (!x)
		return;
	strv_free(x->dirs);
	free(x);
}

static int fd_sink(void *arg, const void *data, size_t len, struct err *e)
{
	struct engine_export *x = arg;
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(x->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, "export: write");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* lowerdir=/proc/self/fd/N:...: short whatever the paths, so many layers still fit. */
static char *lower_opts(struct engine_export *x, int *fds, size_t n, const char *empty,
			struct err *e)
{
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		fds[i] = open(x->dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0) {
			err_sys(e, "export: open %s", x->dirs[i]);
			return NULL;
		}
		strv_push_take(&v, str_printf("/proc/self/fd/%d", fds[i]));
	}
	/* an overlay without upper needs two lower layers: empty ones make up the count */
	for (size_t i = n; i < 2; i++)
		strv_push_take(&v, str_printf("%s%zu", empty, i));
	_cleanup_free_ char *lower = strv_join(v, ":");
	char *opts = str_printf("lowerdir=%s", lower);
	if (strlen(opts) > MOUNT_OPTS_MAX) {
		free(opts);
		err_set(e, ERR_INTERNAL, 0, "export: too many image layers");
		return NULL;
	}
	return opts;
}

/* On the export thread: own mount namespace, a scratch tmpfs over the run directory (the
 * mount point and an empty layer), the overlay, the walk. */
static int export_in_ns(struct engine_export *x, struct err *e)
{
	const char *scratch = engine_run_dir(x->eng);
	if (unshare(CLONE_NEWNS) < 0)
		return err_sys(e, "export: unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(e, "export: make mounts private");
	if (mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700") < 0)
		return err_sys(e, "export: mount scratch tmpfs");
	_cleanup_free_ char *merged = str_printf("%s/m", scratch);
	_cleanup_free_ char *empty = str_printf("%s/e", scratch);
	_cleanup_free_ char *e0 = str_printf("%s0", empty);
	_cleanup_free_ char *e1 = str_printf("%s1", empty);
	if (mkdir(merged, 0755) < 0 || mkdir(e0, 0755) < 0 || mkdir(e1, 0755) < 0)
		return err_sys(e, "export: scratch directories");
	size_t n = strv_len(x->dirs);
	int *fds = xcalloc(n + 1, sizeof(int));
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	_cleanup_free_ char *opts = lower_opts(x, fds, n, empty, e);
	int r = opts && mount("overlay", merged, "overlay", MS_RDONLY, opts) == 0 ? 0 : -1;
	if (opts && r < 0)
		err_sys(e, "export: mount overlay of container %.12s", x->id);
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	if (r < 0)
		return -1;
	return image_layer_tar_write_ids(merged, NULL, x->ids, fd_sink, x, e);
}

static void *export_thread(void *arg)
{
	struct engine_export *x = arg;
	x->rc = export_in_ns(x, &x->err);
	return NULL; /* the namespace, and every mount in it, ends with this thread */
}

int engine_container_export_write(struct engine_export *x, int fd, struct err *e)
{
	x->fd = fd;
	x->rc = -1;
	pthread_t t;
	int r = pthread_create(&t, NULL, export_thread, x);
	if (r != 0)
		return err_errno(e, r, "start export thread");
	pthread_join(t, NULL);
	if (x->rc < 0) {
		*e = x->err;
		return -1;
	}
	engine_container_event(x->eng, x->id, "export");
	return 0;
}
