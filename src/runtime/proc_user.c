/* proc_user: "user[:group]" resolved against the container's /etc/passwd and /etc/group
 * with the semantics of runc's user.GetExecUser; the parsing works on file contents. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/proc.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

#define ID_MAX INT32_MAX /* runc's limit, for 32-bit systems */

struct entry {
	char *line; /* owns the fields */
	char *f[7];
};

static void entry_release(struct entry *en)
{
	free(en->line);
	en->line = NULL;
}

/* The next non-empty, non-comment line of *cur, trimmed and split at ':' into n fields
 * (missing ones are ""). */
static bool next_entry(const char **cur, struct entry *en, size_t n)
{
	entry_release(en);
	while (*cur && **cur) {
		const char *s = *cur, *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		*cur = s + len + (nl ? 1 : 0);
		while (len && strchr(" \t\r", s[len - 1]))
			len--;
		while (len && strchr(" \t", *s))
			s++, len--;
		if (len == 0 || *s == '#')
			continue;
		char *p = en->line = str_ndup(s, len);
		for (size_t i = 0; i < n; i++) {
			en->f[i] = p ? p : "";
			p = p ? strchr(p, ':') : NULL;
			if (p)
				*p++ = '\0';
		}
		return true;
	}
	return false;
}

/* Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
static bool parse_num(const char *s, int64_t *out)
{
	const char *d = (*s == '+' || *s == '-') ? s + 1 : s;
	if (!*d || strspn(d, "0123456789") != strlen(d))
		return false;
	errno = 0;
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* A numeric field of a file; garbage reads as 0, as in runc. */
static int64_t field_num(const char *s)
{
	int64_t v = 0;
	return parse_num(s, &v) ? v : 0;
}

struct pw {
	char *name, *home;
	uint32_t uid, gid;
};

/* First passwd entry whose uid is want_uid (by_uid) or whose name is name. */
static bool find_user(const char *passwd, const char *name, bool by_uid, int64_t want_uid,
		      struct pw *out)
{
	struct entry en = {0};
	const char *cur = passwd;
	while (next_entry(&cur, &en, 7)) {
		int64_t uid = field_num(en.f[2]);
		if (by_uid ? uid != want_uid : strcmp(en.f[0], name) != 0)
			continue;
		*out = (struct pw){.name = str_dup(en.f[0]),
				   .home = str_dup(en.f[5]),
				   .uid = (uint32_t)uid,
				   .gid = (uint32_t)field_num(en.f[3])};
		entry_release(&en);
		return true;
	}
	return false;
}

static bool find_group(const char *group, const char *name, bool by_gid, int64_t want,
		       uint32_t *gid)
{
	struct entry en = {0};
	const char *cur = group;
	while (next_entry(&cur, &en, 4)) {
		int64_t g = field_num(en.f[2]);
		if (by_gid ? g == want : strcmp(en.f[0], name) == 0) {
			*gid = (uint32_t)g;
			entry_release(&en);
			return true;
		}
	}
	return false;
}

/* Gids of the groups that list user as a member, in file order. */
static size_t member_gids(const char *group, const char *user, gid_t **out)
{
	struct entry en = {0};
	const char *cur = group;
	size_t n = 0;
	while (next_entry(&cur, &en, 4)) {
		_cleanup_strv_ char **members = strv_split(en.f[3], ",");
		bool member = false;
		for (size_t i = 0; members && members[i] && !member; i++)
			member = !strcmp(members[i], user);
		if (!member)
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = (gid_t)field_num(en.f[2]);
	}
	return n;
}

static int numeric_id(bool is_num, int64_t v, const char *what, const char *arg, uint32_t *out,
		      struct err *e)
{
	if (!is_num)
		return err_notfound(e, "unable to find %s %s: no matching entries in %s file", what,
				    arg, !strcmp(what, "user") ? "passwd" : "group");
	if (v < 0 || v > ID_MAX)
		return err_invalid(e, "uids and gids must be in range 0-%d", ID_MAX);
	*out = (uint32_t)v;
	return 0;
}

int proc_user_resolve(const char *spec, const char *passwd, const char *group, struct spec_user *u,
		      struct err *e)
{
	_cleanup_free_ char *copy = str_dup(spec ? spec : "");
	char *user_arg = copy, *group_arg = strchr(copy, ':');
	if (group_arg) {
		*group_arg++ = '\0';
		group_arg[strcspn(group_arg, ":")] = '\0';
	} else {
		group_arg = "";
	}
	int64_t uid_num = 0, gid_num = 0;
	bool uid_is_num = parse_num(user_arg, &uid_num),
	     gid_is_num = parse_num(group_arg, &gid_num);
	/* An empty user means the default, uid 0. */
	struct pw pw = {0};
	bool found = find_user(passwd, user_arg, uid_is_num || !*user_arg, uid_num, &pw);
	_cleanup_free_ char *matched = pw.name;
	free(pw.home);
	uint32_t uid = found ? pw.uid : 0, gid = found ? pw.gid : 0;
	if (!found && *user_arg && numeric_id(uid_is_num, uid_num, "user", user_arg, &uid, e) < 0)
		return -1;
	gid_t *sgids = NULL;
	size_t n = 0;
	if (*group_arg) {
		if (!find_group(group, group_arg, gid_is_num, gid_num, &gid) &&
		    numeric_id(gid_is_num, gid_num, "group", group_arg, &gid, e) < 0)
			return -1;
	} else if (found) {
		/* Supplementary groups come only with the implicit form, as in runc. */
		n = member_gids(group, matched, &sgids);
	}
	u->uid = uid;
	u->gid = gid;
	free(u->additional_gids);
	u->additional_gids = sgids;
	u->n_additional_gids = n;
	return 0;
}

int proc_lookup_user(const char *spec, struct spec_user *u, struct err *e)
{
	/* runc reads both files if it can and treats an unreadable one as absent. */
	_cleanup_free_ char *passwd = fs_read_file("/etc/passwd", NULL, NULL);
	_cleanup_free_ char *group = fs_read_file("/etc/group", NULL, NULL);
	return proc_user_resolve(spec, passwd, group, u, e);
}

char *proc_passwd_home(const char *passwd, uid_t uid)
{
	struct pw pw = {0};
	if (!find_user(passwd, "", true, (int64_t)uid, &pw))
		return str_dup("/");
	free(pw.name);
	return pw.home;
}

void proc_env_default_home(char ***env, uid_t uid)
{
	for (size_t i = 0; *env && (*env)[i]; i++)
		if (str_has_prefix((*env)[i], "HOME="))
			return;
	_cleanup_free_ char *passwd = fs_read_file("/etc/passwd", NULL, NULL);
	_cleanup_free_ char *home = proc_passwd_home(passwd, uid);
	strv_push_take(env, str_printf("HOME=%s", home));
}
