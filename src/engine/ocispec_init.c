/* engine/ocispec_init: --init as dockerd does it: a tiny init (docker-init, i.e. tini) is
 * bind-mounted read-only at /sbin/docker-init and runs the command under it ("--"), so the
 * container's pid 1 reaps zombies and forwards signals. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ocispec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

#define INIT_DEST "/sbin/docker-init"

/* A static tini: beside the daemon (an installation's own), then Docker's and Debian's
 * places (package tini: /usr/bin/tini-static). A dynamic one would need the image's libc. */
char *ocispec_init_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *p = str_printf("%s/docker-init", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	static const char *const paths[] = {"/usr/libexec/docker/docker-init",
					    "/usr/local/libexec/docker/docker-init",
					    "/usr/bin/docker-init",
					    "/usr/bin/tini-static",
					    "/usr/sbin/tini-static",
					    NULL};
	for (const char *const *p = paths; *p; p++)
		if (access(*p, X_OK) == 0)
			return str_dup(*p);
	return NULL;
}

int ocispec_init_apply(json_t *spec, const json_t *hc, struct err *e)
{
	if (!json_is_true(json_object_get(hc, "Init")))
		return 0;
	_cleanup_free_ char *path = ocispec_init_path();
	if (!path)
		return err_set(e, ERR_INTERNAL, 0,
			       "exec: \"docker-init\": executable file not found in $PATH "
			       "(install Debian's tini package for /usr/bin/tini-static)");
	json_t *proc = json_object_get(spec, "process");
	json_t *args = json_pack("[s,s]", INIT_DEST, "--");
	json_array_extend(args, json_object_get(proc, "args"));
	json_object_set_new(proc, "args", args);
	json_t *mounts = json_object_get(spec, "mounts");
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination",
						INIT_DEST, "type", "bind", "source", path,
						"options", "bind", "ro", "rprivate"));
	return 0;
}
