/* build/steps: running the plan: "Step i/n : <instruction>" per instruction, " ---> <id>"
 * after each, intermediate containers removed as --rm/--force-rm say, {"aux": {"ID"}} at the
 * end of each stage, the unused build-args warning, then "Successfully built" and the tags. */
#include <stdlib.h>
#include <string.h>

#include "build/build_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static const char *short_id(const char *id)
{
	if (!id)
		return "";
	return str_has_prefix(id, "sha256:") ? id + 7 : id;
}

static void step(struct build *b, const char *text)
{
	build_say(b, "Step %d/%d : %s\n", ++b->step, b->nsteps, text);
}

/* After an instruction: dockerd's dispatch removes the step's containers (all of them with
 * --force-rm, only after a success with --rm). */
static void cleanup_containers(struct build *b, bool ok)
{
	if (!b->o.forcerm && !(b->o.rm && ok))
		return;
	_cleanup_strv_ char **v = strv_copy(b->containers);
	for (char **p = v; p && *p; p++)
		build_container_remove(b, *p, true);
}

static int one(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	if (build_gone(b))
		return err_set(e, ERR_INTERNAL, 0, "Build cancelled");
	step(b, in->orig);
	int r = build_dispatch(b, st, in, e);
	cleanup_containers(b, r == 0);
	if (r < 0)
		return -1;
	json_object_set_new(st->config, "Image", json_string(st->image ? st->image : ""));
	build_say(b, " ---> %.12s\n", short_id(st->image));
	return 0;
}

/* --label options: a LABEL step at the end of the last stage, values taken literally. */
static int labels_step(struct build *b, struct stage *st, struct err *e)
{
	const char *k;
	json_t *v;
	_cleanup_strv_ char **parts = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **shown = xcalloc(1, sizeof(char *));
	json_object_foreach (b->o.labels, k, v) {
		_cleanup_json_ json_t *ks = json_string(k);
		_cleanup_free_ char *qk = json_dumps(ks, JSON_ENCODE_ANY);
		_cleanup_free_ char *qv = json_dumps(v, JSON_ENCODE_ANY);
		/* JSON's escapes of " and \ are the Dockerfile's; $ must not expand */
		_cleanup_strv_ char **kq = strv_split(qk, "$");
		_cleanup_strv_ char **vq = strv_split(qv, "$");
		_cleanup_free_ char *ke = strv_join(kq, "\\$"), *ve = strv_join(vq, "\\$");
		strv_push_take(&parts, str_printf("%s=%s", ke, ve));
		strv_push_take(&shown, str_printf("%s=%s", k, json_string_value(v)));
	}
	_cleanup_free_ char *rest = strv_join(parts, " ");
	_cleanup_free_ char *text = strv_join(shown, " ");
	struct df_instr in = {.cmd = str_dup("label"),
			      .orig = str_printf("LABEL %s", text),
			      .rest = str_dup(rest),
			      .flags = xcalloc(1, sizeof(char *))};
	int r = one(b, st, &in, e);
	df_instr_release(&in);
	return r;
}

static int stage(struct build *b, struct stage *st, bool last, struct err *e)
{
	b->cur = st;
	step(b, b->df->v[st->first].orig);
	int r = build_from(b, st, e);
	cleanup_containers(b, r == 0); /* the ONBUILD triggers' */
	if (r < 0)
		return -1;
	build_say(b, " ---> %.12s\n", short_id(st->image));
	for (size_t i = st->first + 1; i < st->end; i++)
		if (one(b, st, &b->df->v[i], e) < 0)
			return -1;
	if (last && json_object_size(b->o.labels) && labels_step(b, st, e) < 0)
		return -1;
	if (st->image)
		build_send(b, json_pack("{s:{s:s}}", "aux", "ID", st->image));
	st->result = st->image ? str_dup(st->image) : NULL;
	return 0;
}

static int tag_all(struct build *b, const char *id, struct err *e)
{
	for (char **t = b->o.tags; t && *t; t++) {
		_cleanup_free_ char *fam = engine_image_tag(b->eng, id, *t, NULL, e);
		if (!fam)
			return -1;
		build_say(b, "Successfully tagged %s\n", fam);
	}
	return 0;
}

static int run_all(struct build *b, struct err *e)
{
	for (size_t i = 0; i < b->nmeta; i++) {
		step(b, b->df->v[i].orig);
		if (build_args_meta(b, &b->df->v[i], e) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->nstages; i++)
		if (stage(b, &b->stages[i], i + 1 == b->nstages, e) < 0)
			return -1;
	build_args_warn_unused(b);
	const char *id = b->stages[b->nstages - 1].result;
	if (!id)
		return err_set(e, ERR_INTERNAL, 0,
			       "No image was generated. Is your Dockerfile empty?");
	build_say(b, "Successfully built %.12s\n", short_id(id));
	if (tag_all(b, id, e) < 0)
		return -1;
	if (b->o.quiet)
		build_send(b, json_pack("{s:s+}", "stream", id, "\n"));
	return 0;
}

int build_run(struct build *b, int fd)
{
	b->out = fd;
	if (build_send_early(b) < 0)
		return -1;
	struct err e = ERR_INIT;
	if (run_all(b, &e) == 0)
		return 0;
	/* a client that left had its running step's container removed (run.c); the other
	 * containers go or stay as for any failed step: dockerd keeps them without --force-rm */
	if (!b->cancelled)
		build_fail(b, &e, b->fail_code);
	cleanup_containers(b, false);
	return -1;
}
