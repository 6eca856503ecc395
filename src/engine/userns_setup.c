/* engine/userns_setup: --userns-remap's names resolved as dockerd's parseRemappedRoot does,
 * the dockremap user created for "default", and the subordinate ranges read (or, for a new
 * dockremap, added) in /etc/subuid and /etc/subgid. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

#define SUBUID_FILE "/etc/subuid"
#define SUBGID_FILE "/etc/subgid"
#define REMAP_USER  "dockremap"
#define RANGE_START 100000u
#define RANGE_SIZE  65536u

static bool numeric(const char *s, uint32_t *out)
{
	uint64_t v;
	if (!*s || strspn(s, "0123456789") != strlen(s) || str_to_u64(s, &v, "id", NULL) < 0 ||
	    v > INT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Runs argv (a shadow tool) and waits; 0 when it exited 0. */
static int run_tool(char *const argv[], struct err *e)
{
	pid_t pid = fork();
	if (pid < 0)
		return err_sys(e, "fork %s", argv[0]);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_sys(e, "wait %s", argv[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return err_set(e, ERR_INTERNAL, 0, "%s %s failed (status %d)", argv[0], argv[1],
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* The shadow tool's path (malloc'd), NULL when not installed. */
static char *tool(const char *name)
{
	static const char *const dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = str_printf("%s%s", dirs[i], name);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* The ranges of name (or its numeric id) in a subordinate id file. */
static int load_ranges(const char *file, const char *name, uint32_t id, struct idmap *m,
		       struct err *e)
{
	_cleanup_free_ char *text = fs_read_file(file, NULL, NULL);
	_cleanup_strv_ char **lines = strv_split(text ? text : "", "\n");
	char idstr[16];
	snprintf(idstr, sizeof(idstr), "%u", id);
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, ":");
		uint32_t start, size;
		if (!f || !f[0] || !f[1] || !f[2] || f[3] || **l == '#')
			continue;
		if ((strcmp(f[0], name) != 0 && strcmp(f[0], idstr) != 0) ||
		    !numeric(f[1], &start) || !numeric(f[2], &size) || !size)
			continue;
		idmap_add(m, start, size);
	}
	if (idmap_empty(m))
		return err_invalid(e,
				   "error creating ID mappings: no subordinate ranges found for "
				   "%s in %s",
				   name, file);
	return 0;
}

/* The first RANGE_SIZE ids from RANGE_START on that no entry of file uses. */
static uint32_t free_start(const char *text)
{
	uint32_t cand = RANGE_START;
	_cleanup_strv_ char **lines = strv_split(text, "\n");
	for (bool moved = true; moved;) {
		moved = false;
		for (char **l = lines; l && *l; l++) {
			_cleanup_strv_ char **f = strv_split(*l, ":");
			uint32_t s, n;
			if (!f || !f[0] || !f[1] || !f[2] || !numeric(f[1], &s) ||
			    !numeric(f[2], &n))
				continue;
			if (cand < s + n && s < cand + RANGE_SIZE) {
				cand = s + n;
				moved = true;
			}
		}
	}
	return cand;
}

/* Appends "name:start:65536" to file, replaced atomically with its mode kept. */
static int add_range(const char *file, const char *name, struct err *e)
{
	_cleanup_free_ char *text = fs_read_file(file, NULL, NULL);
	struct stat st;
	mode_t mode = stat(file, &st) == 0 ? (st.st_mode & 07777) : 0644;
	const char *old = text ? text : "";
	size_t len = strlen(old);
	_cleanup_free_ char *out =
	    str_printf("%s%s%s:%u:%u\n", old, len && old[len - 1] != '\n' ? "\n" : "", name,
		       free_start(old), RANGE_SIZE);
	return fs_write_atomic(file, out, strlen(out), mode, e);
}

/* REMAP_USER's range in file (id: its uid or gid), added when it has none. */
static int ensure_range(const char *file, uint32_t id, struct err *e)
{
	struct idmap probe = {0};
	int r = 0;
	if (load_ranges(file, REMAP_USER, id, &probe, NULL) < 0)
		r = add_range(file, REMAP_USER, e);
	idmap_release(&probe);
	return r;
}

/* dockerd's "default": the dockremap system user and group with their ranges. */
static int create_dockremap(struct err *e)
{
	_cleanup_free_ char *ua = tool("useradd"), *ga = tool("groupadd");
	if (!getgrnam(REMAP_USER)) {
		if (!ga)
			return err_set(e, ERR_INTERNAL, 0, "cannot create group %s: no groupadd",
				       REMAP_USER);
		char *argv[] = {ga, "-r", REMAP_USER, NULL};
		if (run_tool(argv, e) < 0)
			return err_wrap(e, "Error during \"%s\" group creation", REMAP_USER);
	}
	if (!getpwnam(REMAP_USER)) {
		if (!ua)
			return err_set(e, ERR_INTERNAL, 0, "cannot create user %s: no useradd",
				       REMAP_USER);
		char *argv[] = {ua, "-r", "-g", REMAP_USER, "-s", "/bin/false", REMAP_USER, NULL};
		if (run_tool(argv, e) < 0)
			return err_wrap(e, "Error during \"%s\" user creation", REMAP_USER);
	}
	struct passwd *pw = getpwnam(REMAP_USER);
	struct group *gr = getgrnam(REMAP_USER);
	if (ensure_range(SUBUID_FILE, pw ? pw->pw_uid : 0, e) < 0 ||
	    ensure_range(SUBGID_FILE, gr ? gr->gr_gid : 0, e) < 0)
		return -1;
	return 0;
}

/* The user part: a uid or a name ("default" meaning dockremap, created when missing). */
static int resolve_user(const char *part, bool alone, struct engine_userns *out, struct err *e)
{
	uint32_t id;
	if (numeric(part, &id)) {
		struct passwd *pw = getpwuid(id);
		if (!pw)
			return err_invalid(e, "Uid %u has no entry in /etc/passwd", id);
		out->user = str_dup(pw->pw_name);
		if (alone) {
			struct group *gr = getgrgid(id);
			if (!gr)
				return err_invalid(e, "Gid %u has no entry in /etc/group", id);
			out->group = str_dup(gr->gr_name);
		}
		return 0;
	}
	bool dflt = !strcmp(part, "default");
	const char *name = dflt ? REMAP_USER : part;
	if (dflt && create_dockremap(e) < 0)
		return -1;
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return err_invalid(e, "Error during uid lookup for \"%s\": user not found", name);
	out->user = str_dup(pw->pw_name);
	if (alone) {
		if (!getgrnam(name))
			return err_invalid(e, "Error during gid lookup for \"%s\": group not found",
					   name);
		out->group = str_dup(name);
	}
	return 0;
}

static int resolve_group(const char *part, struct engine_userns *out, struct err *e)
{
	uint32_t id;
	struct group *gr = numeric(part, &id) ? getgrgid(id) : getgrnam(part);
	if (!gr)
		return numeric(part, &id)
			   ? err_invalid(e, "Gid %u has no entry in /etc/group", id)
			   : err_invalid(e,
					 "Error during groupname lookup for \"%s\": group not "
					 "found",
					 part);
	out->group = str_dup(gr->gr_name);
	return 0;
}

int userns_resolve(const char *spec, struct engine_userns *out, char **warning, struct err *e)
{
	memset(out, 0, sizeof(*out));
	*warning = NULL;
	_cleanup_strv_ char **parts = strv_split(spec ? spec : "", ":");
	size_t n = 0;
	while (parts && parts[n])
		n++;
	if (n < 1 || n > 2 || strchr(spec, ':') != strrchr(spec, ':') || spec[0] == ':' ||
	    spec[strlen(spec) - 1] == ':')
		return err_invalid(e, "Invalid user/group specification in --userns-remap: \"%s\"",
				   spec ? spec : "");
	if (resolve_user(parts[0], n == 1, out, e) < 0 ||
	    (n == 2 && resolve_group(parts[1], out, e) < 0)) {
		userns_release(out);
		return -1;
	}
	if (!strcmp(out->user, "root")) {
		*warning = str_dup("User namespaces: root cannot be remapped with itself; user "
				   "namespaces are OFF");
		userns_release(out);
		return 0;
	}
	struct passwd *pw = getpwnam(out->user);
	struct group *gr = getgrnam(out->group);
	uint32_t uid = pw ? pw->pw_uid : UINT32_MAX, gid = gr ? gr->gr_gid : UINT32_MAX;
	if (load_ranges(SUBUID_FILE, out->user, uid, &out->uids, e) < 0 ||
	    load_ranges(SUBGID_FILE, out->group, gid, &out->gids, e) < 0) {
		userns_release(out);
		return -1;
	}
	return 1;
}

void userns_release(struct engine_userns *u)
{
	free(u->user);
	free(u->group);
	idmap_release(&u->uids);
	idmap_release(&u->gids);
	memset(u, 0, sizeof(*u));
}
