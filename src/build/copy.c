/* build/copy: COPY and ADD: sources from the context (globs; never outside it), another stage
 * or image (--from, its files globbed; read through a container of it as docker cp does), a
 * URL or a local archive (ADD); one tar of them named for the destination, its checksum in
 * the step's "#(nop) COPY file:<sum> in <dest>" cache key; put into a container, committed. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_priv.h"
#include "build/copy.h"
#include "build/imagefs.h"
#include "build/words.h"
#include "engine/container.h"
#include "image/tar.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

struct copy_job {
	struct build *b;
	struct stage *st;
	const char *cmd; /* "COPY" or "ADD" */
	bool add;
	char *dest; /* absolute, no leading '/' in entry names: dest + 1 */
	bool dest_dir;
	struct imagefs *fs; /* the image's files, for the destination and --chown */
	struct copy_tar t;
	size_t nsrc;
	char kind[8]; /* file, dir, multi */
};

static void note_source(struct copy_job *j, bool is_dir)
{
	j->nsrc++;
	snprintf(j->kind, sizeof(j->kind), "%s", j->nsrc > 1 ? "multi" : is_dir ? "dir" : "file");
}

/* Entry name for a source called base: into the directory, or the destination itself. */
static char *dest_name(const struct copy_job *j, const char *base)
{
	return j->dest_dir ? str_printf("%s/%s", j->dest + 1, base) : str_dup(j->dest + 1);
}

static int add_local(struct copy_job *j, const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return err_sys(e, "build: stat %s", path);
	note_source(j, S_ISDIR(st.st_mode));
	if (S_ISDIR(st.st_mode))
		return copy_tar_add_path(&j->t, path, j->dest + 1, e);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	_cleanup_free_ char *name = dest_name(j, base);
	if (j->add && S_ISREG(st.st_mode)) {
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return err_sys(e, "build: open %s", path);
		int r = copy_tar_add_archive(&j->t, fd, "", j->dest + 1, true, e);
		if (r <= 0)
			return r; /* an archive, extracted into the destination */
	}
	return copy_tar_add_path(&j->t, path, name, e);
}

/* A context path: resolved without leaving the context (symlinks of the parents inside it). */
static char *context_path(struct build *b, const char *rel, struct err *e)
{
	_cleanup_free_ char *j = str_printf("/%s", rel);
	_cleanup_free_ char *clean = path_clean(j);
	if (strstr(rel, "..") && strcmp(clean, "/") != 0) {
		_cleanup_free_ char *probe = str_printf("/a/b/%s", rel);
		_cleanup_free_ char *pc = path_clean(probe);
		if (!str_has_prefix(pc, "/a/b")) {
			err_invalid(e, "forbidden path outside the build context: %s ()", rel);
			return NULL;
		}
	}
	_cleanup_free_ char *full = str_printf("%s%s", b->ctx, clean);
	char *slash = strrchr(full, '/');
	_cleanup_free_ char *parent = str_ndup(full, (size_t)(slash - full));
	char rp[PATH_MAX];
	if (!realpath(*parent ? parent : "/", rp) ||
	    (strcmp(rp, b->ctx) != 0 &&
	     !(str_has_prefix(rp, b->ctx) && rp[strlen(b->ctx)] == '/'))) {
		err_invalid(e,
			    "%s failed: file not found in build context or excluded by "
			    ".dockerignore: stat %s: file does not exist",
			    "COPY", rel);
		return NULL;
	}
	return strcmp(clean, "/") ? str_printf("%s%s", rp, slash) : str_dup(b->ctx);
}

