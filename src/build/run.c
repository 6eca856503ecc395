/* build/run: RUN as the legacy builder does it: a container of the current image with the
 * command (build args in its environment), started with the build's host config, its output
 * streamed into the build's messages, then committed with the cache key as container_config. */
#include <stdlib.h>
#include <string.h>

#include "build/build_priv.h"
#include "build/words.h"
#include "engine/container.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static json_t *host_config(const struct build_opts *o)
{
	json_t *hc = json_pack("{s:s}", "NetworkMode",
			       o->networkmode && *o->networkmode ? o->networkmode : "default");
	json_t *hosts = json_array();
	for (char **h = o->extrahosts; h && *h; h++)
		json_array_append_new(hosts, json_string(*h));
	json_object_set_new(hc, "ExtraHosts", hosts);
	const struct {
		const char *key;
		int64_t v;
	} nums[] = {{"ShmSize", o->shmsize},	 {"Memory", o->memory},
		    {"MemorySwap", o->memswap},	 {"CpuShares", o->cpushares},
		    {"CpuPeriod", o->cpuperiod}, {"CpuQuota", o->cpuquota}};
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++)
		if (nums[i].v)
			json_object_set_new(hc, nums[i].key, json_integer(nums[i].v));
	if (o->cpusetcpus && *o->cpusetcpus)
		json_object_set_new(hc, "CpusetCpus", json_string(o->cpusetcpus));
	if (o->cpusetmems && *o->cpusetmems)
		json_object_set_new(hc, "CpusetMems", json_string(o->cpusetmems));
	if (o->cgroupparent && *o->cgroupparent)
		json_object_set_new(hc, "CgroupParent", json_string(o->cgroupparent));
	if (o->ulimits)
		json_object_set(hc, "Ulimits", o->ulimits);
	json_t *sec = json_array();
	for (char **p = o->securityopt; p && *p; p++)
		json_array_append_new(sec, json_string(*p));
	json_object_set_new(hc, "SecurityOpt", sec);
	return hc;
}

char *build_container_create(struct build *b, struct stage *st, json_t *cfg, bool announce,
			     struct err *e)
{
	/* a client that left makes no more containers: each would appear in lists and then
	 * vanish when the cancelled build removes it (docker-py's fire-and-forget builds) */
	if (build_gone(b)) {
		err_set(e, ERR_INTERNAL, 0, "Build cancelled");
		return NULL;
	}
	_cleanup_json_ json_t *body = json_deep_copy(cfg);
	json_object_set_new(body, "Image", json_string(st->image ? st->image : ""));
	json_object_set_new(body, "HostConfig", host_config(&b->o));
	_cleanup_json_ json_t *warnings = NULL;
	char *id = engine_container_create(b->eng, NULL, body, &warnings, e);
	if (!id)
		return NULL;
	strv_push(&b->containers, id);
	build_context_note_container(b, id);
	size_t i;
	json_t *w;
	json_array_foreach (warnings, i, w)
		build_say(b, " ---> [Warning] %s\n", json_string_value(w));
	if (announce)
		build_say(b, " ---> Running in %.12s\n", id);
	return id;
}

void build_container_remove(struct build *b, const char *id, bool announce)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *cid = str_dup(id);
	bool failed =
	    engine_container_remove(b->eng, cid, true, true, &e) < 0 && e.kind != ERR_NOT_FOUND;
	if (failed) {
		strv_push(&b->unremoved, cid);
		build_say(b, "Removing intermediate container %.12s: %s\n", cid, e.msg);
	} else if (announce)
		build_say(b, " ---> Removed intermediate container %.12s\n", cid);
	/* forgotten: not removed again at the end */
	for (char **p = b->containers; !failed && p && *p; p++) {
		if (!strcmp(*p, cid)) {
			free(*p);
			memmove(p, p + 1, (strv_len(p + 1) + 1) * sizeof(char *));
			break;
		}
	}
}

static bool gone_cb(void *arg)
{
	return build_gone(arg);
}

/* Streams the container's output until it stops. -1 when the client left. */
static int stream_output(struct build *b, const char *id, struct err *e)
{
	struct container_logs_opts lo = {
	    .stdout_ = true, .stderr_ = true, .follow = true, .tail = -1};
	bool tty;
	struct container_logs *l = engine_container_logs_open(b->eng, id, &lo, &tty, e);
	if (!l)
		return -1;
	int stream, r;
	char *text;
	size_t len;
	int64_t ns;
	while ((r = engine_container_logs_next(l, &stream, &text, &len, &ns, gone_cb, b)) == 1) {
		build_say_raw(b, text, len, stream == 2);
		free(text);
	}
	engine_container_logs_free(l);
	if (r < 0)
		return err_set(e, ERR_INTERNAL, 0, "Build cancelled");
	return 0;
}

