/* engine/container_archive_ns: the docker cp thread's way into a container's files. Running:
 * chroot to /proc/<pid>/root, whose lookups walk the container's own mount tree. Stopped: a
 * mount namespace of the thread's own (private propagation: nothing leaks to the host) where
 * the record's volumes and binds are mounted over the root, read-only ones read-only, the
 * root itself read-only with ReadonlyRootfs; then chroot there. Either way the namespace and
 * the root end with the thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container_archive.h"
#include "runtime/securejoin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

static int enter_running(pid_t pid, struct err *e)
{
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	if (unshare(CLONE_FS) < 0)
		return err_sys(e, "cp: unshare(CLONE_FS)");
	if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return err_sys(e, "cp: enter the root of process %d", (int)pid);
	return 0;
}

static size_t depth_of(const json_t *m)
{
	const char *d = json_string_value(json_object_get(m, "Destination"));
	size_t n = 0;
	for (; d && *d; d++)
		n += *d == '/';
	return n;
}

/* A volume or bind at its destination (made when missing, as dockerd's mountVolumes). */
static int bind_one(const char *merged, const json_t *m, struct err *e)
{
	const char *src = json_string_value(json_object_get(m, "Source"));
	const char *dst = json_string_value(json_object_get(m, "Destination"));
	struct stat st;
	if (!src || !dst || stat(src, &st) < 0)
		return 0; /* a bind source gone: nothing to show there */
	_cleanup_free_ char *real = securejoin_resolve(merged, dst, e);
	if (!real)
		return -1;
	if (!fs_exists(real)) {
		_cleanup_free_ char *parent = str_dup(real);
		*strrchr(parent, '/') = '\0';
		if (S_ISDIR(st.st_mode) ? fs_mkdir_p(real, 0755, e) < 0
					: (fs_mkdir_p(parent, 0755, e) < 0 ||
					   fs_write_atomic(real, "", 0, 0644, e) < 0))
			return -1;
	}
	if (mount(src, real, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(e, "cp: mount %s on %s", src, dst);
	if (!json_is_true(json_object_get(m, "RW")) &&
	    mount(NULL, real, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_sys(e, "cp: make %s read-only", dst);
	return 0;
}

static int enter_stopped(const char *merged, const json_t *rec, struct err *e)
{
	if (unshare(CLONE_NEWNS) < 0)
		return err_sys(e, "cp: unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(e, "cp: make mounts private");
	bool ro =
	    json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "ReadonlyRootfs"));
	if (ro && mount(NULL, merged, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_sys(e, "cp: make the root read-only");
	/* parents first, so that a child mount lands on its parent's */
	json_t *mounts = json_object_get(rec, "Mounts");
	size_t n = json_array_size(mounts), maxd = 0;
	for (size_t i = 0; i < n; i++)
		maxd = depth_of(json_array_get(mounts, i)) > maxd
			   ? depth_of(json_array_get(mounts, i))
			   : maxd;
	for (size_t d = 0; d <= maxd; d++) {
		for (size_t i = 0; i < n; i++) {
			const json_t *m = json_array_get(mounts, i);
			const char *t = json_string_value(json_object_get(m, "Type"));
			if (depth_of(m) == d && (str_eq(t, "bind") || str_eq(t, "volume")) &&
			    bind_one(merged, m, e) < 0)
				return -1;
		}
	}
	if (chdir(merged) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return err_sys(e, "cp: enter the root %s", merged);
	return 0;
}

static void *cp_thread(void *arg)
{
	struct cp_job *j = arg;
	struct err *e = &j->err;
	j->rc = j->pid > 0 ? enter_running(j->pid, e) : enter_stopped(j->merged, j->rec, e);
	if (j->rc < 0)
		return NULL;
	switch (j->op) {
	case CP_STAT:
		j->rc = cp_do_stat(j, e);
		break;
	case CP_GET:
		j->rc = cp_do_get(j, e);
		break;
	case CP_PUT:
		j->rc = cp_do_put(j, e);
		break;
	}
	return NULL;
}

int cp_job_run(struct cp_job *j, struct err *e)
{
	pthread_t t;
	j->rc = -1;
	err_clear(&j->err);
	int r = pthread_create(&t, NULL, cp_thread, j);
	if (r != 0)
		return err_errno(e, r, "cp: start a thread");
	pthread_join(t, NULL);
	if (j->rc < 0) {
		if (e)
			*e = j->err;
		return -1;
	}
	return 0;
}
