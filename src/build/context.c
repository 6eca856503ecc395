/* build/context: the build context: the request body (a tar, plain or compressed) extracted
 * as it arrives into <root>/build/ctx-XXXXXX/ctx by a thread (image_tar_extract's safe
 * extraction), or a remote tarball or Dockerfile; the Dockerfile found and read, the
 * Dockerfile and .dockerignore dropped when .dockerignore lists them (dockerd's
 * removeDockerfile), and the leftovers of interrupted builds for /build/prune. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_priv.h"
#include "image/tar.h"
#include "engine/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/ignore.h"
#include "util/json.h"
#include "util/str.h"

/* Builds in progress: their directories are not leftovers. */
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static char **active;

static void active_add(const char *dir)
{
	pthread_mutex_lock(&active_mu);
	strv_push(&active, dir);
	pthread_mutex_unlock(&active_mu);
}

void build_context_forget(const char *dir)
{
	pthread_mutex_lock(&active_mu);
	for (char **p = active; p && *p; p++) {
		if (!strcmp(*p, dir)) {
			free(*p);
			memmove(p, p + 1, (strv_len(p + 1) + 1) * sizeof(char *));
			break;
		}
	}
	pthread_mutex_unlock(&active_mu);
}

static bool is_active_locked(const char *dir)
{
	for (char **p = active; p && *p; p++)
		if (!strcmp(*p, dir))
			return true;
	return false;
}

static void *extract_thread(void *arg)
{
	struct build *b = arg;
	struct image_tar_result res;
	int fd = b->ctx_rfd;
	b->ctx_rc = image_tar_extract(fd, b->ctx, &res, &b->ctx_err);
	close(fd); /* a writer still sending gets EPIPE */
	return NULL;
}

/* Contexts a killed daemon left behind: nothing of them was registered anywhere (images
 * appear atomically), so the first build of this daemon removes them. */
static void remove_leftovers(struct engine *eng)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static bool done;
	pthread_mutex_lock(&mu);
	if (!done)
		json_decref(build_prune(eng, NULL));
	done = true;
	pthread_mutex_unlock(&mu);
}

int build_context_start(struct build *b, struct err *e)
{
	_cleanup_free_ char *top = str_printf("%s/build", engine_root(b->eng));
	if (fs_mkdir_p(top, 0700, e) < 0)
		return -1;
	remove_leftovers(b->eng);
	b->dir = str_printf("%s/ctx-XXXXXX", top);
	if (!mkdtemp(b->dir)) {
		free(TAKE_PTR(b->dir));
		return err_sys(e, "build: create context directory");
	}
	active_add(b->dir);
	b->ctx = str_printf("%s/ctx", b->dir);
	if (mkdir(b->ctx, 0755) < 0)
		return err_sys(e, "build: mkdir %s", b->ctx);
	return 0;
}

static int extraction_begin(struct build *b)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(&b->ctx_err, "build: pipe");
	b->ctx_rfd = p[0];
	b->ctx_fd = p[1];
	int r = pthread_create(&b->ctx_thread, NULL, extract_thread, b);
	if (r != 0) {
		close(p[0]);
		close(TAKE_FD(b->ctx_fd));
		return err_errno(&b->ctx_err, r, "build: start extraction");
	}
	b->ctx_running = true;
	return 0;
}

static int pipe_write(struct build *b, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0 && b->ctx_fd >= 0) {
		ssize_t n = write(b->ctx_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(TAKE_FD(b->ctx_fd)); /* the extraction stopped: finish reports it */
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return b->ctx_fd >= 0 ? 0 : -1;
}

int build_context_write(struct build *b, const void *data, size_t len)
{
	if (!b->ctx_running) {
		if (b->ctx_err.kind != ERR_NONE || extraction_begin(b) < 0)
			return -1;
		b->ctx_plain = !image_tar_compressed(data, len);
	}
	return pipe_write(b, data, len);
}

/* Waits for the extraction; its error, if any. */
int build_context_end(struct build *b, struct err *e)
{
	/* the docker CLI's tar for a Dockerfile from outside the context ends right after the
	 * file's data (no padding, no end blocks; Go's reader takes that): complete it */
	static const char zeros[1536];
	if (b->ctx_fd >= 0 && b->ctx_plain)
		pipe_write(b, zeros, sizeof(zeros));
	if (b->ctx_fd >= 0)
		close(TAKE_FD(b->ctx_fd));
	if (b->ctx_running) {
		pthread_join(b->ctx_thread, NULL);
		b->ctx_running = false;
		if (b->ctx_rc < 0) {
			*e = b->ctx_err;
			return err_wrap(e, "failed to read the build context");
		}
	} else if (b->ctx_err.kind != ERR_NONE) {
		*e = b->ctx_err;
		return -1;
	}
	return 0;
}

/* removeDockerfile: .dockerignore and the Dockerfile go when .dockerignore lists them. */
static void drop_ignored(struct build *b, const char *dockerfile)
{
	_cleanup_free_ char *path = str_printf("%s/.dockerignore", b->ctx);
	_cleanup_free_ char *data = fs_read_file(path, NULL, NULL);
	if (!data)
		return;
	_cleanup_strv_ char **pats = ignore_patterns(data);
	const char *files[] = {".dockerignore", dockerfile};
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *abs = str_printf("/%s", files[i]);
		_cleanup_free_ char *clean = path_clean(abs);
		if (!ignore_match(pats, clean + 1))
			continue;
		_cleanup_free_ char *p = str_printf("%s%s", b->ctx, clean);
		unlink(p);
	}
}

