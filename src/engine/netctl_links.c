/* engine/netctl_links: legacy --link on the default bridge: /etc/hosts entries for the
 * targets and the ALIAS_* environment moby's links.go makes (user networks resolve link
 * aliases in the embedded DNS instead, netctl_dns.c). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/container_priv.h"
#include "engine/netctl.h"
#include "engine/network.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* --link on the default bridge: "IP\talias id name" lines for /etc/hosts, from the
 * targets' addresses there; a target that isn't running is refused (as dockerd does). */
int netctl_link_hosts(struct engine *eng, const json_t *rec, char ***out, struct err *e)
{
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(json_object_get(rec, "HostConfig"), "Links"), i, v) {
		const char *l = json_string_value(v);
		const char *colon = l ? strchr(l, ':') : NULL;
		if (!colon)
			continue;
		_cleanup_free_ char *target =
		    str_ndup(l + (*l == '/'), (size_t)(colon - l - (*l == '/')));
		const char *alias = strrchr(colon, '/') ? strrchr(colon, '/') + 1 : colon + 1;
		struct container *t = container_get(eng, target, e);
		if (!t)
			return -1;
		pthread_mutex_lock(&eng->containers->mu);
		const char *ip = json_string_value(json_object_get(
		    json_object_get(
			json_object_get(json_object_get(t->rec, "NetworkSettings"), "Networks"),
			"bridge"),
		    "IPAddress"));
		bool run = container_running(t);
		_cleanup_free_ char *line =
		    run && ip && *ip ? str_printf("%s\t%s %.12s %s", ip, alias, t->id, target)
				     : NULL;
		pthread_mutex_unlock(&eng->containers->mu);
		container_put(eng, t);
		if (!run)
			return err_invalid(e, "Cannot link to a non running container: /%s AS %s",
					   target, colon + 1);
		if (line)
			strv_push_take(out, TAKE_PTR(line));
	}
	return 0;
}

/* One link's variables, as moby's links.go: ports sorted as JSON keys come, HOME and PATH
 * of the target left out. */
static void link_env_one(json_t *env, const char *me, const char *alias, const json_t *t)
{
	_cleanup_free_ char *up = str_dup(alias);
	for (char *p = up; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	const json_t *cfg = json_object_get(t, "Config");
	const char *ip = json_string_value(json_object_get(
	    json_object_get(json_object_get(json_object_get(t, "NetworkSettings"), "Networks"),
			    "bridge"),
	    "IPAddress"));
	json_array_append_new(env, json_sprintf("%s_NAME=/%s/%s", up, me, alias));
	const char *key;
	json_t *v;
	bool first = true;
	json_object_foreach ((json_t *)json_object_get(cfg, "ExposedPorts"), key, v) {
		int port = atoi(key);
		const char *slash = strchr(key, '/');
		const char *proto = slash ? slash + 1 : "tcp";
		_cleanup_free_ char *pu = str_dup(proto);
		for (char *p = pu; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (first)
			json_array_append_new(
			    env, json_sprintf("%s_PORT=%s://%s:%d", up, proto, ip ? ip : "", port));
		first = false;
		json_array_append_new(env, json_sprintf("%s_PORT_%d_%s=%s://%s:%d", up, port, pu,
							proto, ip ? ip : "", port));
		json_array_append_new(
		    env, json_sprintf("%s_PORT_%d_%s_ADDR=%s", up, port, pu, ip ? ip : ""));
		json_array_append_new(env,
				      json_sprintf("%s_PORT_%d_%s_PORT=%d", up, port, pu, port));
		json_array_append_new(env,
				      json_sprintf("%s_PORT_%d_%s_PROTO=%s", up, port, pu, proto));
	}
	size_t i;
	json_array_foreach (json_object_get(cfg, "Env"), i, v) {
		const char *s = json_string_value(v);
		const char *eq = s ? strchr(s, '=') : NULL;
		if (!eq || !strncmp(s, "HOME=", 5) || !strncmp(s, "PATH=", 5))
			continue;
		json_array_append_new(env, json_sprintf("%s_ENV_%s", up, s));
	}
}

void container_net_link_env(struct engine *eng, struct container *c, json_t *spec)
{
	json_t *env = json_object_get(json_object_get(spec, "process"), "env");
	const char *me = json_string_value(json_object_get(c->rec, "Name"));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(json_object_get(c->rec, "HostConfig"), "Links"), i, v) {
		const char *l = json_string_value(v);
		const char *colon = l ? strchr(l, ':') : NULL;
		if (!colon || !json_is_array(env))
			continue;
		_cleanup_free_ char *target =
		    str_ndup(l + (*l == '/'), (size_t)(colon - l - (*l == '/')));
		const char *alias = strrchr(colon, '/') ? strrchr(colon, '/') + 1 : colon + 1;
		struct container *t = container_get(eng, target, NULL);
		if (!t)
			continue;
		pthread_mutex_lock(&eng->containers->mu);
		link_env_one(env, me ? me + (*me == '/') : "", alias, t->rec);
		pthread_mutex_unlock(&eng->containers->mu);
		container_put(eng, t);
	}
}

int engine_container_link_remove(struct engine *eng, const char *container, const char *alias,
				 struct err *e)
{
	struct container *c = container_get(eng, container, e);
	if (!c)
		return -1;
	container_lock_busy(eng, c);
	pthread_mutex_lock(&eng->containers->mu);
	json_t *links = json_object_get(json_object_get(c->rec, "HostConfig"), "Links");
	size_t i, found = (size_t)-1;
	json_t *v;
	json_array_foreach (links, i, v) {
		/* "target:alias" or dockerd's "/target:/container/alias" */
		const char *l = json_string_value(v);
		const char *colon = l ? strchr(l, ':') : NULL;
		const char *a = colon && strrchr(colon, '/') ? strrchr(colon, '/') + 1
				: colon			     ? colon + 1
							     : NULL;
		if (a && !strcmp(a, alias))
			found = i;
	}
	if (found != (size_t)-1)
		json_array_remove(links, found);
	pthread_mutex_unlock(&eng->containers->mu);
	int r = found == (size_t)-1
		    ? err_notfound(e, "Could not find link %s of container %s", alias, container)
		    : container_save(eng, c, e);
	container_unlock_busy(eng, c);
	container_put(eng, c);
	return r;
}
