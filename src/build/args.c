/* build/args: build arguments as moby's BuildArgs: --build-arg values apply to ARGs the
 * Dockerfile declares (and to the predefined proxy variables), meta ARGs before FROM give
 * FROM lines and redeclared ARGs their defaults, and unused --build-args are warned about. */
#include <stdlib.h>
#include <string.h>

#include "build/build_priv.h"
#include "build/words.h"
#include "util/cleanup.h"
#include "util/str.h"

static const char *const builtin[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
				      "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",	 "no_proxy",
				      "ALL_PROXY",  "all_proxy",  NULL};

bool build_arg_builtin(const char *name)
{
	for (const char *const *p = builtin; *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

/* --build-arg's value of name: 1 with *v (NULL for a null value), 0 when not given. */
static int option_value(struct build *b, const char *name, const char **v)
{
	json_t *x = json_object_get(b->o.buildargs, name);
	if (!x)
		return 0;
	*v = json_string_value(x);
	return 1;
}

/* Replaces the declaration of the same name (k bytes) in *v, or appends decl. */
static void decl_set(char ***v, const char *decl, size_t k)
{
	for (char **p = *v; p && *p; p++) {
		if (!strncmp(*p, decl, k) && ((*p)[k] == '=' || !(*p)[k])) {
			free(*p);
			*p = str_dup(decl);
			return;
		}
	}
	strv_push(v, decl);
}

static void mark_used(struct build *b, const char *name)
{
	for (char **p = b->used; p && *p; p++)
		if (!strcmp(*p, name))
			return;
	strv_push(&b->used, name);
}

/* The effective "k=v" of a declaration "k=default" or "k" (NULL: no value). */
static char *effective(struct build *b, const char *decl, bool meta_fallback)
{
	size_t k = strcspn(decl, "=");
	_cleanup_free_ char *name = str_ndup(decl, k);
	const char *v = NULL;
	if (option_value(b, name, &v) && v)
		return str_printf("%s=%s", name, v);
	if (decl[k] == '=')
		return str_dup(decl);
	for (char **p = meta_fallback ? b->meta : NULL; p && *p; p++)
		if (!strncmp(*p, name, k) && (*p)[k] == '=')
			return str_dup(*p);
	return NULL;
}

char **build_args_allowed(struct build *b, struct stage *st)
{
	char **v = xcalloc(1, sizeof(char *));
	for (char **p = st->args; p && *p; p++) {
		char *kv = effective(b, *p, true);
		if (!kv)
			continue;
		size_t k = strcspn(kv, "=");
		_cleanup_free_ char *name = str_ndup(kv, k);
		build_env_set(&v, name, kv + k + 1);
		free(kv);
	}
	/* predefined proxy args apply without a declaration */
	for (const char *const *p = builtin; *p; p++) {
		const char *val = NULL;
		if (option_value(b, *p, &val) && val && !build_env_get(v, *p))
			build_env_set(&v, *p, val);
	}
	return v;
}

char **build_args_env(struct build *b, struct stage *st)
{
	char **env = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(st->config, "Env"), i, x) {
		if (json_is_string(x))
			strv_push(&env, json_string_value(x));
	}
	_cleanup_strv_ char **allowed = build_args_allowed(b, st);
	char **out = strv_copy(env);
	for (char **p = allowed; *p; p++) {
		size_t k = strcspn(*p, "=");
		_cleanup_free_ char *name = str_ndup(*p, k);
		if (!build_env_get(env, name))
			strv_push(&out, *p);
	}
	strv_free(env);
	return out;
}

int build_args_meta(struct build *b, const struct df_instr *in, struct err *e)
{
	_cleanup_strv_ char **menv = xcalloc(1, sizeof(char *));
	for (char **p = b->meta; p && *p; p++)
		if (strchr(*p, '='))
			strv_push(&menv, *p);
	_cleanup_strv_ char **decls = NULL, **unused = NULL;
	if (build_parse_pairs("ARG", in->rest, b->df->escape, menv, &decls, &unused, true, e) < 0)
		return -1;
	for (char **d = decls; *d; d++) {
		size_t k = strcspn(*d, "=");
		_cleanup_free_ char *name = str_ndup(*d, k);
		mark_used(b, name);
		char *kv = effective(b, *d, false);
		strv_push_take(&b->meta, kv ? kv : str_dup(name));
		if (kv)
			strv_push(&menv, kv);
	}
	return 0;
}

int build_args_declare(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	_cleanup_strv_ char **env = build_args_env(b, st);
	_cleanup_strv_ char **decls = NULL, **unused = NULL;
	if (build_parse_pairs("ARG", in->rest, b->df->escape, env, &decls, &unused, true, e) < 0)
		return -1;
	for (char **d = decls; *d; d++) {
		size_t k = strcspn(*d, "=");
		_cleanup_free_ char *name = str_ndup(*d, k);
		mark_used(b, name);
		decl_set(&st->args, *d, k);
	}
	return 0;
}

void build_args_warn_unused(struct build *b)
{
	_cleanup_strv_ char **left = xcalloc(1, sizeof(char *));
	const char *k;
	json_t *v;
	json_object_foreach (b->o.buildargs, k, v) {
		bool used = build_arg_builtin(k);
		for (char **p = b->used; p && *p && !used; p++)
			used = !strcmp(*p, k);
		if (!used)
			strv_push(&left, k);
	}
	if (!left[0])
		return;
	_cleanup_free_ char *list = strv_join(left, " ");
	build_say(b, "[Warning] One or more build-args [%s] were not consumed\n", list);
}
