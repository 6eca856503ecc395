/* image/archive_load: reading a docker archive (docker save's manifest.json layout, or an OCI
 * image layout with index.json) streamed from a pipe: small files are kept in memory, layer
 * tars are extracted as they go by into the load's temporary directory (same filesystem as
 * the layers, so registering one is a rename), links are recorded as aliases. Names that
 * are absolute or climb out with ".." are refused. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive_priv.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/str.h"

#define BLOB_MAX (64u << 20)  /* bigger non-layer files are skipped */
#define KEPT_MAX (256u << 20) /* all the files kept in memory */

static int refuse_link(struct image_load *ld, const char *name, struct err *e)
{
	ld->unsafe = true;
	return err_invalid(e, "archive entry '%s': link out of the archive refused", name);
}

/* "dir/x" + "../y" -> "y"; NULL when it leaves the archive. */
static char *link_target(const char *entry, const char *target)
{
	if (!target || target[0] == '/')
		return NULL;
	const char *slash = strrchr(entry, '/');
	_cleanup_free_ char *joined =
	    slash ? str_printf("%.*s/%s", (int)(slash - entry), entry, target) : str_dup(target);
	char *c = path_clean(joined);
	if (!strcmp(c, "..") || str_has_prefix(c, "../") || c[0] == '/') {
		free(c);
		return NULL;
	}
	return c;
}

static int add_alias(struct image_load *ld, struct archive_entry *ent, const char *name,
		     struct err *e)
{
	const char *hl = archive_entry_hardlink(ent);
	_cleanup_free_ char *target = NULL;
	if (hl) {
		target = image_tar_clean_name(hl, NULL);
		if (!target)
			return refuse_link(ld, name, e);
	} else {
		target = link_target(name, archive_entry_symlink(ent));
		if (!target)
			return refuse_link(ld, name, e);
	}
	ld->aliases = xrealloc(ld->aliases, (ld->n_aliases + 1) * sizeof(*ld->aliases));
	ld->aliases[ld->n_aliases++] = (struct ld_alias){str_dup(name), TAKE_PTR(target)};
	return 0;
}

static int keep_blob(struct image_load *ld, struct archive *a, const char *name, const void *first,
		     size_t flen, struct err *e)
{
	char *data = xmalloc(flen + 1);
	size_t len = flen;
	memcpy(data, first, flen);
	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN || len + n > BLOB_MAX || ld->kept + len + n > KEPT_MAX) {
			free(data);
			if (r < ARCHIVE_WARN)
				return err_invalid(e, "invalid archive: %s",
						   archive_error_string(a));
			if (len + n > BLOB_MAX)
				return 0; /* too big to be metadata: not ours to read */
			return err_invalid(e, "invalid archive: more than %u MiB of metadata",
					   KEPT_MAX >> 20);
		}
		data = xrealloc(data, len + n + 1);
		memcpy(data + len, buf, n);
		len += n;
	}
	data[len] = '\0';
	ld->kept += len;
	ld->blobs = xrealloc(ld->blobs, (ld->n_blobs + 1) * sizeof(*ld->blobs));
	ld->blobs[ld->n_blobs++] = (struct ld_blob){str_dup(name), data, len};
	return 0;
}

struct extract_job {
	int fd;
	const char *dir;
	struct image_tar_result *res;
	struct err err;
	int rc;
};

static void *extract_run(void *arg)
{
	struct extract_job *j = arg;
	j->rc = image_tar_extract(j->fd, j->dir, j->res, &j->err);
	close(TAKE_FD(j->fd));
	return NULL;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Streams the entry's data into an extraction thread, recording its tar-split. */
static int pump_layer(struct archive *a, int wfd, struct image_tarsplit *ts, const void *first,
		      size_t flen, struct err *e)
{
	bool open = write_all(wfd, first, flen) == 0;
	image_tarsplit_feed(ts, first, flen);
	while (a) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return err_invalid(e, "invalid archive: %s", archive_error_string(a));
		image_tarsplit_feed(ts, buf, n);
		open = open && write_all(wfd, buf, n) == 0;
	}
	return 0;
}

