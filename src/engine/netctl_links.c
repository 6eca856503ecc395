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

int netctl_link_parse(const char *l, char **target, char **alias)
{
	const char *colon = l ? strchr(l, ':') : NULL;
	const char *t = l && *l == '/' ? l + 1 : l;
	const char *a = colon ? colon + 1 : t;
	if (colon && strrchr(colon, '/'))
		a = strrchr(colon, '/') + 1;
	size_t tlen = colon ? (size_t)(colon - t) : (t ? strlen(t) : 0);
	if (!tlen || !*a)
		return -1;
	*target = str_ndup(t, tlen);
	*alias = str_dup(a);
	return 0;
}

static bool user_mode(const char *m)
{
	return m && *m && strcmp(m, "default") && strcmp(m, "bridge") && strcmp(m, "host") &&
	       strcmp(m, "none") && !str_has_prefix(m, "container:");
}

/* At create, as dockerd's registerLinks: links are checked on the default bridge only (a
 * user network resolves them in its DNS); a missing target is a 400, host networking
 * can't be linked either way. Each link is kept as "<target ID>:alias": dockerd's link
 * graph is between containers, so a renamed target stays linked (inspect shows its name). */
int netctl_links_check(struct engine *eng, json_t *rec, struct err *e)
{
	static const char conflict[] = "conflicting options: host type networking can't be used "
				       "with links. This would result in undefined behavior";
	json_t *hc = json_object_get(rec, "HostConfig");
	json_t *links = json_object_get(hc, "Links");
	const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
	if (!json_array_size(links) || user_mode(mode))
		return 0;
	if (str_eq(mode, "host"))
		return err_invalid(e, conflict);
	if (mode && str_has_prefix(mode, "container:"))
		return err_invalid(e, "conflicting options: container type network can't be used "
				      "with links. This would result in undefined behavior");
	size_t i;
	json_t *v;
	json_array_foreach (links, i, v) {
		_cleanup_free_ char *target = NULL, *alias = NULL;
		if (netctl_link_parse(json_string_value(v), &target, &alias) < 0)
			return err_invalid(e, "bad format for links: %s",
					   json_string_value(v) ? json_string_value(v) : "");
		struct err e2 = ERR_INIT;
		struct container *t = container_get(eng, target, &e2);
		if (!t)
			return err_set(e, e2.kind == ERR_NOT_FOUND ? ERR_INVALID : e2.kind, 0,
				       "could not get container for %s: %s", target, e2.msg);
		pthread_mutex_lock(&eng->containers->mu);
		bool host = str_eq(json_string_value(json_object_get(
				       json_object_get(t->rec, "HostConfig"), "NetworkMode")),
				   "host");
		pthread_mutex_unlock(&eng->containers->mu);
		json_array_set_new(links, i, json_sprintf("%s:%s", t->id, alias));
		container_put(eng, t);
		if (host)
			return err_invalid(e, conflict);
	}
	return 0;
}

/* --link on the default bridge: "IP\talias id name" lines for /etc/hosts, from the
 * targets' addresses there; a target that isn't running is refused (as dockerd does). */
int netctl_link_hosts(struct engine *eng, const json_t *rec, char ***out, struct err *e)
{
	const char *me = json_string_value(json_object_get(rec, "Name"));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(json_object_get(rec, "HostConfig"), "Links"), i, v) {
		_cleanup_free_ char *target = NULL, *alias = NULL;
		if (netctl_link_parse(json_string_value(v), &target, &alias) < 0)
			continue;
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
		const char *tname = json_string_value(json_object_get(t->rec, "Name"));
		_cleanup_free_ char *tn = str_dup(tname ? tname + (*tname == '/') : target);
		_cleanup_free_ char *line =
		    run && ip && *ip ? str_printf("%s\t%s %.12s %s", ip, alias, t->id, tn) : NULL;
		pthread_mutex_unlock(&eng->containers->mu);
		container_put(eng, t);
		/* dockerd names both ends in full: "/target AS /me/alias" */
		if (!run)
			return err_set(e, ERR_INTERNAL, 0,
				       "Cannot link to a non running container: /%s AS %s/%s", tn,
				       me ? me : "", alias);
		if (line)
			strv_push_take(out, TAKE_PTR(line));
	}
	return 0;
}

struct lport {
	int port;
	char proto[8]; /* lower case */
	char up[8];    /* upper case */
};

/* moby's order: by number, tcp before another protocol of the same number */
static int lport_cmp(const void *x, const void *y)
{
	const struct lport *a = x, *b = y;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return strcmp(a->proto, "tcp") ? (strcmp(b->proto, "tcp") ? 0 : 1) : -1;
}

static struct lport *link_ports(const json_t *exposed, size_t *n)
{
	struct lport *v = xcalloc(json_object_size(exposed) + 1, sizeof(*v));
	const char *key;
	json_t *x;
	*n = 0;
	json_object_foreach ((json_t *)exposed, key, x) {
		struct lport *p = &v[(*n)++];
		const char *slash = strchr(key, '/');
		p->port = atoi(key);
		snprintf(p->proto, sizeof(p->proto), "%s", slash ? slash + 1 : "tcp");
		for (size_t i = 0; p->proto[i]; i++) {
			p->proto[i] = (char)tolower((unsigned char)p->proto[i]);
			p->up[i] = (char)toupper((unsigned char)p->proto[i]);
		}
	}
	qsort(v, *n, sizeof(*v), lport_cmp);
	return v;
}

#define ADD(...) json_array_append_new(env, json_sprintf(__VA_ARGS__))

