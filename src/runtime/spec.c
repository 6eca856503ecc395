/* spec: loads config.json and parses its portable part (version, process, root, hostname,
 * mounts, hooks, annotations); the linux section is in spec_linux.c. */
#include "runtime/spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/spec_priv.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

char *spec_field(const char *ctx, const char *key)
{
	if (!ctx || !*ctx)
		return str_dup(key);
	return str_printf("%s.%s", ctx, key);
}

char *spec_field_index(const char *ctx, const char *key, size_t i)
{
	if (!ctx || !*ctx)
		return str_printf("%s[%zu]", key, i);
	return str_printf("%s.%s[%zu]", ctx, key, i);
}

int spec_get_u32(const json_t *o, const char *key, const char *ctx, uint32_t *out, bool *present,
		 struct err *e)
{
	uint64_t v = 0;
	bool have = false;
	if (jx_u64(o, key, ctx, &v, &have, e) < 0)
		return -1;
	if (have && v > UINT32_MAX) {
		_cleanup_free_ char *f = spec_field(ctx, key);
		return err_invalid(e, "%s: %llu is out of range (0..4294967295)", f,
				   (unsigned long long)v);
	}
	if (have)
		*out = (uint32_t)v;
	if (present)
		*present = have;
	return 0;
}

int spec_get_str_req(const json_t *o, const char *key, const char *ctx, const char **out,
		     struct err *e)
{
	const char *v = NULL;
	if (jx_str(o, key, ctx, &v, e) < 0)
		return -1;
	if (!v || !*v) {
		_cleanup_free_ char *f = spec_field(ctx, key);
		return err_invalid(e, "%s: %s", f, v ? "must not be empty" : "missing");
	}
	*out = v;
	return 0;
}

json_t *spec_array_obj(const json_t *a, size_t i, const char *ctx, const char *key, struct err *e)
{
	json_t *o = json_array_get(a, i);
	if (!json_is_object(o)) {
		_cleanup_free_ char *f = spec_field_index(ctx, key, i);
		err_invalid(e, "%s: expected object, got %s", f, o ? jx_type_name(o) : "nothing");
		return NULL;
	}
	return o;
}

int spec_check_str_map(const json_t *o, const char *field, struct err *e)
{
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)o, k, v) {
		if (!json_is_string(v))
			return err_invalid(e, "%s.%s: expected string, got %s", field, k,
					   jx_type_name(v));
	}
	return 0;
}

/* The bundle as an absolute path: relative paths in config.json are resolved against it. */
static char *bundle_abs(const char *bundle, struct err *e)
{
	if (bundle && bundle[0] == '/')
		return path_clean(bundle);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (!cwd) {
		err_sys(e, "getcwd");
		return NULL;
	}
	return path_join(cwd, bundle && *bundle ? bundle : ".");
}

static int parse_root(const json_t *j, const char *bundle, struct spec *s, struct err *e)
{
	json_t *root = NULL;
	const char *path = NULL;
	if (jx_obj(j, "root", NULL, &root, e) < 0)
		return -1;
	if (!root)
		return err_invalid(e, "root: missing, a container needs a root filesystem");
	if (spec_get_str_req(root, "path", "root", &path, e) < 0 ||
	    jx_bool(root, "readonly", "root", &s->root_readonly, e) < 0)
		return -1;
	s->root_path = path[0] == '/' ? path_clean(path) : path_join(bundle, path);
	struct stat st;
	if (stat(s->root_path, &st) < 0)
		return err_set(e, ERR_INVALID, errno, "root.path: %s: %s", s->root_path,
			       errno == ENOENT ? "does not exist" : strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ERR_INVALID, ENOTDIR, "root.path: %s is not a directory",
			       s->root_path);
	return 0;
}

static int parse_mount(const json_t *o, const char *ctx, const char *bundle, struct spec_mount *m,
		       struct err *e)
{
	const char *dest = NULL, *type = NULL, *source = NULL;
	if (spec_get_str_req(o, "destination", ctx, &dest, e) < 0 ||
	    jx_str(o, "type", ctx, &type, e) < 0 || jx_str(o, "source", ctx, &source, e) < 0 ||
	    jx_strv(o, "options", ctx, &m->options, e) < 0)
		return -1;
	if (dest[0] != '/')
		return err_invalid(e, "%s.destination: must be an absolute path", ctx);
	if (spec_mount_options(m, m->options, e) < 0)
		return -1;
	m->destination = str_dup(dest);
	m->type = type && *type ? str_dup(type) : NULL;
	if (m->bind && (!source || !*source))
		return err_invalid(e, "%s.source: missing, a bind mount needs a source", ctx);
	/* As runc: a relative bind source is relative to the bundle; for other mounts the
	 * source is a name ("proc", "tmpfs") and stays as given. */
	if (m->bind && source[0] != '/')
		m->source = path_join(bundle, source);
	else
		m->source = source && *source ? str_dup(source) : NULL;
	return 0;
}

static int parse_mounts(const json_t *j, const char *bundle, struct spec *s, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(j, "mounts", NULL, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	s->mounts = xcalloc(json_array_size(a) + 1, sizeof(*s->mounts));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = spec_array_obj(a, i, NULL, "mounts", e);
		_cleanup_free_ char *c = spec_field_index(NULL, "mounts", i);
		/* Counted first so that spec_free releases a half-parsed entry too. */
		s->n_mounts++;
		if (!o || parse_mount(o, c, bundle, &s->mounts[i], e) < 0)
			return -1;
	}
	return 0;
}

