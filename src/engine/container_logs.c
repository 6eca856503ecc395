/* engine/container_logs: reading a container's json-file log back (rotated files oldest
 * first), with tail, since/until and the stream choice; follow waits for more lines while
 * the container runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container_logs_line.h"
#include "engine/container_priv.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"

struct container_logs {
	struct engine *eng;
	char id[ID_HEX_LEN + 1];
	struct container_logs_opts o;
	char **files; /* oldest first */
	size_t fi;
	FILE *f;
	int64_t skip; /* lines still to skip for tail */
	char *line;
	size_t cap;
	bool nowait; /* following: 2 instead of waiting for more */
};

void engine_container_logs_nowait(struct container_logs *l, bool on)
{
	l->nowait = on;
}

static char **log_files(const char *path)
{
	char **v = NULL;
	for (int i = 20; i >= 1; i--) {
		_cleanup_free_ char *p = str_printf("%s.%d", path, i);
		if (fs_exists(p))
			strv_push(&v, p);
	}
	strv_push(&v, path);
	return v;
}

static int64_t count_lines(char **files)
{
	int64_t n = 0;
	for (char **p = files; *p; p++) {
		_cleanup_fclose_ FILE *f = fopen(*p, "re");
		int ch;
		while (f && (ch = getc_unlocked(f)) != EOF)
			n += ch == '\n';
	}
	return n;
}

struct container_logs *engine_container_logs_open(struct engine *eng, const char *name,
						  const struct container_logs_opts *o, bool *tty,
						  struct err *e)
{
	struct container_io io;
	if (engine_container_io(eng, name, &io, e) < 0)
		return NULL;
	struct container_logs *l = xcalloc(1, sizeof(*l));
	l->eng = eng;
	snprintf(l->id, sizeof(l->id), "%s", io.id);
	l->o = *o;
	l->files = log_files(io.log_path);
	*tty = io.tty;
	container_io_release(&io);
	if (o->tail >= 0) {
		int64_t total = count_lines(l->files);
		l->skip = total > o->tail ? total - o->tail : 0;
	}
	return l;
}

void engine_container_logs_free(struct container_logs *l)
{
	if (!l)
		return;
	if (l->f)
		fclose(l->f);
	strv_free(l->files);
	free(l->line);
	free(l);
}

static bool still_running(struct container_logs *l)
{
	struct container_io io;
	if (engine_container_io(l->eng, l->id, &io, NULL) < 0)
		return false;
	bool r = io.running;
	container_io_release(&io);
	return r;
}

/* One decoded entry that passes the options (1, *out set), else 0. */
static int parse_entry(struct container_logs *l, const char *line, int *stream, json_t **out)
{
	json_t *j = json_loads(line, 0, NULL);
	if (!j)
		return 0;
	const char *s = json_string_value(json_object_get(j, "stream"));
	*stream = s && !strcmp(s, "stderr") ? 2 : 1;
	int64_t ns = 0;
	store_time_parse(json_string_value(json_object_get(j, "time")), &ns, NULL);
	json_object_set_new(j, "_ns", json_integer(ns));
	if ((*stream == 1 && !l->o.stdout_) || (*stream == 2 && !l->o.stderr_) ||
	    (l->o.since && ns < l->o.since) || (l->o.until && ns > l->o.until)) {
		json_decref(j);
		return 0;
	}
	*out = j;
	return 1;
}

int engine_container_logs_next(struct container_logs *l, int *stream, char **text, size_t *len,
			       int64_t *ns, bool (*gone)(void *), void *arg)
{
	for (;;) {
		if (!l->f) {
			if (!l->files[l->fi])
				return 0;
			l->f = fopen(l->files[l->fi], "re");
			if (!l->f) {
				if (l->files[l->fi + 1])
					l->fi++;
				else if (!l->o.follow || !still_running(l))
					return 0;
				else
					usleep(50000);
				continue;
			}
		}
		ssize_t n = getline(&l->line, &l->cap, l->f);
		if (n <= 0) {
			clearerr(l->f);
			if (l->files[l->fi + 1]) {
				fclose(l->f);
				l->f = NULL;
				l->fi++;
				continue;
			}
			if (!l->o.follow)
				return 0;
			bool running = still_running(l);
			/* one more pass after the exit: the last lines may have just arrived */
			if (!running && (n = getline(&l->line, &l->cap, l->f)) <= 0)
				return 0;
			if (n <= 0) {
				if (l->nowait)
					return 2;
				if (gone && gone(arg))
					return -1;
				usleep(50000);
				continue;
			}
		}
		if (l->line[n - 1] != '\n') {
			/* partial line: being written right now when following a running container
			 * (wait for the rest); else cut short for good (a full disk, a crash) and
			 * the end of this file, as dockerd's decoder stops at it */
			bool wait = l->o.follow && !l->files[l->fi + 1] && still_running(l);
			if (!wait && !l->files[l->fi + 1])
				return 0;
			if (!wait) {
				fclose(l->f);
				l->f = NULL;
				l->fi++;
				continue;
			}
			fseeko(l->f, -n, SEEK_CUR);
			usleep(10000);
			continue;
		}
		if (l->skip > 0) {
			l->skip--;
			continue;
		}
		struct logs_line ll;
		if (logs_line_decode(l->line, (size_t)n, &ll) == 0) {
			if ((ll.stream == 1 && !l->o.stdout_) ||
			    (ll.stream == 2 && !l->o.stderr_) ||
			    (l->o.since && ll.ns < l->o.since) ||
			    (l->o.until && ll.ns > l->o.until)) {
				free(ll.text);
				continue;
			}
			*stream = ll.stream;
			*text = ll.text;
			*len = ll.len;
			*ns = ll.ns;
			return 1;
		}
		json_t *j;
		if (!parse_entry(l, l->line, stream, &j))
			continue;
		json_t *lg = json_object_get(j, "log");
		*len = json_string_length(lg);
		*text = xmalloc(*len + 1);
		memcpy(*text, json_string_value(lg) ? json_string_value(lg) : "", *len);
		(*text)[*len] = '\0';
		*ns = json_integer_value(json_object_get(j, "_ns"));
		json_decref(j);
		return 1;
	}
}
