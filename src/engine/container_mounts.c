/* engine/container_mounts: the record's Mounts from a create request (pure: no engine, for
 * fuzzing and unit tests), as moby's registerMountPoints orders them: VolumesFrom, then -v Binds
 * and --mount Mounts (a destination given twice is refused), then Config.Volumes (image VOLUMEs
 * included) as anonymous volumes where nothing else is mounted. Every spec is checked before
 * anything is created. */
#include <stdlib.h>
#include <string.h>

#include "engine/container_mounts.h"
#include "engine/volume.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

static const char *const propagations[] = {"shared",  "rshared",  "slave", "rslave",
					   "private", "rprivate", NULL};

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return true;
	return false;
}

/* moby volume/mounts linux_parser: rw|ro, z|Z, a propagation and nocopy, each at most once.
 * *rw, *prop and *nocopy get what the mode says. */
static bool mode_valid(const char *mode, bool *rw, const char **prop, bool *nocopy)
{
	static const char *const labels[] = {"z", "Z", NULL};
	_cleanup_strv_ char **parts = strv_split(mode, ",");
	int nrw = 0, nlabel = 0, nprop = 0, ncopy = 0;
	for (char **p = parts; p && *p; p++) {
		if (!strcmp(*p, "rw") || !strcmp(*p, "ro")) {
			nrw++;
			*rw = !strcmp(*p, "rw");
		} else if (in_list(labels, *p)) {
			nlabel++;
		} else if (in_list(propagations, *p)) {
			nprop++;
			for (const char *const *q = propagations; *q; q++)
				if (!strcmp(*q, *p))
					*prop = *q;
		} else if (!strcmp(*p, "nocopy")) {
			ncopy++;
			*nocopy = true;
		} else {
			return false;
		}
	}
	return parts && nrw <= 1 && nlabel <= 1 && nprop <= 1 && ncopy <= 1;
}

static int check_dest(const char *type, const char *dst, struct err *e)
{
	if (!dst || !*dst)
		return err_invalid(
		    e, "invalid mount config for type \"%s\": field Target must not be empty",
		    type);
	if (dst[0] != '/')
		return err_invalid(e,
				   "invalid mount config for type \"%s\": invalid mount path: '%s' "
				   "mount path must be absolute",
				   type, dst);
	_cleanup_free_ char *clean = path_clean(dst);
	if (!strcmp(clean, "/"))
		return err_invalid(e,
				   "invalid mount config for type \"%s\": invalid specification: "
				   "destination can't be '/'",
				   type);
	return 0;
}

static json_t *bind_entry(const char *src, const char *dst, const char *mode, bool rw,
			  const char *prop)
{
	_cleanup_free_ char *s = path_clean(src), *d = path_clean(dst);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Source", s,
			 "Destination", d, "Mode", mode, "RW", rw, "Propagation", prop);
}

/* A volume mount; name NULL: a new anonymous volume (64 hex digits, as dockerd names it). */
static json_t *volume_entry(const struct mounts_src *ms, const char *name, const char *dst,
			    const char *mode, bool rw, struct err *e)
{
	char gen[ID_HEX_LEN + 1];
	bool anon = !name || !*name;
	if (anon && id_generate(gen, e) < 0)
		return NULL;
	if (!anon && volume_check(name, NULL, NULL, e) < 0)
		return NULL;
	_cleanup_free_ char *path = str_printf("%s/%s/_data", ms->voldir, anon ? gen : name);
	_cleanup_free_ char *d = path_clean(dst);
	json_t *m =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "volume", "Name",
		      anon ? gen : name, "Source", path, "Destination", d, "Driver", "local",
		      "Mode", mode ? mode : (anon ? "" : "z"), "RW", rw, "Propagation", "");
	if (anon)
		json_object_set_new(m, CONTAINER_MOUNT_ANON_KEY, json_true());
	return m;
}

