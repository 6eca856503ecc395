/* engine/container_changes: GET /containers/{id}/changes from the overlay upper directory
 * (as dockerd's overlay2 driver): a whiteout is a deletion, an entry also present in a lower
 * layer a modification, anything else an addition. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "engine/container_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

struct changes_walk {
	size_t upper_len;
	char **lowers;
	json_t *out;
};

static __thread struct changes_walk *walk;

static bool in_lower(char **lowers, const char *rel)
{
	for (char **l = lowers; l && *l; l++) {
		_cleanup_free_ char *p = str_printf("%s%s", *l, rel);
		struct stat st;
		if (lstat(p, &st) == 0)
			return !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	}
	return false;
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;
	const char *rel = path + walk->upper_len;
	int kind;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		kind = 2;
	else
		kind = in_lower(walk->lowers, rel) ? 0 : 1;
	/* mount points the runtime made (dockerd keeps them in its init layer, unreported) */
	static const char *const init[] = {"/proc",	 "/sys",	  "/dev",
					   "/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
					   "/dev/shm",	 "/dev/pts",	  "/dev/mqueue",
					   NULL};
	for (const char *const *i = init; kind == 1 && *i; i++)
		if (!strcmp(rel, *i) || (!strcmp(*i, "/dev") && str_has_prefix(rel, "/dev/")))
			return 0;
	json_array_append_new(walk->out, json_pack("{s:s, s:i}", "Path", rel, "Kind", kind));
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Path")),
		      json_string_value(json_object_get(*(json_t *const *)b, "Path")));
}

json_t *engine_container_changes(struct engine *eng, const char *name, struct err *e)
{
	json_t *rec = engine_container_inspect(eng, name, e);
	if (!rec)
		return NULL;
	const json_t *data = json_object_get(json_object_get(rec, "GraphDriver"), "Data");
	const char *upper = json_string_value(json_object_get(data, "UpperDir"));
	const char *lowers = json_string_value(json_object_get(data, "LowerDir"));
	struct changes_walk w = {upper ? strlen(upper) : 0, lowers ? strv_split(lowers, ":") : NULL,
				 json_array()};
	walk = &w;
	if (upper)
		nftw(upper, visit, 16, FTW_PHYS | FTW_MOUNT);
	walk = NULL;
	strv_free(w.lowers);
	json_decref(rec);
	size_t n = json_array_size(w.out);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(w.out, i));
	qsort(v, n, sizeof(*v), cmp_path);
	json_t *sorted = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(sorted, v[i]);
	free(v);
	json_decref(w.out);
	return sorted;
}
