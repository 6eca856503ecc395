/* rootfs_mountinfo: /proc/self/mountinfo parsed into the few fields rootfs needs (parent
 * mount propagation, host proc/sysfs mounts to hide with --no-pivot, cgroup v1 mounts). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/rootfs_int.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

static int parse_line(char *line, struct rootfs_mountinfo *mi)
{
	_cleanup_strv_ char **f = strv_split(line, " ");
	size_t n = strv_len(f), sep = 0;
	for (size_t i = 6; i < n; i++) {
		if (!strcmp(f[i], "-")) {
			sep = i;
			break;
		}
	}
	if (n < 7 || sep == 0 || sep + 3 >= n)
		return -1;
	char *dash = f[sep];
	f[sep] = NULL; /* ends the optional fields for the join below */
	mi->root = str_unescape_octal(f[3]);
	mi->mountpoint = str_unescape_octal(f[4]);
	mi->optional = strv_join(f + 6, " ");
	f[sep] = dash;
	mi->fstype = str_unescape_octal(f[sep + 1]);
	mi->source = str_unescape_octal(f[sep + 2]);
	mi->options = str_unescape_octal(f[sep + 3]);
	return 0;
}

int rootfs_mountinfo_read(struct rootfs_mountinfo **out, size_t *n, struct err *e)
{
	_cleanup_free_ char *buf = fs_read_file("/proc/self/mountinfo", NULL, e);
	if (!buf)
		return -1;
	struct rootfs_mountinfo *v = NULL;
	size_t count = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct rootfs_mountinfo mi = {0};
		if (parse_line(line, &mi) < 0)
			continue;
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count++] = mi;
	}
	*out = v;
	*n = count;
	return 0;
}

void rootfs_mountinfo_free(struct rootfs_mountinfo *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].root);
		free(v[i].mountpoint);
		free(v[i].optional);
		free(v[i].fstype);
		free(v[i].source);
		free(v[i].options);
	}
	free(v);
}

bool rootfs_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}