static int add_context(struct copy_job *j, const char *src, struct err *e)
{
	if (!strpbrk(src, "*?[")) {
		_cleanup_free_ char *p = context_path(j->b, src, e);
		struct stat st;
		if (p && lstat(p, &st) < 0)
			return err_invalid(e,
					   "%s failed: file not found in build context or excluded "
					   "by .dockerignore: stat %s: file does not exist",
					   j->cmd, src);
		return p ? add_local(j, p, e) : -1;
	}
	_cleanup_free_ char *pat = str_printf("%s/%s", j->b->ctx, src);
	glob_t g;
	int r = glob(pat, 0, NULL, &g);
	if (r == GLOB_NOMATCH)
		return err_invalid(e, "%s failed: no source files were specified", j->cmd);
	for (size_t i = 0; r == 0 && i < g.gl_pathc; i++) {
		_cleanup_free_ char *p = context_path(j->b, g.gl_pathv[i] + strlen(j->b->ctx), e);
		r = p ? add_local(j, p, e) : -1;
	}
	globfree(&g);
	return r;
}

static int sink_fd(void *arg, const void *data, size_t len)
{
	return fs_write_all(*(int *)arg, data, len);
}

/* ADD URL: downloaded (mode 0600) and added as its last path segment. */
static int add_url(struct copy_job *j, const char *url, struct err *e)
{
	_cleanup_free_ char *tmp = str_printf("%s/dl-XXXXXX", j->b->dir);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "build: temporary file");
	int r = image_fetch(url, sink_fd, NULL, &fd, e);
	if (r == 1)
		r = err_sys(e, "build: write %s", tmp);
	_cleanup_free_ char *u = str_ndup(url, strcspn(url, "?#"));
	const char *base = strrchr(u, '/') ? strrchr(u, '/') + 1 : u;
	_cleanup_free_ char *name = dest_name(j, *base ? base : "__unnamed__");
	if (r == 0 && fchmod(fd, 0600) == 0) {
		note_source(j, false);
		r = copy_tar_add_path(&j->t, tmp, name, e);
	}
	unlink(tmp);
	return r < 0 ? err_wrap(e, "%s failed", j->cmd) : 0;
}

static void imagefs_closep(struct imagefs **fs)
{
	imagefs_close(*fs);
}

/* --from: the stage's result or an image, read through a container of it. */
static char *from_image(struct build *b, const char *from, struct err *e)
{
	char *end;
	long idx = strtol(from, &end, 10);
	for (size_t i = 0; i < b->nstages; i++) {
		struct stage *s = &b->stages[i];
		bool match = (!*end && (size_t)idx == i) || (s->name && !strcasecmp(s->name, from));
		if (match && s->result)
			return str_dup(s->result);
	}
	return build_resolve_image(b, from, e);
}

static int add_from_one(struct copy_job *j, const char *cid, const char *src, struct err *e)
{
	_cleanup_free_ char *abs = str_printf("/%s", src);
	_cleanup_free_ char *clean = path_clean(abs);
	json_t *stat = NULL;
	struct container_archive *a = engine_container_archive_get(j->b->eng, cid, clean, &stat, e);
	if (!a)
		return err_wrap(e, "%s failed", j->cmd);
	bool dir = (json_integer_value(json_object_get(stat, "mode")) & (1LL << 31)) != 0;
	const char *base = json_string_value(json_object_get(stat, "name"));
	note_source(j, dir);
	_cleanup_free_ char *to = dir ? str_dup(j->dest + 1) : dest_name(j, base ? base : "x");
	int r = copy_tar_add_archive(&j->t, engine_container_archive_fd(a), base ? base : "", to,
				     false, e);
	engine_container_archive_end(a);
	json_decref(stat);
	return r;
}

/* The image's paths under dir matching the pattern's components (fnmatch as Go's
 * filepath.Match: '*' stays within a component, dot files match), as dockerd walks the
 * source's root: directories are entered, symlinks to them are not. */
