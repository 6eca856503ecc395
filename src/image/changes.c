/* image/changes: dispatch of change instructions onto a container config (moby's
 * BuildFromConfig: parse every line, check each is a commit command, then apply in order). */
#include "image/changes.h"

#include <ctype.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

struct change_state {
	json_t *cfg;
	bool cmd_set;
};

json_t *image_config_new_container_config(void)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, s:n, s:s, s:n, s:s, "
			 "s:n, s:n, s:n}",
			 "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0,
			 "AttachStdout", 0, "AttachStderr", 0, "Tty", 0, "OpenStdin", 0,
			 "StdinOnce", 0, "Env", "Cmd", "Image", "", "Volumes", "WorkingDir", "",
			 "Entrypoint", "OnBuild", "Labels");
}

/* The config's Env as a vector (borrowed strings are copied). */
static char **config_env(const json_t *cfg)
{
	char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(cfg, "Env"), i, x) {
		if (json_is_string(x))
			strv_push(&v, json_string_value(x));
	}
	return v;
}

/* JSON exec form ["a","b"] -> array; otherwise NULL (shell form). */
static json_t *exec_form(const char *rest)
{
	if (rest[0] != '[')
		return NULL;
	json_t *j = json_loads(rest, JSON_DECODE_ANY, NULL);
	bool strings = json_is_array(j);
	size_t i;
	json_t *x;
	json_array_foreach (j, i, x) {
		strings = strings && json_is_string(x);
	}
	if (!strings) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *command_form(const char *rest)
{
	json_t *j = exec_form(rest);
	return j ? j : json_pack("[s,s,s]", "/bin/sh", "-c", rest);
}

static json_t *object_member(json_t *cfg, const char *key)
{
	json_t *o = json_object_get(cfg, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(cfg, key, o);
	}
	return o;
}

static void env_set(json_t *cfg, const char *key, const char *value)
{
	json_t *env = json_object_get(cfg, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	_cleanup_free_ char *kv = str_printf("%s=%s", key, value);
	size_t i, klen = strlen(key);
	json_t *x;
	json_array_foreach (env, i, x) {
		const char *s = json_string_value(x);
		if (s && !strncmp(s, key, klen) && s[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

/* ENV and LABEL: "k=v k2=v2" or the legacy "k the rest". */
static int apply_pairs(struct change_state *st, const char *ins, const char *rest, struct err *e)
{
	_cleanup_strv_ char **env = config_env(st->cfg);
	_cleanup_strv_ char **words = changes_split_words(rest);
	if (!words[0])
		return err_invalid(e, "%s requires at least one argument", ins);
	bool legacy = !strchr(words[0], '=');
	for (char **w = words; *w; w++) {
		_cleanup_free_ char *raw_key = NULL, *raw_val = NULL;
		if (legacy) {
			raw_key = str_dup(words[0]);
			const char *v = rest + strlen(words[0]);
			while (isspace((unsigned char)*v))
				v++;
			if (!*v)
				return err_invalid(e, "%s must have two arguments", ins);
			raw_val = str_dup(v);
		} else {
			char *eq = strchr(*w, '=');
			if (!eq)
				return err_invalid(e,
						   "Syntax error - can't find = in \"%s\". Must be "
						   "of the form: name=value",
						   *w);
			raw_key = str_ndup(*w, (size_t)(eq - *w));
			raw_val = str_dup(eq + 1);
		}
		_cleanup_free_ char *key = changes_expand(raw_key, env, e);
		_cleanup_free_ char *val = key ? changes_expand(raw_val, env, e) : NULL;
		if (!val)
			return -1;
		if (!*key)
			return err_invalid(e, "%s names can not be blank", ins);
		if (!strcmp(ins, "ENV")) {
			env_set(st->cfg, key, val);
			strv_push_take(&env, str_printf("%s=%s", key, val));
		} else {
			json_object_set_new(object_member(st->cfg, "Labels"), key,
					    json_string(val));
		}
		if (legacy)
			break;
	}
	return 0;
}

static int apply_expose(struct change_state *st, const char *rest, struct err *e)
{
	_cleanup_strv_ char **env = config_env(st->cfg);
	_cleanup_strv_ char **words = changes_split_words(rest);
	if (!words[0])
		return err_invalid(e, "EXPOSE requires at least one argument");
	json_t *ports = object_member(st->cfg, "ExposedPorts");
	for (char **w = words; *w; w++) {
		_cleanup_free_ char *x = changes_expand(*w, env, e);
		if (!x)
			return -1;
		_cleanup_strv_ char **specs = strv_split(x, " \t");
		for (char **s = specs; *s; s++)
			if (changes_add_ports(ports, *s, e) < 0)
				return -1;
	}
	return 0;
}

static int apply_volume(struct change_state *st, const char *rest, struct err *e)
{
	_cleanup_json_ json_t *list = exec_form(rest);
	_cleanup_strv_ char **env = config_env(st->cfg);
	_cleanup_strv_ char **words = list ? NULL : changes_split_words(rest);
	json_t *vols = object_member(st->cfg, "Volumes");
	size_t n = list ? json_array_size(list) : strv_len(words);
	if (n == 0)
		return err_invalid(e, "VOLUME requires at least one argument");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *v = list ? str_dup(json_string_value(json_array_get(list, i)))
					      : changes_expand(words[i], env, e);
		if (!v)
			return -1;
		if (!*v)
			return err_invalid(e, "VOLUME specified can not be an empty string");
		json_object_set_new(vols, v, json_object());
	}
	return 0;
}

static int apply_workdir(struct change_state *st, const char *rest, struct err *e)
{
	_cleanup_strv_ char **env = config_env(st->cfg);
	_cleanup_free_ char *dir = changes_expand(rest, env, e);
	if (!dir)
		return -1;
	if (!*dir)
		return err_invalid(e, "WORKDIR requires exactly one argument");
	if (dir[0] == '/') {
		json_object_set_new(st->cfg, "WorkingDir", json_string(dir));
		return 0;
	}
	const char *cur = json_string_value(json_object_get(st->cfg, "WorkingDir"));
	_cleanup_free_ char *joined = str_printf("/%s/%s", cur ? cur : "", dir);
	_cleanup_free_ char *clean = path_clean(joined);
	json_object_set_new(st->cfg, "WorkingDir", json_string(clean));
	return 0;
}

static int dispatch(struct change_state *st, const char *ins, const char *rest, struct err *e)
{
	if (!strcmp(ins, "cmd")) {
		json_object_set_new(st->cfg, "Cmd", command_form(rest));
		st->cmd_set = true;
	} else if (!strcmp(ins, "entrypoint")) {
		json_object_set_new(st->cfg, "Entrypoint", command_form(rest));
		if (!st->cmd_set)
			json_object_set_new(st->cfg, "Cmd", json_null());
	} else if (!strcmp(ins, "env")) {
		return apply_pairs(st, "ENV", rest, e);
	} else if (!strcmp(ins, "label")) {
		return apply_pairs(st, "LABEL", rest, e);
	} else if (!strcmp(ins, "expose")) {
		return apply_expose(st, rest, e);
	} else if (!strcmp(ins, "volume")) {
		return apply_volume(st, rest, e);
	} else if (!strcmp(ins, "workdir")) {
		return apply_workdir(st, rest, e);
	} else if (!strcmp(ins, "user")) {
		_cleanup_strv_ char **env = config_env(st->cfg);
		_cleanup_free_ char *u = changes_expand(rest, env, e);
		if (!u)
			return -1;
		json_object_set_new(st->cfg, "User", json_string(u));
	} else if (!strcmp(ins, "onbuild")) {
		json_t *ob = json_object_get(st->cfg, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(st->cfg, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(rest));
	} else if (!strcmp(ins, "healthcheck")) {
		return changes_apply_healthcheck(st->cfg, rest, e);
	}
	return 0;
}

static const char *const commit_commands[] = {"cmd",	"entrypoint", "healthcheck", "env",
					      "expose", "label",      "onbuild",     "user",
					      "volume", "workdir"};

/* Splits the joined changes into logical lines (backslash continuations, comments). */
static char **change_lines(char *const *changes)
{
	_cleanup_free_ char *all = strv_join((char **)changes, "\n");
	char **lines = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *cur = str_dup("");
	for (char *p = all, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		_cleanup_free_ char *line = nl ? str_ndup(p, (size_t)(nl - p)) : str_dup(p);
		size_t n = strlen(line);
		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		const char *t = line;
		while (isspace((unsigned char)*t))
			t++;
		if (!*cur && (!*t || *t == '#'))
			continue;
		bool cont = n && line[n - 1] == '\\';
		if (cont)
			line[n - 1] = '\0';
		char *joined = str_printf("%s%s", cur, *cur ? line : t);
		free(cur);
		cur = joined;
		if (!cont) {
			strv_push_take(&lines, cur);
			cur = str_dup("");
		}
	}
	if (*cur)
		strv_push_take(&lines, TAKE_PTR(cur));
	return lines;
}

int image_changes_apply(json_t *config, char *const *changes, struct err *e)
{
	if (!changes || !changes[0])
		return 0;
	_cleanup_strv_ char **lines = change_lines(changes);
	size_t n = strv_len(lines);
	_cleanup_strv_ char **ins = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		size_t w = strcspn(lines[i], " \t");
		ins[i] = str_ndup(lines[i], w);
		for (char *p = ins[i]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		bool valid = false;
		for (size_t k = 0; k < ARRAY_SIZE(commit_commands); k++)
			valid = valid || !strcmp(ins[i], commit_commands[k]);
		if (!valid)
			return err_invalid(e, "%s is not a valid change command", ins[i]);
	}
	struct change_state st = {.cfg = config};
	for (size_t i = 0; i < n; i++) {
		const char *rest = lines[i] + strlen(ins[i]);
		while (isspace((unsigned char)*rest))
			rest++;
		if (dispatch(&st, ins[i], rest, e) < 0)
			return -1;
	}
	return 0;
}