static const char *const hook_keys[HOOK_KIND_COUNT] = {
    [HOOK_PRESTART] = "prestart",
    [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer",
    [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart",
    [HOOK_POSTSTOP] = "poststop",
};

static int parse_hook(const json_t *o, const char *ctx, struct spec_hook *h, struct err *e)
{
	const char *path = NULL;
	int64_t timeout = 0;
	if (spec_get_str_req(o, "path", ctx, &path, e) < 0 ||
	    jx_strv(o, "args", ctx, &h->args, e) < 0 || jx_strv(o, "env", ctx, &h->env, e) < 0 ||
	    jx_i64(o, "timeout", ctx, &timeout, &h->has_timeout, e) < 0)
		return -1;
	if (path[0] != '/')
		return err_invalid(e, "%s.path: must be an absolute path, got '%s'", ctx, path);
	if (h->has_timeout && (timeout <= 0 || timeout > INT32_MAX))
		return err_invalid(e, "%s.timeout: must be a positive number of seconds", ctx);
	h->path = str_dup(path);
	h->timeout = (int)timeout;
	return 0;
}

int spec_hooks_parse(const json_t *hooks, struct spec_hooks *h, struct err *e)
{
	for (int k = 0; k < HOOK_KIND_COUNT; k++) {
		json_t *a = NULL;
		if (jx_arr(hooks, hook_keys[k], "hooks", &a, e) < 0)
			return -1;
		if (!a)
			continue;
		h->list[k] = xcalloc(json_array_size(a) + 1, sizeof(struct spec_hook));
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *o = spec_array_obj(a, i, "hooks", hook_keys[k], e);
			_cleanup_free_ char *c = spec_field_index("hooks", hook_keys[k], i);
			h->n[k]++;
			if (!o || parse_hook(o, c, &h->list[k][i], e) < 0)
				return -1;
		}
	}
	return 0;
}

void spec_hooks_release(struct spec_hooks *h)
{
	for (int k = 0; k < HOOK_KIND_COUNT; k++) {
		for (size_t i = 0; i < h->n[k]; i++) {
			free(h->list[k][i].path);
			strv_free(h->list[k][i].args);
			strv_free(h->list[k][i].env);
		}
		free(h->list[k]);
		h->list[k] = NULL;
		h->n[k] = 0;
	}
}

static int parse_names(const json_t *j, struct spec *s, struct err *e)
{
	const char *version = NULL, *hostname = NULL, *domainname = NULL;
	json_t *hooks = NULL;
	if (jx_str(j, "ociVersion", NULL, &version, e) < 0 ||
	    jx_str(j, "hostname", NULL, &hostname, e) < 0 ||
	    jx_str(j, "domainname", NULL, &domainname, e) < 0 ||
	    jx_obj(j, "annotations", NULL, &s->annotations, e) < 0 ||
	    spec_check_str_map(s->annotations, "annotations", e) < 0 ||
	    jx_obj(j, "hooks", NULL, &hooks, e) < 0 || spec_hooks_parse(hooks, &s->hooks, e) < 0)
		return -1;
	s->oci_version = version ? str_dup(version) : NULL;
	s->hostname = hostname && *hostname ? str_dup(hostname) : NULL;
	s->domainname = domainname && *domainname ? str_dup(domainname) : NULL;
	return 0;
}

static int spec_parse(struct spec *s, const char *bundle, struct err *e)
{
	const json_t *j = s->json;
	if (!json_is_object(j))
		return err_invalid(e, "config: expected object, got %s", jx_type_name(j));
	if (parse_names(j, s, e) < 0)
		return -1;
	if (spec_process_parse(json_object_get(j, "process"), "process", &s->process, e) < 0)
		return -1;
	s->has_process = true;
	_cleanup_free_ char *base = bundle_abs(bundle, e);
	if (!base || parse_root(j, base, s, e) < 0 || parse_mounts(j, base, s, e) < 0 ||
	    spec_linux_parse(json_object_get(j, "linux"), s, e) < 0 ||
	    spec_linux_validate(s, e) < 0)
		return -1;
	return 0;
}

struct spec *spec_from_json(json_t *j, const char *bundle, struct err *e)
{
	struct spec *s = xcalloc(1, sizeof(*s));
	s->json = j;
	if (spec_parse(s, bundle, e) < 0) {
		spec_free(s);
		return NULL;
	}
	return s;
}

struct spec *spec_load(const char *bundle, struct err *e)
{
	_cleanup_free_ char *path = path_join(bundle && *bundle ? bundle : ".", "config.json");
	json_t *j = jx_load_file(path, e);
	if (!j)
		return NULL;
	return spec_from_json(j, bundle, e);
}

static void mounts_free(struct spec_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].destination);
		free(m[i].type);
		free(m[i].source);
		strv_free(m[i].options);
		free(m[i].data);
	}
	free(m);
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	if (s->has_process)
		spec_process_release(&s->process);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	mounts_free(s->mounts, s->n_mounts);
	spec_hooks_release(&s->hooks);
	spec_linux_release(s);
	json_decref(s->json);
	free(s);
}
