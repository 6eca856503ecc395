/* build/dispatch: the steps that change only the image config (ENV, LABEL, CMD, USER, ...),
 * each committed as a layerless image with dockerd's "#(nop) " comment as its run command
 * (which is also the cache key), and the commit/cache helpers every step uses. */
#include <stdlib.h>
#include <string.h>

#include "build/build_priv.h"
#include "build/words.h"
#include "engine/build.h"
#include "engine/container.h"
#include "image/changes.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

json_t *build_shell(const struct stage *st)
{
	json_t *sh = json_object_get(st->config, "Shell");
	if (json_is_array(sh) && json_array_size(sh))
		return json_deep_copy(sh);
	return json_pack("[s,s]", "/bin/sh", "-c");
}

bool build_cache_probe(struct build *b, struct stage *st, const json_t *cconfig)
{
	if (b->o.nocache)
		return false;
	char *id = engine_build_cache_find(b->eng, st->image, cconfig, b->o.cachefrom);
	if (!id)
		return false;
	build_say(b, " ---> Using cache\n");
	free(st->image);
	st->image = id;
	return true;
}

int build_commit(struct build *b, struct stage *st, const char *container, const char *dir,
		 const json_t *cconfig, struct err *e)
{
	struct engine_build_commit o = {
	    .container = container,
	    .dir = dir,
	    .parent = st->image,
	    .config = st->config,
	    .cconfig = cconfig,
	    .author = st->maintainer,
	};
	struct image *img = engine_build_commit(b->eng, &o, e);
	if (!img)
		return -1;
	free(st->image);
	st->image = str_dup(img->id);
	image_put(img);
	return 0;
}

int build_commit_nop(struct build *b, struct stage *st, const char *comment, struct err *e)
{
	_cleanup_json_ json_t *cc = json_deep_copy(st->config);
	json_t *cmd = build_shell(st);
	json_array_append_new(cmd, json_string("#(nop) "));
	json_array_append_new(cmd, json_string(comment));
	json_object_set_new(cc, "Cmd", cmd);
	if (build_cache_probe(b, st, cc))
		return 0;
	if (!st->image) /* FROM scratch: no container to make */
		return build_commit(b, st, NULL, NULL, cc, e);
	/* as dockerd: the step's container (never started, so no layer) is committed, and
	 * "Running in" / "Removed intermediate container" tell about it */
	_cleanup_free_ char *cid = build_container_create(b, st, cc, true, e);
	return cid ? build_commit(b, st, cid, NULL, cc, e) : -1;
}

/* Go's %q of a []string: ["a" "b"]. */
static char *go_quote_list(const json_t *arr)
{
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (arr, i, x) {
		_cleanup_json_ json_t *s = json_incref(x);
		_cleanup_free_ char *q = json_dumps(s, JSON_ENCODE_ANY);
		strv_push(&v, q);
	}
	_cleanup_free_ char *j = strv_join(v, " ");
	return str_printf("[%s]", j);
}

/* Go's %v of a []string: [a b]. */
static char *go_list(char *const *v)
{
	_cleanup_free_ char *j = strv_join((char **)v, " ");
	return str_printf("[%s]", j);
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *member(json_t *cfg, const char *key)
{
	json_t *o = json_object_get(cfg, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(cfg, key, o);
	}
	return o;
}

/* ENV and LABEL. */
static int do_pairs(struct build *b, struct stage *st, const struct df_instr *in, bool env,
		    struct err *e)
{
	const char *ins = env ? "ENV" : "LABEL";
	_cleanup_strv_ char **benv = build_args_env(b, st);
	_cleanup_strv_ char **keys = NULL, **vals = NULL;
	if (build_parse_pairs(ins, in->rest, b->df->escape, benv, &keys, &vals, false, e) < 0)
		return -1;
	_cleanup_strv_ char **parts = xcalloc(1, sizeof(char *));
	strv_push(&parts, ins);
	_cleanup_strv_ char **cenv = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(st->config, "Env"), i, x)
		strv_push(&cenv, json_string_value(x));
	for (size_t k = 0; keys[k]; k++) {
		strv_push_take(&parts, str_printf("%s=%s", keys[k], vals[k]));
		if (env)
			build_env_set(&cenv, keys[k], vals[k]);
		else
			json_object_set_new(member(st->config, "Labels"), keys[k],
					    json_string(vals[k]));
	}
	if (env)
		json_object_set_new(st->config, "Env", strv_json(cenv));
	_cleanup_free_ char *comment = strv_join(parts, " ");
	return build_commit_nop(b, st, comment, e);
}

/* CMD and ENTRYPOINT: the exec form as is, the shell form through the SHELL. */
static int do_command(struct build *b, struct stage *st, const struct df_instr *in, bool ep,
		      struct err *e)
{
	json_t *cmd;
	if (in->json) {
		cmd = strv_json(in->json);
	} else {
		cmd = build_shell(st);
		json_array_append_new(cmd, json_string(in->rest));
	}
	json_object_set_new(st->config, ep ? "Entrypoint" : "Cmd", cmd);
	if (ep && !st->cmd_set)
		json_object_set_new(st->config, "Cmd", json_null());
	if (!ep)
		st->cmd_set = true;
	json_object_del(st->config, "ArgsEscaped");
	_cleanup_free_ char *q = go_quote_list(cmd);
	_cleanup_free_ char *comment = str_printf("%s %s", ep ? "ENTRYPOINT" : "CMD", q);
	return build_commit_nop(b, st, comment, e);
}