/* The Dockerfile's text (its name checked to stay in the context). */
char *build_context_dockerfile(struct build *b, struct err *e)
{
	const char *name = b->o.dockerfile && *b->o.dockerfile ? b->o.dockerfile : "Dockerfile";
	_cleanup_free_ char *abs = str_printf("/%s", name);
	_cleanup_free_ char *clean = path_clean(abs);
	_cleanup_free_ char *path = str_printf("%s%s", b->ctx, clean);
	struct stat st;
	if (lstat(path, &st) < 0 && !strcmp(name, "Dockerfile")) {
		free(path);
		path = str_printf("%s/dockerfile", b->ctx);
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_invalid(e, "Cannot locate specified Dockerfile: %s", name);
		return NULL;
	}
	char *text = fs_read_file(path, NULL, e);
	if (text && !*text) {
		free(text);
		err_invalid(e, "the Dockerfile (%s) cannot be empty", name);
		return NULL;
	}
	if (text)
		drop_ignored(b, clean + 1);
	return text;
}

void build_context_note_container(struct build *b, const char *id)
{
	_cleanup_free_ char *path = str_printf("%s/containers", b->dir);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	_cleanup_free_ char *line = str_printf("%s\n", id);
	/* best effort: the list only matters if the daemon dies before the build ends */
	if (fd >= 0)
		(void)!write(fd, line, strlen(line));
}

void build_context_keep_unremoved(struct build *b)
{
	_cleanup_free_ char *path = str_printf("%s/containers", b->dir);
	_cleanup_free_ char *list = strv_join(b->unremoved, "\n");
	_cleanup_free_ char *data = str_printf("%s\n", list);
	/* only these: the containers the build keeps (--rm=false) are not the prune's */
	fs_write_replace(path, data, strlen(data), 0600, NULL);
}

/* The containers a dead build left (recorded in its directory) are removed with it. */
static void remove_containers(struct engine *eng, const char *dir)
{
	_cleanup_free_ char *path = str_printf("%s/containers", dir);
	_cleanup_free_ char *data = fs_read_file(path, NULL, NULL);
	_cleanup_strv_ char **ids = strv_split(data ? data : "", "\n");
	for (char **id = ids; *id; id++)
		engine_container_remove(eng, *id, true, true, NULL);
}

static int64_t tree_bytes;
static int count_bytes(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	if (flag == FTW_F)
		tree_bytes += st->st_blocks * 512;
	return 0;
}

json_t *build_prune(struct engine *eng, struct err *e)
{
	_cleanup_free_ char *top = str_printf("%s/build", engine_root(eng));
	json_t *deleted = json_array();
	int64_t total = 0;
	_cleanup_closedir_ DIR *d = opendir(top);
	struct dirent *de;
	pthread_mutex_lock(&active_mu);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *p = str_printf("%s/%s", top, de->d_name);
		if (!str_has_prefix(de->d_name, "ctx-") || is_active_locked(p))
			continue;
		remove_containers(eng, p);
		tree_bytes = 0;
		nftw(p, count_bytes, 16, FTW_PHYS);
		if (fs_rm_rf(p, NULL) == 0) {
			total += tree_bytes;
			json_array_append_new(deleted, json_string(de->d_name));
		}
	}
	pthread_mutex_unlock(&active_mu);
	return json_pack("{s:o, s:I}", "CachesDeleted", deleted, "SpaceReclaimed",
			 (json_int_t)total);
}
