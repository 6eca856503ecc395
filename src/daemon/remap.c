/* daemon/remap: --userns-remap at start: the mappings resolved, and the daemon root moved to
 * <root>/<uid>.<gid> as dockerd does, so remapped and unremapped state never mix. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "engine/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"

/* Whether uid/gid may traverse path (o+x, or its owner/group with x): the runtime reaches
 * a container's root through these directories as the remapped root. */
static bool can_traverse(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	return (st.st_mode & S_IXOTH) || (st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
	       (st.st_gid == gid && (st.st_mode & S_IXGRP));
}

static int make_root(const char *root, const struct engine_userns *u, char **out, struct err *e)
{
	uid_t uid = userns_root_uid(u);
	gid_t gid = userns_root_gid(u);
	if (!fs_is_dir(root) && fs_mkdir_p(root, 0711, e) < 0)
		return -1;
	if (chmod(root, 0711) < 0)
		return err_sys(e, "chmod %s", root);
	_cleanup_free_ char *sub = str_printf("%s/%u.%u", root, (unsigned)uid, (unsigned)gid);
	if (!fs_is_dir(sub) && mkdir(sub, 0710) < 0 && errno != EEXIST)
		return err_sys(e, "Cannot create daemon root: %s", sub);
	if (chown(sub, 0, gid) < 0 || chmod(sub, 0710) < 0)
		return err_sys(e, "Cannot create daemon root: %s", sub);
	_cleanup_free_ char *dir = str_dup(sub);
	for (char *slash; (slash = strrchr(dir, '/')) && slash != dir;) {
		*slash = '\0';
		if (!can_traverse(dir, uid, gid))
			return err_invalid(e,
					   "a subdirectory in your graphroot path (%s) restricts "
					   "access to the remapped root uid/gid; please fix by "
					   "allowing 'o+x' permissions on existing directories",
					   sub);
	}
	*out = TAKE_PTR(sub);
	return 0;
}

/* A remapped daemon killed before its stop leaves its idmapped layer view mounted at
 * <root>/<uid>.<gid>/userns-layers; a start without remapping would never see it. */
static void drop_stale_views(const char *root)
{
	char real[PATH_MAX];
	if (!realpath(root, real))
		return;
	_cleanup_free_ char *mi = fs_read_file("/proc/self/mountinfo", NULL, NULL);
	_cleanup_strv_ char **lines = strv_split(mi ? mi : "", "\n");
	size_t rlen = strlen(real);
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		if (strv_len(f) < 5)
			continue;
		_cleanup_free_ char *mp = str_unescape_octal(f[4]);
		const char *rest =
		    mp && !strncmp(mp, real, rlen) && mp[rlen] == '/' ? mp + rlen + 1 : "";
		unsigned a, b;
		char tail[32];
		if (sscanf(rest, "%u.%u/%31s", &a, &b, tail) == 3 &&
		    !strcmp(tail, "userns-layers") &&
		    umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			log_info("removed the stale --userns-remap layer view %s", mp);
	}
}

int daemon_remap_setup(const struct daemon_opts *o, struct engine_userns *u, char **root,
		       struct err *e)
{
	*root = NULL;
	if (!o->userns_remap || !*o->userns_remap) {
		drop_stale_views(o->root);
		return 0;
	}
	_cleanup_free_ char *warning = NULL;
	int r = userns_resolve(o->userns_remap, u, &warning, e);
	if (r <= 0) {
		if (warning)
			log_warn("%s", warning);
		return r;
	}
	log_info("User namespaces: ID ranges will be mapped to subuid/subgid ranges of: %s",
		 u->user);
	if (make_root(o->root, u, root, e) < 0) {
		userns_release(u);
		return -1;
	}
	return 1;
}
