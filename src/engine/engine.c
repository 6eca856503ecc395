/* engine: the daemon object's lifecycle: directories, root lock, daemon ID, stores. */
#include "engine/engine_priv.h"
#include "engine/container_priv.h"
#include "engine/netctl.h"
#include "engine/swarm.h"
#include "engine/userns.h"
#include "engine/volume.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

/* A UUID-looking ID kept in root/engine-id, like dockerd's /info ID. */
static int load_engine_id(struct engine *eng, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/engine-id", eng->root);
	_cleanup_free_ char *s = fs_exists(path) ? fs_read_file(path, NULL, NULL) : NULL;
	if (s && strlen(s) == 36) {
		memcpy(eng->id, s, 37);
		return 0;
	}
	char hex[ID_HEX_LEN + 1];
	if (id_generate(hex, e) < 0)
		return -1;
	snprintf(eng->id, sizeof(eng->id), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return store_write_file(path, eng->id, strlen(eng->id), 0600, e);
}

static int engine_dirs(struct engine *eng, const struct engine_config *cfg, struct err *e)
{
	if (store_mkdir(cfg->root, 0711, e) < 0 || store_mkdir(cfg->run_dir, 0700, e) < 0)
		return -1;
	char buf[PATH_MAX];
	if (!realpath(cfg->root, buf))
		return err_sys(e, "resolve root directory %s", cfg->root);
	eng->root = str_dup(buf);
	if (!realpath(cfg->run_dir, buf))
		return err_sys(e, "resolve run directory %s", cfg->run_dir);
	eng->run_dir = str_dup(buf);
	return 0;
}

struct engine *engine_new(const struct engine_config *cfg, char ***warnings, struct err *e)
{
	struct engine *eng = xcalloc(1, sizeof(*eng));
	eng->lock_fd = -1;
	eng->userns_fd = -1;
	eng->userns = cfg->userns;
	eng->debug = cfg->debug;
	eng->bridge = str_dup(cfg->bridge ? cfg->bridge : "berth0");
	eng->bip = cfg->bip ? str_dup(cfg->bip) : NULL;
	eng->insecure_registries = strv_copy(cfg->insecure_registries);
	eng->registry_mirrors = strv_copy(cfg->registry_mirrors);
	events_init(eng);
	_cleanup_strv_ char **warn = xcalloc(1, sizeof(char *));
	if (engine_dirs(eng, cfg, e) < 0 || (eng->lock_fd = store_lock_root(eng->root, e)) < 0 ||
	    load_engine_id(eng, e) < 0) {
		engine_free(eng);
		return NULL;
	}
	_cleanup_free_ char *imgdir = str_printf("%s/image", eng->root);
	eng->images = image_store_open(imgdir, &warn, e);
	if (!eng->images) {
		engine_free(eng);
		return NULL;
	}
	if (engine_userns_setup(eng, e) < 0) {
		engine_free(eng);
		return NULL;
	}
	_cleanup_free_ char *voldir = str_printf("%s/volumes", eng->root);
	eng->volumes = volume_store_open(voldir, &warn, e);
	if (!eng->volumes || netctl_open(eng, e) < 0 || swarm_open(eng, e) < 0 ||
	    !container_store_open(eng, &warn, e)) {
		engine_free(eng);
		return NULL;
	}
	netctl_sync(eng); /* the table and bridges for the containers recovered live */
	volume_store_recover(eng);
	if (warnings)
		*warnings = TAKE_PTR(warn);
	return eng;
}

void engine_shutdown(struct engine *eng)
{
	pthread_mutex_lock(&eng->ev_mu);
	eng->closing = true;
	pthread_cond_broadcast(&eng->ev_cond);
	pthread_mutex_unlock(&eng->ev_mu);
	container_store_shutdown(eng->containers);
}

void engine_free(struct engine *eng)
{
	if (!eng)
		return;
	container_store_free(eng->containers);
	swarm_close(eng);
	netctl_close(eng);
	engine_userns_teardown(eng);
	image_store_free(eng->images);
	volume_store_free(eng->volumes);
	events_release(eng);
	if (eng->lock_fd >= 0)
		close(eng->lock_fd);
	free(eng->root);
	free(eng->run_dir);
	free(eng->bridge);
	free(eng->bip);
	strv_free(eng->insecure_registries);
	strv_free(eng->registry_mirrors);
	free(eng);
}

const char *engine_root(const struct engine *eng)
{
	return eng->root;
}

const char *engine_run_dir(const struct engine *eng)
{
	return eng->run_dir;
}

bool engine_debug(const struct engine *eng)
{
	return eng->debug;
}

const char *engine_id(const struct engine *eng)
{
	return eng->id;
}
