/* engine/ocispec_mounts: the user's mounts in the OCI config, as dockerd's oci_linux.go adds
 * them: binds and volumes (rbind, ro, propagation), --mount tmpfs and --tmpfs (noexec, nosuid,
 * nodev + options); a default mount at the same destination gives way; parents before
 * children (sorted by the depth of the destination). */
#include <stdlib.h>
#include <string.h>

#include "engine/ocispec.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

static json_t *oci_mount(const char *dest, const char *type, const char *src, const char *opts)
{
	_cleanup_strv_ char **o = strv_split(opts, ",");
	json_t *a = json_array();
	for (char **p = o; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
			 "options", a);
}

/* The --mount tmpfs options (size in bytes, octal mode), as moby's ConvertTmpfsOptions. */
static char *tmpfs_opts(const json_t *hc, const char *dest, bool ro)
{
	size_t i;
	json_t *m, *to = NULL;
	json_array_foreach (json_object_get(hc, "Mounts"), i, m) {
		const char *t = json_string_value(json_object_get(m, "Target"));
		_cleanup_free_ char *ct = t ? path_clean(t) : NULL;
		if (ct && !strcmp(ct, dest))
			to = json_object_get(m, "TmpfsOptions");
	}
	json_int_t size = json_integer_value(json_object_get(to, "SizeBytes"));
	json_int_t mode = json_integer_value(json_object_get(to, "Mode"));
	char sz[40] = "", md[40] = "";
	if (size > 0)
		snprintf(sz, sizeof(sz), ",size=%lld", (long long)size);
	if (mode > 0)
		snprintf(md, sizeof(md), ",mode=%llo", (unsigned long long)mode);
	return str_printf("nosuid,nodev,noexec%s%s%s", ro ? ",ro" : "", sz, md);
}

static size_t depth(const json_t *m)
{
	const char *d = json_string_value(json_object_get(m, "destination"));
	size_t n = 0;
	for (; d && *d; d++)
		n += *d == '/';
	return n;
}

static int by_depth(const void *a, const void *b)
{
	size_t da = depth(*(json_t *const *)a), db = depth(*(json_t *const *)b);
	return da < db ? -1 : da > db;
}

static json_t *user_mounts(const json_t *rec)
{
	const json_t *hc = json_object_get(rec, "HostConfig");
	json_t *out = json_array(), *m;
	size_t i;
	json_array_foreach (json_object_get(rec, "Mounts"), i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *dest = json_string_value(json_object_get(m, "Destination"));
		bool ro = !json_is_true(json_object_get(m, "RW"));
		if (str_eq(type, "tmpfs")) {
			_cleanup_free_ char *o = tmpfs_opts(hc, dest, ro);
			json_array_append_new(out, oci_mount(dest, "tmpfs", "tmpfs", o));
			continue;
		}
		const char *prop = json_string_value(json_object_get(m, "Propagation"));
		_cleanup_free_ char *o =
		    str_printf("rbind,%s%s", prop && *prop ? prop : "rprivate", ro ? ",ro" : "");
		json_array_append_new(
		    out,
		    oci_mount(dest, "bind", json_string_value(json_object_get(m, "Source")), o));
	}
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(hc, "Tmpfs"), k, v) {
		const char *o = json_string_value(v);
		_cleanup_free_ char *opts =
		    str_printf("noexec,nosuid,nodev%s%s", o && *o ? "," : "", o ? o : "");
		_cleanup_free_ char *dest = path_clean(k);
		json_array_append_new(out, oci_mount(dest, "tmpfs", "tmpfs", opts));
	}
	return out;
}

int ocispec_user_mounts(const json_t *rec, json_t *mounts, struct err *e)
{
	_cleanup_json_ json_t *user = user_mounts(rec);
	size_t n = json_array_size(user), i;
	json_t *m;
	/* a default mount at a user's destination (/dev/shm, /etc/hosts...) gives way */
	for (i = json_array_size(mounts); i-- > 0;) {
		const char *d =
		    json_string_value(json_object_get(json_array_get(mounts, i), "destination"));
		size_t j;
		json_array_foreach (user, j, m)
			if (str_eq(json_string_value(json_object_get(m, "destination")), d)) {
				json_array_remove(mounts, i);
				break;
			}
	}
	json_t **v = xcalloc(n ? n : 1, sizeof(*v));
	json_array_foreach (user, i, m)
		v[i] = m;
	qsort(v, n, sizeof(*v), by_depth); /* stable enough: equal depths can't nest */
	for (i = 0; i < n; i++)
		json_array_append(mounts, v[i]);
	free(v);
	(void)e;
	return 0;
}