/* Runs of consecutive port numbers also get _START/_END variables (links.go). */
static void link_env_ranges(json_t *env, const char *up, const char *ip, const struct lport *v,
			    size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int value = v[i].port; /* links.go's nextContiguous counts elements, not ports */
		while (j + 1 < n && v[j + 1].port <= value + 1) {
			j++;
			value++;
		}
		if (j <= i + 1) {
			i++;
			continue;
		}
		const struct lport *p = &v[i], *q = &v[j];
		ADD("%s_PORT_%d_%s_START=%s://%s:%d", up, p->port, p->up, p->proto, ip, p->port);
		ADD("%s_PORT_%d_%s_ADDR=%s", up, p->port, p->up, ip);
		ADD("%s_PORT_%d_%s_PROTO=%s", up, p->port, p->up, p->proto);
		ADD("%s_PORT_%d_%s_PORT_START=%d", up, p->port, p->up, p->port);
		ADD("%s_PORT_%d_%s_END=%s://%s:%d", up, p->port, q->up, q->proto, ip, q->port);
		ADD("%s_PORT_%d_%s_PORT_END=%d", up, p->port, q->up, q->port);
		i = j + 1;
	}
}

/* One link's variables in links.go's order; HOME and PATH of the target left out. */
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
	ip = ip ? ip : "";
	size_t n;
	_cleanup_free_ struct lport *v = link_ports(json_object_get(cfg, "ExposedPorts"), &n);
	if (n)
		ADD("%s_PORT=%s://%s:%d", up, v[0].proto, ip, v[0].port);
	link_env_ranges(env, up, ip, v, n);
	for (size_t i = 0; i < n; i++) {
		ADD("%s_PORT_%d_%s=%s://%s:%d", up, v[i].port, v[i].up, v[i].proto, ip, v[i].port);
		ADD("%s_PORT_%d_%s_ADDR=%s", up, v[i].port, v[i].up, ip);
		ADD("%s_PORT_%d_%s_PORT=%d", up, v[i].port, v[i].up, v[i].port);
		ADD("%s_PORT_%d_%s_PROTO=%s", up, v[i].port, v[i].up, v[i].proto);
	}
	ADD("%s_NAME=/%s/%s", up, me, alias);
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(cfg, "Env"), i, x) {
		const char *s = json_string_value(x);
		const char *eq = s ? strchr(s, '=') : NULL;
		if (!eq || !strncmp(s, "HOME=", 5) || !strncmp(s, "PATH=", 5))
			continue;
		ADD("%s_ENV_%s", up, s);
	}
}

#undef ADD

/* Only a container on the default bridge gets the variables (a user network resolves its
 * links in the DNS). */
void container_net_link_env(struct engine *eng, struct container *c, json_t *spec)
{
	json_t *env = json_object_get(json_object_get(spec, "process"), "env");
	const char *me = json_string_value(json_object_get(c->rec, "Name"));
	if (!json_object_get(
		json_object_get(json_object_get(c->rec, "NetworkSettings"), "Networks"), "bridge"))
		return;
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(json_object_get(c->rec, "HostConfig"), "Links"), i, v) {
		_cleanup_free_ char *target = NULL, *alias = NULL;
		if (!json_is_array(env) ||
		    netctl_link_parse(json_string_value(v), &target, &alias) < 0)
			continue;
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
		_cleanup_free_ char *t = NULL, *a = NULL;
		if (netctl_link_parse(json_string_value(v), &t, &a) == 0 && !strcmp(a, alias))
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

/* The target of a link among recs (by name or ID prefix, as container_get resolves). */
static json_t *find_rec(json_t *recs, const char *target)
{
	size_t i;
	json_t *r, *found = NULL;
	json_array_foreach (recs, i, r) {
		const char *name = json_string_value(json_object_get(r, "Name"));
		const char *id = json_string_value(json_object_get(r, "Id"));
		if ((name && !strcmp(name + (*name == '/'), target)) || str_eq(id, target))
			return r;
		if (id && str_has_prefix(id, target))
			found = found ? json_null() : r;
	}
	return json_is_object(found) ? found : NULL;
}

void engine_container_links_public(struct engine *eng, json_t *rec)
{
	json_t *hc = json_object_get(rec, "HostConfig");
	json_t *links = json_object_get(hc, "Links");
	if (!json_array_size(links))
		return;
	const char *me = json_string_value(json_object_get(rec, "Name"));
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (links, i, v) {
		_cleanup_free_ char *target = NULL, *alias = NULL;
		if (netctl_link_parse(json_string_value(v), &target, &alias) < 0)
			continue;
		struct container *t = container_get(eng, target, NULL);
		if (t) {
			pthread_mutex_lock(&eng->containers->mu);
			const char *tn = json_string_value(json_object_get(t->rec, "Name"));
			free(target);
			target = str_dup(tn ? tn + (*tn == '/') : "");
			pthread_mutex_unlock(&eng->containers->mu);
			container_put(eng, t);
		}
		json_array_append_new(out, json_sprintf("/%s:%s/%s", target, me ? me : "", alias));
	}
	json_object_set_new(hc, "Links", out);
}

void engine_container_link_names(json_t *recs)
{
	size_t i, j;
	json_t *r, *v;
	json_array_foreach (recs, i, r) {
		const char *me = json_string_value(json_object_get(r, "Name"));
		json_array_foreach (json_object_get(json_object_get(r, "HostConfig"), "Links"), j,
				    v) {
			_cleanup_free_ char *target = NULL, *alias = NULL;
			if (!me || netctl_link_parse(json_string_value(v), &target, &alias) < 0)
				continue;
			json_t *t = find_rec(recs, target);
			if (!t)
				continue;
			if (!json_is_array(json_object_get(t, "_LinkNames")))
				json_object_set_new(t, "_LinkNames", json_array());
			json_array_append_new(json_object_get(t, "_LinkNames"),
					      json_sprintf("%s/%s", me, alias));
		}
	}
}