static void glob_image(const struct imagefs *fs, const char *dir, char *const *comps, char ***out)
{
	_cleanup_strv_ char **names = imagefs_list(fs, *dir ? dir : "/");
	for (char **n = names; *n; n++) {
		if (fnmatch(comps[0], *n, 0) != 0)
			continue;
		_cleanup_free_ char *p = str_printf("%s/%s", dir, *n);
		if (!comps[1])
			strv_push(out, p + 1);
		else
			glob_image(fs, p, comps + 1, out);
	}
}

/* A --from source: itself, or with wildcards the paths it matches (none: an error). */
static int add_from_src(struct copy_job *j, const char *img, const char *cid, const char *src,
			struct err *e)
{
	if (!strpbrk(src, "*?["))
		return add_from_one(j, cid, src, e);
	_cleanup_free_ char *abs = str_printf("/%s", src);
	_cleanup_free_ char *clean = path_clean(abs);
	_cleanup_strv_ char **comps = strv_split(clean, "/");
	_cleanup_strv_ char **hits = xcalloc(1, sizeof(char *));
	_cleanup_(imagefs_closep) struct imagefs *fs = imagefs_open(j->b->eng, img);
	if (comps[0])
		glob_image(fs, "", comps, &hits);
	if (!hits[0])
		return err_invalid(e, "%s failed: no source files were specified", j->cmd);
	int r = 0;
	for (char **h = hits; r == 0 && *h; h++)
		r = add_from_one(j, cid, *h, e);
	return r;
}

static int add_from(struct copy_job *j, const char *from, char *const *srcs, struct err *e)
{
	_cleanup_free_ char *img = from_image(j->b, from, e);
	if (!img)
		return -1;
	struct stage tmp = {.image = img};
	_cleanup_json_ json_t *cfg = json_pack("{s:[s]}", "Cmd", "true");
	_cleanup_free_ char *cid = build_container_create(j->b, &tmp, cfg, false, e);
	int r = cid ? 0 : -1;
	for (char *const *s = srcs; r == 0 && *s; s++)
		r = add_from_src(j, img, cid, *s, e);
	if (cid)
		build_container_remove(j->b, cid, false);
	return r;
}

static bool is_url(const char *s)
{
	return str_has_prefix(s, "http://") || str_has_prefix(s, "https://");
}

/* The id of name in an /etc/passwd or /etc/group of the image. */
static int lookup_id(const struct imagefs *fs, const char *file, const char *name, unsigned *id,
		     struct err *e)
{
	char *end;
	unsigned long v = strtoul(name, &end, 10);
	if (*name && !*end) {
		*id = (unsigned)v;
		return 0;
	}
	_cleanup_free_ char *data = imagefs_read(fs, file);
	_cleanup_strv_ char **lines = strv_split(data ? data : "", "\n");
	size_t n = strlen(name);
	for (char **l = lines; *l; l++) {
		if (strncmp(*l, name, n) || (*l)[n] != ':')
			continue;
		const char *p = strchr(*l + n + 1, ':');
		if (p) {
			*id = (unsigned)strtoul(p + 1, NULL, 10);
			return 0;
		}
	}
	return err_invalid(e,
			   "unable to convert uid/gid chown string to host mapping: can't find "
			   "%s for %s in %s",
			   strstr(file, "group") ? "gid" : "uid", name, file);
}

static int parse_chown(struct copy_job *j, const char *spec, struct err *e)
{
	_cleanup_strv_ char **env = build_args_env(j->b, j->st);
	_cleanup_free_ char *s = build_expand(spec, j->b->df->escape, env, e);
	if (!s)
		return -1;
	char *colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':'))
		return err_invalid(e, "invalid chown string format: %s", s);
	if (colon)
		*colon = '\0';
	/* moby's parseChownFlag: without a group, the user's name is looked up as one */
	unsigned uid, gid;
	if (lookup_id(j->fs, "/etc/passwd", s, &uid, e) < 0 ||
	    lookup_id(j->fs, "/etc/group", colon ? colon + 1 : s, &gid, e) < 0)
		return -1;
	j->t.chown = true;
	j->t.uid = uid;
	j->t.gid = gid;
	return 0;
}