/* -v: [src:]dst[:mode] (moby linux_parser ParseMountRaw). */
static json_t *parse_bind(const struct mounts_src *ms, const char *raw, struct err *e)
{
	_cleanup_strv_ char **arr = NULL;
	for (const char *p = raw, *c;; p = c + 1) { /* keeps empty fields, unlike strv_split */
		c = strchr(p, ':');
		strv_push_take(&arr, c ? str_ndup(p, (size_t)(c - p)) : str_dup(p));
		if (!c)
			break;
	}
	size_t n = strv_len(arr);
	bool rw = true, nocopy = false;
	const char *prop = NULL, *src = "", *dst, *mode = NULL;
	if (n == 0 || n > 3 || !*arr[0] || (n == 2 && mode_valid(arr[1], &rw, &prop, &nocopy))) {
		err_invalid(e, "invalid volume specification: '%s'", raw);
		return NULL;
	}
	dst = n == 1 ? arr[0] : arr[1];
	if (n >= 2)
		src = arr[0];
	if (n == 3) {
		mode = arr[2];
		if (!mode_valid(mode, &rw, &prop, &nocopy)) {
			err_invalid(e, "invalid mode: %s", mode);
			return NULL;
		}
	}
	bool bind = src[0] == '/';
	if (check_dest(bind ? "bind" : "volume", dst, e) < 0) {
		err_wrap(e, "invalid volume specification: '%s'", raw);
		return NULL;
	}
	if ((bind && nocopy) || (!bind && prop)) {
		err_invalid(e,
			    "invalid volume specification: '%s': invalid mount config for type "
			    "\"%s\": field %s must not be specified",
			    raw, bind ? "bind" : "volume", bind ? "VolumeOptions" : "BindOptions");
		return NULL;
	}
	if (bind)
		return bind_entry(src, dst, mode ? mode : "", rw, prop ? prop : "rprivate");
	return volume_entry(ms, src, dst, mode, rw, e);
}

static int no_field(const json_t *m, const char *type, const char *field, struct err *e)
{
	json_t *v = json_object_get(m, field);
	if (v && !json_is_null(v) && !(json_is_object(v) && !json_object_size(v)))
		return err_invalid(
		    e, "invalid mount config for type \"%s\": field %s must not be specified", type,
		    field);
	return 0;
}

/* --mount (HostConfig.Mounts[i]), moby ValidateMountConfig. */
static json_t *parse_mount(const struct mounts_src *ms, const json_t *m, struct err *e)
{
	const char *type = json_string_value(json_object_get(m, "Type"));
	const char *src = json_string_value(json_object_get(m, "Source"));
	const char *dst = json_string_value(json_object_get(m, "Target"));
	bool rw = !json_is_true(json_object_get(m, "ReadOnly"));
	type = type ? type : "";
	if (!json_is_object(m) ||
	    (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs"))) {
		err_invalid(e, "invalid mount config for type \"%s\": mount type unknown", type);
		return NULL;
	}
	if (check_dest(type, dst, e) < 0)
		return NULL;
	if (!strcmp(type, "bind")) {
		const char *prop = json_string_value(
		    json_object_get(json_object_get(m, "BindOptions"), "Propagation"));
		if (no_field(m, type, "VolumeOptions", e) < 0 ||
		    no_field(m, type, "TmpfsOptions", e) < 0)
			return NULL;
		if (!src || !*src) {
			err_invalid(e, "invalid mount config for type \"bind\": field Source must "
				       "not be empty");
			return NULL;
		}
		if (src[0] != '/' || !fs_exists(src)) {
			err_invalid(e,
				    "invalid mount config for type \"bind\": bind source path does "
				    "not exist: %s",
				    src);
			return NULL;
		}
		if (prop && *prop && !in_list(propagations, prop)) {
			err_invalid(
			    e,
			    "invalid mount config for type \"bind\": invalid propagation mode: %s",
			    prop);
			return NULL;
		}
		return bind_entry(src, dst, "", rw, prop && *prop ? prop : "rprivate");
	}
	if (!strcmp(type, "volume")) {
		if (no_field(m, type, "BindOptions", e) < 0 ||
		    no_field(m, type, "TmpfsOptions", e) < 0)
			return NULL;
		return volume_entry(ms, src, dst, "z", rw, e);
	}
	if (no_field(m, type, "BindOptions", e) < 0 || no_field(m, type, "VolumeOptions", e) < 0)
		return NULL;
	if (src && *src) {
		err_invalid(
		    e,
		    "invalid mount config for type \"tmpfs\": field Source must not be specified");
		return NULL;
	}
	_cleanup_free_ char *d = path_clean(dst);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "tmpfs", "Source", "",
			 "Destination", d, "Mode", "", "RW", rw, "Propagation", "");
}

static json_t *find_dest(const json_t *mounts, const char *dst, size_t *idx)
{
	size_t i;
	json_t *m;
	_cleanup_free_ char *d = path_clean(dst);
	json_array_foreach (mounts, i, m) {
		if (str_eq(json_string_value(json_object_get(m, "Destination")), d)) {
			if (idx)
				*idx = i;
			return m;
		}
	}
	return NULL;
}

