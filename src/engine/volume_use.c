/* engine/volume_use: who uses a volume (the containers whose record mounts it), the mount of
 * volumes made with type/device/o options (at the first running user, off after the last),
 * and the size of a volume's data for `system df`. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "engine/container_priv.h"
#include "engine/volume.h"
#include "engine/volume_priv.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

bool volume_mounted(const char *path)
{
	struct statx sx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
		return false;
	if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
		return sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	_cleanup_free_ char *parent = str_printf("%s/..", path);
	struct stat a, b;
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static bool rec_mounts_volume(const json_t *rec, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(rec, "Mounts"), i, m)
		if (str_eq(json_string_value(json_object_get(m, "Type")), "volume") &&
		    str_eq(json_string_value(json_object_get(m, "Name")), name))
			return true;
	return false;
}

/* Users among the containers; running_only counts only running ones (except skip). */
static char **users_of(struct engine *eng, const char *name, bool running_only, const char *skip)
{
	struct container_store *s = eng->containers;
	char **out = NULL;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		struct container *c = s->v[i];
		if ((skip && !strcmp(c->id, skip)) || (running_only && !container_running(c)))
			continue;
		if (rec_mounts_volume(c->rec, name))
			strv_push(&out, c->id);
	}
	pthread_mutex_unlock(&s->mu);
	return out;
}

char **volume_users(struct engine *eng, const char *name)
{
	return users_of(eng, name, false, NULL);
}

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"bind", MS_BIND, 0},
    {"rbind", MS_BIND | MS_REC, 0},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"noatime", MS_NOATIME, 0},
    {"atime", 0, MS_NOATIME},
    {"relatime", MS_RELATIME, 0},
    {"strictatime", MS_STRICTATIME, 0},
    {"nodiratime", MS_NODIRATIME, 0},
};

/* "o" as mount(8) reads it: flag words become flags, the rest the data string. */
static char *parse_o(const char *o, unsigned long *flags)
{
	_cleanup_strv_ char **words = strv_split(o ? o : "", ",");
	char **data = NULL;
	for (char **w = words; w && *w; w++) {
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(mount_flags) && !known; i++) {
			if (!strcmp(*w, mount_flags[i].name)) {
				*flags = (*flags | mount_flags[i].set) & ~mount_flags[i].clear;
				known = true;
			}
		}
		if (!known)
			strv_push(&data, *w);
	}
	char *s = data ? strv_join(data, ",") : str_dup("");
	strv_free(data);
	return s;
}

/* The local driver's mount of device on _data (moby volume/local mountVolume). */
static int mount_opts(const char *name, const char *path, const json_t *opts, struct err *e)
{
	const char *type = json_string_value(json_object_get(opts, "type"));
	const char *dev = json_string_value(json_object_get(opts, "device"));
	const char *size = json_string_value(json_object_get(opts, "size"));
	unsigned long flags = 0;
	_cleanup_free_ char *data = parse_o(json_string_value(json_object_get(opts, "o")), &flags);
	if (size && *size) {
		char *t = str_printf("%s%ssize=%s", data, *data ? "," : "", size);
		free(data);
		data = t;
	}
	if (mount(dev, path, type, flags, *data ? data : NULL) < 0)
		return err_sys(e, "error while mounting volume '%s': mount %s (type %s)", name, dev,
			       type);
	/* a bind ignores MS_RDONLY until remounted */
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
		int err = errno;
		umount2(path, MNT_DETACH);
		return err_errno(e, err, "error while mounting volume '%s': remount read-only",
				 name);
	}
	return 0;
}

int volume_use(struct engine *eng, const char *name, struct err *e)
{
	struct volume_store *vs = eng->volumes;
	pthread_mutex_lock(&vs->mu);
	json_t *rec = json_object_get(vs->recs, name);
	json_t *opts = json_object_get(rec, "Options");
	int r = 0;
	if (!rec) {
		r = err_notfound(e, "get %s: no such volume", name);
	} else if (json_object_get(opts, "type")) {
		_cleanup_free_ char *path = volume_path(eng, name);
		json_int_t n = json_integer_value(json_object_get(vs->uses, name));
		if (!volume_mounted(path))
			r = mount_opts(name, path, opts, e);
		if (r == 0)
			json_object_set_new(vs->uses, name, json_integer(n + 1));
	}
	pthread_mutex_unlock(&vs->mu);
	return r;
}

void volume_unuse(struct engine *eng, const char *name, const char *id)
{
	struct volume_store *vs = eng->volumes;
	/* after a daemon restart the count starts at 0: running users are asked instead */
	_cleanup_strv_ char **running = users_of(eng, name, true, id);
	pthread_mutex_lock(&vs->mu);
	json_t *rec = json_object_get(vs->recs, name);
	json_int_t n = json_integer_value(json_object_get(vs->uses, name));
	if (rec && json_object_get(json_object_get(rec, "Options"), "type")) {
		n = n > 0 ? n - 1 : 0;
		json_object_set_new(vs->uses, name, json_integer(n));
		_cleanup_free_ char *path = volume_path(eng, name);
		if (n == 0 && !running && volume_mounted(path) &&
		    umount2(path, UMOUNT_NOFOLLOW) < 0 && umount2(path, MNT_DETACH) < 0)
			log_warn("volume %s: unmount %s: %s", name, path, strerror(errno));
	}
	pthread_mutex_unlock(&vs->mu);
}

static __thread long long du_total;

static int du_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p, (void)flag, (void)f;
	if (S_ISREG(st->st_mode))
		du_total += st->st_size;
	return 0;
}

long long volume_size(struct engine *eng, const char *name)
{
	_cleanup_free_ char *path = volume_path(eng, name);
	du_total = 0;
	if (nftw(path, du_one, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return -1;
	return du_total;
}

void volume_store_recover(struct engine *eng)
{
	_cleanup_strv_ char **names = volume_names(eng);
	for (char **p = names; *p; p++) {
		_cleanup_free_ char *path = volume_path(eng, *p);
		_cleanup_strv_ char **running = users_of(eng, *p, true, NULL);
		/* left mounted by a daemon that stopped while its users did */
		if (!running && volume_mounted(path) && umount2(path, UMOUNT_NOFOLLOW) < 0 &&
		    umount2(path, MNT_DETACH) < 0)
			log_warn("volume %s: unmount %s: %s", *p, path, strerror(errno));
	}
}