static int load_layer(struct image_load *ld, struct archive *a, const char *name, const void *first,
		      size_t flen, struct err *e)
{
	ld->layers = xrealloc(ld->layers, (ld->n_layers + 1) * sizeof(*ld->layers));
	struct ld_layer *l = xcalloc(1, sizeof(*l));
	ld->layers[ld->n_layers] = l;
	l->tmp = str_printf("%s/%zu", ld->tmp, ld->n_layers);
	l->path = str_dup(name);
	ld->n_layers++;
	_cleanup_free_ char *diff = str_printf("%s/diff", l->tmp);
	if (mkdir(l->tmp, 0700) < 0 || mkdir(diff, 0755) < 0)
		return err_sys(e, "mkdir %s", diff);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	struct extract_job job = {.fd = p[0], .dir = diff, .res = &l->res, .rc = -1};
	pthread_t t;
	int r = pthread_create(&t, NULL, extract_run, &job);
	if (r != 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(e, r, "start extraction thread");
	}
	struct image_tarsplit *ts = image_tarsplit_new();
	int pr = pump_layer(a, p[1], ts, first, flen, e);
	close(p[1]);
	pthread_join(t, NULL);
	l->split = image_tarsplit_finish(ts, &l->split_len, l->split_digest);
	image_tarsplit_free(ts);
	if (pr < 0)
		return -1;
	if (job.rc < 0) {
		*e = job.err;
		err_wrap(e, "layer %s", name);
		if (e->kind != ERR_INVALID)
			return -1; /* disk full and the like: no use going on */
		/* refused or broken: an error if the manifest names it (dockerd too only reads
		 * the layers it needs) */
		l->failed = true;
		l->err = *e;
		err_clear(e);
	}
	return 0;
}

static bool looks_like_json(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
		p++;
		n--;
	}
	return n && (*p == '{' || *p == '[');
}

static int load_file(struct image_load *ld, struct archive *a, const char *name, struct err *e)
{
	const void *buf = "";
	size_t n = 0;
	la_int64_t off;
	int r = archive_read_data_block(a, &buf, &n, &off);
	if (r == ARCHIVE_EOF) {
		buf = "";
		n = 0;
	} else if (r < ARCHIVE_WARN) {
		return err_invalid(e, "invalid archive: %s", archive_error_string(a));
	}
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	bool layer = !strcmp(base, "layer.tar") || str_has_suffix(base, ".tar") ||
		     str_has_suffix(base, ".tar.gz") ||
		     (str_has_prefix(name, "blobs/") && n > 0 && !looks_like_json(buf, n));
	if (layer)
		return load_layer(ld, a, name, buf, n, e);
	return keep_blob(ld, a, name, buf, n, e);
}

static int read_entry(struct image_load *ld, struct archive *a, struct archive_entry *ent,
		      struct err *e)
{
	const char *raw = archive_entry_pathname(ent);
	_cleanup_free_ char *name = image_tar_clean_name(raw, e);
	if (!name) {
		ld->unsafe = true;
		return -1;
	}
	if (archive_entry_hardlink(ent) || archive_entry_filetype(ent) == AE_IFLNK)
		return add_alias(ld, ent, name, e);
	if (archive_entry_filetype(ent) != AE_IFREG)
		return 0;
	return load_file(ld, a, name, e);
}

static int read_archive(struct image_load *ld, struct err *e)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	int r = 0;
	if (archive_read_open_fd(a, ld->rfd, 128 * 1024) != ARCHIVE_OK)
		r = err_invalid(e, "invalid archive: %s", archive_error_string(a));
	size_t entries = 0;
	while (r == 0) {
		struct archive_entry *ent;
		int k = archive_read_next_header(a, &ent);
		if (k == ARCHIVE_EOF)
			break;
		if (k < ARCHIVE_WARN) {
			r = err_invalid(e, "invalid archive: %s", archive_error_string(a));
			break;
		}
		entries++;
		r = read_entry(ld, a, ent, e);
	}
	if (r == 0 && !entries)
		r = err_invalid(e, "invalid archive: no entries");
	archive_read_free(a);
	return r;
}

static void *load_worker(void *arg)
{
	struct image_load *ld = arg;
	ld->rc = read_archive(ld, &ld->err);
	/* the rest of the body is read and dropped so that the writer never blocks */
	char buf[16384];
	while (read(ld->rfd, buf, sizeof(buf)) > 0)
		;
	close(TAKE_FD(ld->rfd));
	return NULL;
}

