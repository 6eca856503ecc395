/* build/from: FROM: the base (scratch, an earlier stage or an image, pulled through the
 * registry client when it is missing or --pull asks), the stage's run config from it (a
 * default PATH added), and the base's ONBUILD triggers run as steps of this stage. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "build/build_priv.h"
#include "build/words.h"
#include "engine/image_registry.h"
#include "image/changes.h"
#include "image/ref.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void on_progress(void *arg, json_t *msg)
{
	struct build *b = arg;
	if (b->o.quiet)
		json_decref(msg);
	else
		build_send(b, msg);
}

/* A registry key of X-Registry-Config ("https://index.docker.io/v1/", "host:5000") as the
 * domain of a reference. */
static char *key_domain(const char *key)
{
	const char *p = strstr(key, "://") ? strstr(key, "://") + 3 : key;
	_cleanup_free_ char *host = str_ndup(p, strcspn(p, "/"));
	if (!strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io"))
		return str_dup("docker.io");
	return TAKE_PTR(host);
}

/* The X-Registry-Auth value for name's registry out of the build's X-Registry-Config (a
 * base64 JSON object of AuthConfigs by registry), NULL when it has none. */
static char *auth_for(struct build *b, const char *name)
{
	const char *cfg = b->o.registry_auth;
	struct image_ref ref = {0};
	if (!cfg || !*cfg || image_ref_parse(name, &ref, NULL) < 0)
		return NULL;
	size_t len = 0;
	_cleanup_free_ char *raw = registry_base64_decode(cfg, &len);
	_cleanup_json_ json_t *all =
	    raw && len ? json_loads(raw, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	char *out = NULL;
	const char *k;
	json_t *v;
	json_object_foreach (all, k, v) {
		_cleanup_free_ char *dom = key_domain(k);
		if (out || !json_is_object(v) || strcmp(dom, ref.domain) != 0)
			continue;
		_cleanup_free_ char *js = jx_dumps(v);
		out = xmalloc(4 * ((strlen(js) + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)out, (unsigned char *)js, (int)strlen(js));
	}
	image_ref_release(&ref);
	return out;
}

static char *pull(struct build *b, const char *name, struct err *e)
{
	_cleanup_free_ char *auth = auth_for(b, name);
	struct engine_pull_opts po = {.image = name,
				      .platform = b->o.platform,
				      .auth = auth,
				      .progress = on_progress,
				      .arg = b};
	struct engine_pull *p = engine_image_pull_start(b->eng, &po, e);
	struct image *img = p ? engine_image_pull_run(p, e) : NULL;
	engine_image_pull_free(p);
	char *id = img ? str_dup(img->id) : NULL;
	image_put(img);
	return id;
}

char *build_resolve_image(struct build *b, const char *name, struct err *e)
{
	for (size_t i = 0; i < b->nstages; i++) {
		struct stage *s = &b->stages[i];
		if (s->result && s->name && !strcasecmp(s->name, name))
			return str_dup(s->result);
	}
	struct err miss = ERR_INIT;
	struct image *img = b->o.pull ? NULL : engine_image_get(b->eng, name, &miss);
	if (img) {
		char *id = str_dup(img->id);
		image_put(img);
		return id;
	}
	if (miss.kind == ERR_INVALID) {
		*e = miss;
		return NULL;
	}
	return pull(b, name, e);
}

static int check_platform(struct build *b, const struct df_instr *in, char *const *menv,
			  struct err *e)
{
	const char *p = df_flag(in, "platform");
	if (!p)
		return 0;
	_cleanup_free_ char *v = build_expand(p, b->df->escape, menv, e);
	if (!v)
		return -1;
	_cleanup_free_ char *host = str_printf("linux/%s", image_host_arch());
	if (*v && strcmp(v, "linux") && strcmp(v, host))
		return err_invalid(e, "\"%s\": unknown operating system or architecture", v);
	return 0;
}

/* The run config of a base: its Config, OnBuild taken out into *triggers. */
static json_t *base_config(struct build *b, const char *id, json_t **triggers, struct err *e)
{
	json_t *cfg = image_config_new_container_config();
	if (!id)
		return cfg;
	struct image *img = engine_image_get(b->eng, id, e);
	if (!img) {
		json_decref(cfg);
		return NULL;
	}
	json_object_update(cfg, (json_t *)image_container_config(img));
	image_put(img);
	*triggers = json_incref(json_object_get(cfg, "OnBuild"));
	json_object_set_new(cfg, "OnBuild", json_null());
	return cfg;
}

static int run_triggers(struct build *b, struct stage *st, json_t *triggers, struct err *e)
{
	size_t n = json_array_size(triggers), i;
	json_t *x;
	if (n == 0)
		return 0;
	build_say(b, "# Executing %zu build trigger%s\n", n, n > 1 ? "s" : "");
	json_array_foreach (triggers, i, x) {
		struct df_instr in;
		if (dockerfile_parse_line(json_string_value(x), b->df->escape, &in, e) < 0)
			return -1;
		int r = 0;
		if (!strcmp(in.cmd, "onbuild") || !strcmp(in.cmd, "from") ||
		    !strcmp(in.cmd, "maintainer"))
			r = err_invalid(e, "%s isn't allowed as an ONBUILD trigger", in.cmd);
		if (r == 0)
			r = build_dispatch(b, st, &in, e);
		df_instr_release(&in);
		if (r < 0)
			return -1;
	}
	return 0;
}

int build_from(struct build *b, struct stage *st, struct err *e)
{
	const struct df_instr *in = &b->df->v[st->first];
	_cleanup_strv_ char **menv = xcalloc(1, sizeof(char *));
	for (char **p = b->meta; p && *p; p++)
		if (strchr(*p, '='))
			strv_push(&menv, *p);
	if (check_platform(b, in, menv, e) < 0)
		return -1;
	_cleanup_strv_ char **w = build_expand_words(in->rest, b->df->escape, menv, e);
	if (!w)
		return -1;
	if (!w[0] || !*w[0])
		return err_invalid(e, "base name (%s) should not be blank", in->rest);
	bool scratch = !strcasecmp(w[0], "scratch");
	st->image = scratch ? NULL : build_resolve_image(b, w[0], e);
	if (!scratch && !st->image)
		return -1;
	_cleanup_json_ json_t *triggers = NULL;
	if (!(st->config = base_config(b, st->image, &triggers, e)))
		return -1;
	json_t *env = json_object_get(st->config, "Env");
	bool has_path = false;
	size_t i;
	json_t *x;
	json_array_foreach (env, i, x)
		has_path = has_path || str_has_prefix(json_string_value(x), "PATH=");
	if (!json_is_array(env))
		json_object_set_new(st->config, "Env", env = json_array());
	if (!has_path)
		json_array_append_new(env, json_string(DEFAULT_PATH));
	json_object_set_new(st->config, "Image", json_string(st->image ? st->image : ""));
	return run_triggers(b, st, triggers, e);
}