/* Destination: absolute (relative ones under WORKDIR); a directory when it ends in '/' or
 * "/.", or is one in the image. */
static void set_dest(struct copy_job *j, const char *raw)
{
	const char *wd = json_string_value(json_object_get(j->st->config, "WorkingDir"));
	_cleanup_free_ char *full =
	    raw[0] == '/' ? str_dup(raw) : str_printf("%s/%s", wd && *wd ? wd : "", raw);
	size_t n = strlen(full);
	j->dest_dir = (n && full[n - 1] == '/') || str_has_suffix(full, "/.") || !strcmp(raw, ".");
	/* links on the way resolved as in the image: the put never writes through one */
	j->dest = imagefs_resolve(j->fs, full, j->dest_dir);
	if (!strcmp(j->dest, "/"))
		j->dest_dir = true;
	if (!j->dest_dir)
		j->dest_dir = imagefs_is_dir(j->fs, j->dest);
}

/* The tar into a container of the image (or, FROM scratch, a directory) and its commit. */
static int put_and_commit(struct copy_job *j, json_t *cc, struct err *e)
{
	struct build *b = j->b;
	if (!j->st->image) {
		_cleanup_free_ char *dir = str_printf("%s/layer-XXXXXX", b->dir);
		if (!mkdtemp(dir))
			return err_sys(e, "build: temporary directory");
		struct image_tar_result res;
		int r = image_tar_extract(j->t.fd, dir, &res, e);
		if (r == 0)
			r = build_commit(b, j->st, NULL, dir, cc, e);
		fs_rm_rf(dir, NULL);
		return r;
	}
	_cleanup_free_ char *cid = build_container_create(b, j->st, cc, false, e);
	if (!cid)
		return -1;
	int r = engine_container_archive_put(b->eng, cid, "/", j->t.fd, 0, e);
	if (r == 0)
		r = build_commit(b, j->st, cid, NULL, cc, e);
	/* dockerd copies into a layer without a container: nothing to announce or keep */
	build_container_remove(b, cid, false);
	return r;
}

static int check_flags(const struct df_instr *in, const char *cmd, struct err *e)
{
	for (char **f = in->flags; *f; f++) {
		size_t n = strcspn(*f + 2, "=");
		if ((n == 5 && !strncmp(*f + 2, "chown", 5)) ||
		    (n == 4 && !strncmp(*f + 2, "from", 4) && !strcmp(cmd, "COPY")))
			continue;
		return err_invalid(e,
				   "the --%.*s option requires BuildKit. Refer to "
				   "https://docs.docker.com/go/buildkit/ to learn how to build "
				   "images with BuildKit enabled",
				   (int)n, *f + 2);
	}
	return 0;
}

static int collect(struct copy_job *j, const struct df_instr *in, char **words, size_t n,
		   struct err *e)
{
	const char *from = df_flag(in, "from");
	if (from) {
		char *dest = words[n - 1]; /* the sources alone, for the moment */
		words[n - 1] = NULL;
		int r = add_from(j, from, words, e);
		words[n - 1] = dest;
		return r;
	}
	int r = 0;
	for (size_t i = 0; r == 0 && i + 1 < n; i++)
		r = j->add && is_url(words[i]) ? add_url(j, words[i], e)
					       : add_context(j, words[i], e);
	return r;
}