struct image_load *image_load_start(struct image_store *s, struct err *e)
{
	struct image_load *ld = xcalloc(1, sizeof(*ld));
	ld->s = s;
	ld->rfd = ld->wfd = -1;
	ld->tmp = str_printf("%s/" STORE_TMP_PREFIX "load-XXXXXX", s->layers_dir);
	int p[2];
	if (!mkdtemp(ld->tmp)) {
		err_sys(e, "create temporary load directory");
		free(TAKE_PTR(ld->tmp));
	} else if (pipe2(p, O_CLOEXEC) < 0) {
		err_sys(e, "pipe");
	} else {
		ld->rfd = p[0];
		ld->wfd = p[1];
		fcntl(ld->wfd, F_SETPIPE_SZ, 1 << 20);
		int r = pthread_create(&ld->worker, NULL, load_worker, ld);
		if (r == 0) {
			ld->started = true;
			return ld;
		}
		err_errno(e, r, "start load thread");
	}
	image_load_free(ld);
	return NULL;
}

int image_load_write(struct image_load *ld, const void *data, size_t len)
{
	if (ld->wfd < 0)
		return -1;
	if (write_all(ld->wfd, data, len) < 0) {
		close(TAKE_FD(ld->wfd));
		return -1;
	}
	return 0;
}

static void load_wait(struct image_load *ld)
{
	if (ld->wfd >= 0)
		close(TAKE_FD(ld->wfd));
	if (ld->started) {
		pthread_join(ld->worker, NULL);
		ld->started = false;
	}
}

int image_load_finish(struct image_load *ld, struct image_load_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	res->lines = xcalloc(1, sizeof(char *));
	res->ids = xcalloc(1, sizeof(char *));
	res->layers = json_array();
	ld->added = json_incref(res->layers);
	load_wait(ld);
	int r;
	if (ld->rc < 0) {
		*e = ld->err;
		res->unsafe = ld->unsafe;
		r = -1;
	} else {
		r = load_commit(ld, res, e);
	}
	/* gone before the client hears the outcome: layers not registered are dropped */
	fs_rm_rf(ld->tmp, NULL);
	free(TAKE_PTR(ld->tmp));
	return r;
}

void image_load_result_release(struct image_load_result *res)
{
	strv_free(res->lines);
	strv_free(res->ids);
	json_decref(res->layers);
	res->lines = res->ids = NULL;
	res->layers = NULL;
}

void image_load_free(struct image_load *ld)
{
	if (!ld)
		return;
	load_wait(ld);
	if (ld->rfd >= 0)
		close(ld->rfd);
	if (ld->tmp)
		fs_rm_rf(ld->tmp, NULL);
	free(ld->tmp);
	for (size_t i = 0; i < ld->n_blobs; i++) {
		free(ld->blobs[i].path);
		free(ld->blobs[i].data);
	}
	for (size_t i = 0; i < ld->n_layers; i++) {
		free(ld->layers[i]->path);
		free(ld->layers[i]->tmp);
		free(ld->layers[i]->split);
		free(ld->layers[i]);
	}
	for (size_t i = 0; i < ld->n_aliases; i++) {
		free(ld->aliases[i].path);
		free(ld->aliases[i].target);
	}
	json_decref(ld->added);
	free(ld->blobs);
	free(ld->layers);
	free(ld->aliases);
	free(ld);
}

int load_lookup(struct image_load *ld, const char *path, struct ld_blob **blob,
		struct ld_layer **layer, struct err *e)
{
	_cleanup_free_ char *p = image_tar_clean_name(path, NULL);
	if (!p) {
		ld->unsafe = true;
		return err_invalid(e, "invalid manifest: path '%s' refused", path);
	}
	*blob = NULL;
	*layer = NULL;
	for (int hops = 0; hops < 16; hops++) {
		bool moved = false;
		for (size_t i = 0; i < ld->n_aliases && !moved; i++) {
			if (!strcmp(ld->aliases[i].path, p)) {
				free(p);
				p = str_dup(ld->aliases[i].target);
				moved = true;
			}
		}
		if (!moved)
			break;
	}
	for (size_t i = 0; i < ld->n_blobs; i++)
		if (!strcmp(ld->blobs[i].path, p))
			*blob = &ld->blobs[i];
	for (size_t i = 0; i < ld->n_layers; i++)
		if (!strcmp(ld->layers[i]->path, p))
			*layer = ld->layers[i];
	if (!*blob && !*layer)
		return err_invalid(e, "invalid archive: %s is missing", path);
	return 0;
}

struct ld_layer *load_layer_from_blob(struct image_load *ld, const struct ld_blob *b, struct err *e)
{
	if (load_layer(ld, NULL, b->path, b->data, b->len, e) < 0)
		return NULL;
	return ld->layers[ld->n_layers - 1];
}