/* Starts the container and waits for its exit; *code its status. When the client left, the
 * container is not started, or is killed, and removed at once as dockerd's builder does (only
 * this one: the earlier steps' stay as --rm/--force-rm say). */
static int run_container(struct build *b, const char *id, int *code, struct err *e)
{
	struct container_waiter *w = engine_container_wait_begin(b->eng, id, WAIT_NEXT_EXIT, e);
	if (!w)
		return -1;
	int r = build_gone(b) ? err_set(e, ERR_INTERNAL, 0, "Build cancelled")
			      : engine_container_start(b->eng, id, e);
	if (r == 0 && stream_output(b, id, e) < 0) {
		engine_container_kill(b->eng, id, NULL, NULL);
		r = -1;
	}
	if (r == 0 && engine_container_wait_end(w, 0, code) != 1)
		r = err_set(e, ERR_INTERNAL, 0, "Build cancelled");
	engine_container_wait_free(w);
	if (r < 0 && build_gone(b))
		build_container_remove(b, id, false);
	return r;
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* The cache key's command: "|N k=v... cmd" when build args apply (moby prependEnvOnCmd:
 * predefined proxy args only when declared, so they never bust the cache). */
static json_t *save_cmd(struct build *b, struct stage *st, char *const *args, json_t *cmd)
{
	_cleanup_strv_ char **keep = xcalloc(1, sizeof(char *));
	for (char *const *p = args; *p; p++) {
		size_t k = strcspn(*p, "=");
		_cleanup_free_ char *name = str_ndup(*p, k);
		bool declared = false;
		for (char **d = st->args; d && *d && !declared; d++)
			declared = !strncmp(*d, name, k) && ((*d)[k] == '=' || !(*d)[k]);
		if (declared || !build_arg_builtin(name))
			strv_push(&keep, *p);
	}
	qsort(keep, strv_len(keep), sizeof(char *), (int (*)(const void *, const void *))strcmp);
	json_t *out = json_pack("[s+]", "|", "");
	json_array_set_new(out, 0, json_sprintf("|%zu", strv_len(keep)));
	for (char **p = keep; *p; p++)
		json_array_append_new(out, json_string(*p));
	json_array_extend(out, cmd);
	return out;
}

/* The allowed build args whose names the config's Env does not set. */
static char **args_not_in_env(struct build *b, struct stage *st)
{
	_cleanup_strv_ char **allowed = build_args_allowed(b, st);
	char **v = xcalloc(1, sizeof(char *));
	json_t *env = json_object_get(st->config, "Env");
	for (char **p = allowed; *p; p++) {
		size_t k = strcspn(*p, "="), i;
		json_t *x;
		bool set = false;
		json_array_foreach (env, i, x) {
			const char *s = json_string_value(x);
			set = set || (s && !strncmp(s, *p, k) && s[k] == '=');
		}
		if (!set)
			strv_push(&v, *p);
	}
	return v;
}

static void message_for(const json_t *cmd, int code, struct err *e)
{
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (cmd, i, x)
		strv_push(&v, json_string_value(x));
	_cleanup_free_ char *j = strv_join(v, " ");
	err_set(e, ERR_INTERNAL, 0, "The command '%s' returned a non-zero code: %d", j, code);
}

int build_run_step(struct build *b, struct stage *st, const struct df_instr *in, struct err *e)
{
	if (in->flags[0])
		return err_invalid(e,
				   "the %s option requires BuildKit. Refer to "
				   "https://docs.docker.com/go/buildkit/ to learn how to build "
				   "images with BuildKit enabled",
				   in->flags[0]);
	_cleanup_json_ json_t *cmd = in->json ? strv_json(in->json) : build_shell(st);
	if (!in->json)
		json_array_append_new(cmd, json_string(in->rest));
	_cleanup_strv_ char **args = args_not_in_env(b, st);
	_cleanup_json_ json_t *probe = json_deep_copy(st->config);
	json_t *saved = args[0] ? save_cmd(b, st, args, cmd) : json_incref(cmd);
	json_object_set_new(probe, "Cmd", saved);
	json_object_set_new(probe, "Entrypoint", json_null());
	if (build_cache_probe(b, st, probe))
		return 0;
	_cleanup_json_ json_t *rc = json_deep_copy(st->config);
	json_object_set(rc, "Cmd", cmd);
	json_object_set_new(rc, "Entrypoint", json_array());
	json_t *env = json_object_get(rc, "Env");
	if (!json_is_array(env))
		json_object_set_new(rc, "Env", env = json_array());
	_cleanup_json_ json_t *extra = strv_json(args);
	json_array_extend(env, extra);
	json_object_set_new(rc, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
	_cleanup_free_ char *id = build_container_create(b, st, rc, true, e);
	int code = 0;
	if (!id || run_container(b, id, &code, e) < 0)
		return -1;
	if (code != 0) {
		message_for(cmd, code, e);
		b->fail_code = code;
		return -1;
	}
	return build_commit(b, st, id, NULL, probe, e);
}