int build_copy(struct build *b, struct stage *st, const struct df_instr *in, bool add,
	       struct err *e)
{
	struct copy_job j = {
	    .b = b, .st = st, .cmd = add ? "ADD" : "COPY", .add = add, .t = {.fd = -1}};
	if (check_flags(in, j.cmd, e) < 0)
		return -1;
	_cleanup_strv_ char **env = build_args_env(b, st);
	_cleanup_strv_ char **words =
	    in->json ? strv_copy(in->json) : build_expand_words(in->rest, b->df->escape, env, e);
	if (!words)
		return -1;
	size_t n = strv_len(words);
	if (n < 2)
		return err_invalid(e,
				   "%s requires at least two arguments, but only one was provided. "
				   "Destination could not be determined",
				   j.cmd);
	_cleanup_(imagefs_closep) struct imagefs *fs = imagefs_open(b->eng, st->image);
	j.fs = fs;
	set_dest(&j, words[n - 1]);
	_cleanup_free_ char *dest = j.dest; /* j.dest borrows it from here on */
	j.dest = dest;
	if (n > 2 && !j.dest_dir)
		return err_invalid(e,
				   "When using %s with more than one source file, the destination "
				   "must be a directory and end with a /",
				   j.cmd);
	if (copy_tar_open(&j.t, b->dir, e) < 0)
		return -1;
	const char *chown = df_flag(in, "chown");
	char sum[65] = "";
	int r = chown ? parse_chown(&j, chown, e) : 0;
	if (r == 0)
		r = collect(&j, in, words, n, e);
	if (r == 0 && j.nsrc > 1 && !j.dest_dir) /* a wildcard matched several */
		r = err_invalid(e,
				"When using %s with more than one source file, the destination "
				"must be a directory and end with a /",
				j.cmd);
	if (r == 0)
		r = copy_tar_close(&j.t, sum, e);
	if (r == 0) {
		_cleanup_free_ char *own = chown ? str_printf("--chown=%s ", chown) : str_dup("");
		_cleanup_json_ json_t *cc = json_deep_copy(st->config);
		json_t *cmd = build_shell(st);
		json_array_append_new(
		    cmd, json_sprintf("#(nop) %s %s%s:%s in %s ", j.cmd, own, j.kind, sum, j.dest));
		json_object_set_new(cc, "Cmd", cmd);
		if (!build_cache_probe(b, st, cc))
			r = put_and_commit(&j, cc, e);
	}
	copy_tar_release(&j.t);
	return r;
}

/* WORKDIR: the directory made (as root) in a container of the image, then committed. */
int build_workdir(struct build *b, struct stage *st, struct err *e)
{
	const char *wd = json_string_value(json_object_get(st->config, "WorkingDir"));
	_cleanup_json_ json_t *cc = json_deep_copy(st->config);
	json_t *cmd = build_shell(st);
	json_array_append_new(cmd, json_sprintf("#(nop) WORKDIR %s", wd));
	json_object_set_new(cc, "Cmd", cmd);
	if (build_cache_probe(b, st, cc))
		return 0;
	/* as dockerd: a container of the image ("Running in"), the directory made in it */
	_cleanup_free_ char *cid = st->image ? build_container_create(b, st, cc, true, e) : NULL;
	if (st->image && !cid)
		return -1;
	_cleanup_(imagefs_closep) struct imagefs *fs = imagefs_open(b->eng, st->image);
	_cleanup_free_ char *real = imagefs_resolve(fs, wd, true);
	bool exists = imagefs_is_dir(fs, real);
	struct copy_job j = {
	    .b = b, .st = st, .cmd = "WORKDIR", .dest = real, .fs = fs, .t = {.fd = -1}};
	if (!exists && copy_tar_open(&j.t, b->dir, e) < 0)
		return -1;
	char sum[65];
	int r = exists ? 0 : copy_tar_add_dir(&j.t, real + 1, e);
	if (r == 0 && !exists)
		r = copy_tar_close(&j.t, sum, e);
	if (r == 0 && !cid) /* FROM scratch: the layer made from the tar alone */
		r = put_and_commit(&j, cc, e);
	else if (r == 0 && !exists)
		r = engine_container_archive_put(b->eng, cid, "/", j.t.fd, 0, e);
	if (r == 0 && cid)
		r = build_commit(b, st, cid, NULL, cc, e);
	copy_tar_release(&j.t);
	return r;
}