/* --volumes-from c[:ro|rw]: c's volumes and binds (not its tmpfs). */
static int add_volumes_from(const struct mounts_src *ms, json_t *out, const char *spec,
			    struct err *e)
{
	_cleanup_free_ char *id = str_dup(spec);
	char *colon = strrchr(id, ':');
	bool rw = true;
	if (colon) {
		*colon = '\0';
		if (strcmp(colon + 1, "rw") && strcmp(colon + 1, "ro"))
			return err_invalid(e, "invalid mode: %s", colon + 1);
		rw = !strcmp(colon + 1, "rw");
	}
	_cleanup_json_ json_t *mounts = ms->from ? ms->from(ms->arg, id, e) : NULL;
	if (!mounts) {
		if (!ms->from)
			err_invalid(e, "No such container: %s", id);
		return -1;
	}
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		if (!str_eq(type, "bind") && !str_eq(type, "volume"))
			continue;
		json_object_set_new(m, "RW",
				    json_boolean(rw && json_is_true(json_object_get(m, "RW"))));
		size_t at;
		if (find_dest(out, json_string_value(json_object_get(m, "Destination")), &at))
			json_array_set(out, at, m);
		else
			json_array_append(out, m);
	}
	return 0;
}

/* Binds and Mounts: each replaces a volumes-from entry at its destination; twice is an error. */
static int add_own(json_t *out, json_t *from, json_t *m, struct err *e)
{
	const char *dst = json_string_value(json_object_get(m, "Destination"));
	size_t at, fat;
	if (find_dest(out, dst, &at)) {
		if (!find_dest(from, dst, &fat)) {
			err_invalid(e, "Duplicate mount point: %s", dst);
			json_decref(m);
			return -1;
		}
		json_array_set_new(out, at, m);
		json_array_remove(from, fat); /* a second one at dst is a duplicate */
		return 0;
	}
	json_array_append_new(out, m);
	return 0;
}

json_t *container_mounts_parse(const struct mounts_src *ms, const json_t *cfg, const json_t *hc,
			       struct err *e)
{
	_cleanup_json_ json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(hc, "VolumesFrom"), i, v)
		if (add_volumes_from(ms, out, json_string_value(v), e) < 0)
			return NULL;
	_cleanup_json_ json_t *from = json_deep_copy(out);
	json_array_foreach (json_object_get(hc, "Binds"), i, v) {
		json_t *m = parse_bind(ms, json_string_value(v), e);
		if (!m || add_own(out, from, m, e) < 0)
			return NULL;
	}
	json_array_foreach (json_object_get(hc, "Mounts"), i, v) {
		json_t *m = parse_mount(ms, v, e);
		if (!m || add_own(out, from, m, e) < 0)
			return NULL;
	}
	const char *k;
	json_object_foreach (json_object_get(hc, "Tmpfs"), k, v) {
		if (check_dest("tmpfs", k, e) < 0)
			return NULL;
		if (find_dest(out, k, NULL)) {
			err_invalid(e, "Duplicate mount point: %s", k);
			return NULL;
		}
	}
	json_object_foreach (json_object_get(cfg, "Volumes"), k, v) {
		if (find_dest(out, k, NULL) || json_object_get(json_object_get(hc, "Tmpfs"), k))
			continue;
		if (check_dest("volume", k, e) < 0)
			return NULL;
		json_t *m = volume_entry(ms, NULL, k, NULL, true, e);
		if (!m)
			return NULL;
		json_array_append_new(out, m);
	}
	return TAKE_PTR(out);
}

/* The --mount entry at dest (its VolumeOptions: labels, driver, nocopy). */
const json_t *container_mount_at(const json_t *hc, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(hc, "Mounts"), i, m) {
		const char *t = json_string_value(json_object_get(m, "Target"));
		_cleanup_free_ char *ct = t ? path_clean(t) : NULL;
		if (ct && str_eq(ct, dest))
			return m;
	}
	return NULL;
}

bool container_mount_nocopy(const json_t *hc, const char *dest)
{
	const json_t *vo = json_object_get(container_mount_at(hc, dest), "VolumeOptions");
	if (json_is_true(json_object_get(vo, "NoCopy")))
		return true;
	size_t i;
	json_t *b;
	json_array_foreach (json_object_get(hc, "Binds"), i, b) {
		_cleanup_strv_ char **p = strv_split(json_string_value(b), ":");
		if (strv_len(p) == 3 && strstr(p[2], "nocopy")) {
			_cleanup_free_ char *d = path_clean(p[1]);
			if (str_eq(d, dest))
				return true;
		}
	}
	return false;
}