static int do_expose(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	_cleanup_strv_ char **env = build_args_env(b, st);
	_cleanup_strv_ char **words = build_expand_words(in->rest, b->df->escape, env, e);
	if (!words)
		return -1;
	if (!words[0])
		return err_invalid(e, "EXPOSE requires at least one argument");
	for (char **w = words; *w; w++)
		if (changes_add_ports(member(st->config, "ExposedPorts"), *w, e) < 0)
			return -1;
	_cleanup_free_ char *list = strv_join(words, " ");
	_cleanup_free_ char *comment = str_printf("EXPOSE %s", list);
	return build_commit_nop(b, st, comment, e);
}

static int do_volume(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	_cleanup_strv_ char **env = build_args_env(b, st);
	_cleanup_strv_ char **vols =
	    in->json ? strv_copy(in->json) : build_expand_words(in->rest, b->df->escape, env, e);
	if (!vols)
		return -1;
	if (!vols[0])
		return err_invalid(e, "VOLUME requires at least one argument");
	for (char **v = vols; *v; v++) {
		if (!**v)
			return err_invalid(e, "VOLUME specified can not be an empty string");
		json_object_set_new(member(st->config, "Volumes"), *v, json_object());
	}
	_cleanup_free_ char *l = go_list(vols);
	_cleanup_free_ char *comment = str_printf("VOLUME %s", l);
	return build_commit_nop(b, st, comment, e);
}

/* USER, STOPSIGNAL, MAINTAINER, WORKDIR: one expanded word. */
static int do_single(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	_cleanup_strv_ char **env = build_args_env(b, st);
	bool maint = !strcmp(in->cmd, "maintainer");
	_cleanup_free_ char *v =
	    maint ? str_dup(in->rest) : build_expand(in->rest, b->df->escape, env, e);
	if (!v)
		return -1;
	if (!*v)
		return err_invalid(e, "%s requires exactly one argument", in->cmd);
	if (!strcmp(in->cmd, "user")) {
		json_object_set_new(st->config, "User", json_string(v));
	} else if (maint) {
		free(st->maintainer);
		st->maintainer = str_dup(v);
	} else if (!strcmp(in->cmd, "stopsignal")) {
		int sig;
		if (container_signal_parse(v, &sig, e) < 0)
			return -1;
		json_object_set_new(st->config, "StopSignal", json_string(v));
	} else {
		const char *cur = json_string_value(json_object_get(st->config, "WorkingDir"));
		_cleanup_free_ char *j =
		    v[0] == '/' ? str_dup(v) : str_printf("/%s/%s", cur ? cur : "", v);
		_cleanup_free_ char *clean = path_clean(j);
		json_object_set_new(st->config, "WorkingDir", json_string(clean));
		return build_workdir(b, st, e);
	}
	_cleanup_free_ char *up = str_dup(in->cmd);
	for (char *p = up; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	_cleanup_free_ char *comment = str_printf("%s %s", up, v);
	return build_commit_nop(b, st, comment, e);
}

static int do_misc(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	_cleanup_free_ char *comment = NULL;
	if (!strcmp(in->cmd, "shell")) {
		if (!in->json || !in->json[0])
			return err_invalid(e, "SHELL requires the arguments to be in JSON form");
		json_object_set_new(st->config, "Shell", strv_json(in->json));
		_cleanup_free_ char *l = go_list(in->json);
		comment = str_printf("SHELL %s", l);
	} else if (!strcmp(in->cmd, "healthcheck")) {
		_cleanup_free_ char *line = strv_join(in->flags, " ");
		_cleanup_free_ char *all = str_printf("%s %s", line, in->rest);
		if (changes_apply_healthcheck(st->config, all, e) < 0)
			return -1;
		comment = str_printf("HEALTHCHECK %s", all);
	} else if (!strcmp(in->cmd, "onbuild")) {
		json_t *ob = json_object_get(st->config, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(st->config, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(in->rest));
		comment = str_printf("ONBUILD %s", in->rest);
	} else { /* arg */
		if (build_args_declare(b, st, in, e) < 0)
			return -1;
		comment = str_printf("ARG %s", in->rest);
	}
	return build_commit_nop(b, st, comment, e);
}

int build_dispatch(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	const char *c = in->cmd;
	if (!strcmp(c, "run"))
		return build_run_step(b, st, in, e);
	if (!strcmp(c, "copy") || !strcmp(c, "add"))
		return build_copy(b, st, in, c[0] == 'a', e);
	if (!strcmp(c, "env") || !strcmp(c, "label"))
		return do_pairs(b, st, in, c[0] == 'e', e);
	if (!strcmp(c, "cmd") || !strcmp(c, "entrypoint"))
		return do_command(b, st, in, c[0] == 'e', e);
	if (!strcmp(c, "expose"))
		return do_expose(b, st, in, e);
	if (!strcmp(c, "volume"))
		return do_volume(b, st, in, e);
	if (!strcmp(c, "user") || !strcmp(c, "stopsignal") || !strcmp(c, "maintainer") ||
	    !strcmp(c, "workdir"))
		return do_single(b, st, in, e);
	if (!strcmp(c, "from"))
		return err_invalid(e, "FROM inside a stage");
	return do_misc(b, st, in, e);
}
