/* proc_exec: finding the program to exec the way runc does (Go's exec.LookPath over the
 * container's PATH, then an access check), with Go's error texts that docker matches on. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/proc.h"
#include "runtime/proc_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

static enum err_kind kind_of(int errnum)
{
	if (errnum == ENOENT || errnum == ENOTDIR)
		return ERR_NOT_FOUND;
	if (errnum == EACCES || errnum == EPERM)
		return ERR_FORBIDDEN;
	return ERR_INVALID;
}

/* Go's findExecutable: a regular (non-directory) file with some execute bit. */
static int check_exec(const char *path, int *errnum)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*errnum = errno;
		return -1;
	}
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
		*errnum = EACCES;
		return -2;
	}
	return 0;
}

/* runc's last check: the file may sit on a noexec mount or be unreadable for us. */
static char *check_access(char *path, struct err *e)
{
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
		return path;
	int errnum = errno;
	char msg[128];
	proc_go_strerror(errnum, msg, sizeof(msg));
	err_set(e, kind_of(errnum), errnum, "exec %s: %s", path, msg);
	free(path);
	return NULL;
}

static char *find_with_slash(const char *arg0, struct err *e)
{
	int errnum = 0;
	int r = check_exec(arg0, &errnum);
	if (r < 0) {
		char msg[128];
		proc_go_strerror(errnum, msg, sizeof(msg));
		if (r == -1)
			err_set(e, kind_of(errnum), errnum, "exec: \"%s\": stat %s: %s", arg0, arg0,
				msg);
		else
			err_set(e, ERR_FORBIDDEN, errnum, "exec: \"%s\": %s", arg0, msg);
		return NULL;
	}
	return check_access(str_dup(arg0), e);
}

static const char *env_path(char *const *env)
{
	const char *path = NULL;
	/* The last PATH wins: runc sets the variables one after another. */
	for (size_t i = 0; env && env[i]; i++)
		if (str_has_prefix(env[i], "PATH="))
			path = env[i] + 5;
	return path;
}

char *proc_find_exec(const char *arg0, char *const *env, struct err *e)
{
	if (!arg0)
		arg0 = "";
	if (strchr(arg0, '/'))
		return find_with_slash(arg0, e);
	/* No PATH means nothing to search, as in runc (Go's LookPath has no default). */
	const char *path = env_path(env);
	for (const char *dir = path; *arg0 && dir;) {
		const char *end = strchr(dir, ':');
		size_t len = end ? (size_t)(end - dir) : strlen(dir);
		/* An empty element is the current directory. */
		_cleanup_free_ char *cand =
		    len ? str_printf("%.*s/%s", (int)len, dir, arg0) : str_printf("./%s", arg0);
		int errnum = 0;
		if (check_exec(cand, &errnum) == 0) {
			if (cand[0] != '/') {
				err_set(e, ERR_FORBIDDEN, 0,
					"exec: \"%s\": cannot run executable found relative to "
					"current directory",
					arg0);
				return NULL;
			}
			return check_access(TAKE_PTR(cand), e);
		}
		dir = end ? end + 1 : NULL;
	}
	err_set(e, ERR_NOT_FOUND, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
	return NULL;
}
