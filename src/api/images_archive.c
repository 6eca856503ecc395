/* api/images_archive: docker save (GET /images/get, /images/{name}/get: the archive is made
 * by a thread writing into a pipe that the chunked reply reads, api_reply_pipe), docker load
 * (POST /images/load: the body streamed into the loader, progress lines as dockerd sends
 * them) and POST /images/prune (filters dangling, until, label, label!). */
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/http.h"
#include "engine/image_archive.h"
#include "image/changes.h"
#include "image/progress.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

struct save_job {
	struct engine *eng;
	struct image_save *sv;
};

static int save_fill(void *arg, int fd)
{
	struct save_job *j = arg;
	struct err e = ERR_INIT;
	int rc = engine_image_save_write(j->eng, j->sv, fd, &e);
	if (rc < 0)
		log_warn("image save: %s", e.msg);
	return rc;
}

static void save_free(void *arg)
{
	struct save_job *j = arg;
	image_save_free(j->sv);
	free(j);
}

static void reply_save(struct api_req *req, char **names)
{
	struct err e = ERR_INIT;
	struct image_save *sv = engine_image_save_prepare(req->eng, names, &e);
	if (!sv) {
		api_reply_error(req, &e);
		return;
	}
	struct save_job *j = xcalloc(1, sizeof(*j));
	*j = (struct save_job){.eng = req->eng, .sv = sv};
	api_reply_pipe(req, "application/x-tar", save_fill, j, save_free, "start save thread");
}

void api_images_get(struct api_req *req)
{
	_cleanup_strv_ char **names = api_query_all(req, "names");
	reply_save(req, names);
}

void api_image_get(struct api_req *req)
{
	char *names[] = {(char *)api_param(req, "name"), NULL};
	reply_save(req, names);
}

/* --- load --- */

static int load_begin(struct api_req *req, struct err *e)
{
	req->state = engine_image_load_start(req->eng, e);
	return req->state ? 0 : -1;
}

static int load_data(struct api_req *req, const char *buf, size_t len, struct err *e)
{
	image_load_write(req->state, buf, len); /* a stopped reader reports at finish */
	return 0;
}

static void load_cleanup(struct api_req *req)
{
	image_load_free(req->state);
	req->state = NULL;
}

const struct api_body_ops api_images_load_body = {load_begin, load_data, load_cleanup};

static void append_line(char **out, json_t *msg)
{
	_cleanup_free_ char *s = jx_dumps(msg);
	json_decref(msg);
	char *t = str_printf("%s%s\r\n", *out, s);
	free(*out);
	*out = t;
}

/* A finished "Loading layer" bar per layer added, as dockerd's progress reader ends. */
static void append_progress(char **out, const json_t *layers)
{
	size_t i;
	json_t *l;
	json_array_foreach (layers, i, l) {
		const char *id = json_string_value(json_object_get(l, "id"));
		json_int_t size = json_integer_value(json_object_get(l, "size"));
		char hs[32], bar[128];
		progress_human_size(size, hs, sizeof(hs));
		snprintf(bar, sizeof(bar), "[%.49s>]  %s/%s",
			 "=================================================", hs, hs);
		append_line(out,
			    json_pack("{s:s, s:{s:I, s:I}, s:s, s:s%}", "status", "Loading layer",
				      "progressDetail", "current", size, "total", size, "progress",
				      bar, "id", image_digest_hex(id ? id : ""), (size_t)12));
	}
}

void api_images_load(struct api_req *req)
{
	struct err e = ERR_INIT;
	struct image_load_result res;
	char *out = str_dup("");
	if (engine_image_load_finish(req->eng, req->state, &res, &e) < 0) {
		if (res.unsafe) { /* refused entries: a plain 400, like import's */
			free(out);
			image_load_result_release(&res);
			api_reply_error(req, &e);
			return;
		}
		/* dockerd reports load errors inside the 200 stream (docker-py: ImageLoadError) */
		for (char **l = res.lines; *l; l++)
			append_line(&out, json_pack("{s:s}", "stream", *l));
		append_line(&out, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", e.msg,
					    "error", e.msg));
	} else {
		/* quiet defaults to true (dockerd); the CLI on a terminal asks for the bars */
		const char *q = api_query(req, "quiet");
		if (q && !api_query_bool(req, "quiet"))
			append_progress(&out, res.layers);
		for (char **l = res.lines; *l; l++)
			append_line(&out, json_pack("{s:s}", "stream", *l));
	}
	image_load_result_release(&res);
	api_reply_chunked(req, 200, "application/json", out);
}

/* --- prune --- */

struct prune_filters {
	json_t *f;
	int64_t until; /* ns, 0 = none */
};

static int prune_until(const json_t *f, int64_t *ns, struct err *e)
{
	size_t i;
	json_t *v;
	*ns = 0;
	json_array_foreach (api_filters_get(f, "until"), i, v) {
		const char *s = json_string_value(v);
		int64_t d;
		if (store_time_parse_unix(s, ns, NULL) == 0 || store_time_parse(s, ns, NULL) == 0)
			continue;
		if (changes_parse_duration(s, "until", &d, NULL) < 0)
			return err_invalid(e, "failed to parse value %s as a timestamp or duration",
					   s);
		*ns = store_time_now() - d;
	}
	return 0;
}

static bool prune_match(const struct image *img, void *arg)
{
	struct prune_filters *pf = arg;
	if (pf->until && img->created > pf->until)
		return false;
	json_t *labels = json_object_get(image_container_config(img), "Labels");
	if (api_filters_get(pf->f, "label") && !api_filters_match_labels(pf->f, "label", labels))
		return false;
	size_t i;
	json_t *v;
	json_array_foreach (api_filters_get(pf->f, "label!"), i, v) {
		_cleanup_json_ json_t *one = json_pack("{s:[O]}", "label", v);
		if (api_filters_match_labels(one, "label", labels))
			return false;
	}
	return true;
}

static const char *const prune_filter_names[] = {"dangling", "label", "label!", "until", NULL};

void api_images_prune(struct api_req *req)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *f = api_filters_parse(api_query(req, "filters"), &e);
	struct prune_filters pf = {f, 0};
	bool dangling = true;
	if (!f || api_filters_validate(f, prune_filter_names, &e) < 0 ||
	    api_filters_bool(f, "dangling", true, &dangling, &e) < 0 ||
	    prune_until(f, &pf.until, &e) < 0) {
		api_reply_error(req, &e);
		return;
	}
	struct image_rm_result res;
	int64_t reclaimed = 0;
	if (engine_image_prune(req->eng, dangling, prune_match, &pf, &res, &reclaimed, &e) < 0) {
		image_rm_result_release(&res);
		api_reply_error(req, &e);
		return;
	}
	json_t *items = res.n ? json_array() : json_null();
	for (size_t i = 0; i < res.n; i++)
		json_array_append_new(
		    items, json_pack("{s:s}", res.items[i].deleted ? "Deleted" : "Untagged",
				     res.items[i].ref));
	image_rm_result_release(&res);
	api_reply_json(req, 200,
		       json_pack("{s:o, s:I}", "ImagesDeleted", items, "SpaceReclaimed",
				 (json_int_t)reclaimed));
}
