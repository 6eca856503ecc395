/* image/registry_open: a registry endpoint for a repository (scheme chosen by a /v2/ ping: TLS,
 * or for insecure registries TLS unverified then plain HTTP), and its manifests. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* "host:port" -> host ("[::1]:5000" -> "::1"); malloc'd. */
static char *domain_host(const char *domain)
{
	if (domain[0] == '[') {
		const char *end = strchr(domain, ']');
		return end ? str_ndup(domain + 1, (size_t)(end - domain - 1)) : str_dup(domain);
	}
	const char *colon = strchr(domain, ':');
	return colon && !strchr(colon + 1, ':') ? str_ndup(domain, (size_t)(colon - domain))
						: str_dup(domain);
}

static bool in_cidr(const char *host, const char *cidr)
{
	const char *slash = strchr(cidr, '/');
	struct in_addr a, net;
	if (!slash || inet_pton(AF_INET, host, &a) != 1)
		return false;
	_cleanup_free_ char *ip = str_ndup(cidr, (size_t)(slash - cidr));
	int bits = atoi(slash + 1);
	if (inet_pton(AF_INET, ip, &net) != 1 || bits < 0 || bits > 32)
		return false;
	uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
	return (a.s_addr & mask) == (net.s_addr & mask);
}

bool registry_is_insecure(const char *domain, char *const *insecure)
{
	_cleanup_free_ char *host = domain_host(domain);
	if (!strcmp(host, "localhost") || !strcmp(host, "::1") || in_cidr(host, "127.0.0.0/8"))
		return true;
	for (char *const *i = insecure; i && *i; i++) {
		const char *entry = *i;
		if (str_has_prefix(entry, "http://"))
			entry += 7;
		else if (str_has_prefix(entry, "https://"))
			entry += 8;
		if (!strcmp(entry, domain) || !strcmp(entry, host) || in_cidr(host, entry))
			return true;
	}
	return false;
}

static const char *domain_endpoint(const char *domain)
{
	if (!strcmp(domain, "docker.io") || !strcmp(domain, "index.docker.io"))
		return "registry-1.docker.io";
	return domain;
}

/* GET /v2/: the scheme that answers, and the auth challenge to answer up front. */
static int registry_ping(struct registry *r, struct err *e)
{
	struct reg_resp p = {0};
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *url = reg_url(r, "/v2/");
		struct reg_req q = {.method = "GET", .url = url, .fd = -1};
		struct err pe = ERR_INIT;
		if (reg_perform(r, &q, NULL, &p, &pe) == 0)
			break;
		if (!r->insecure || attempt > 0 || !str_has_prefix(r->base, "https://")) {
			reg_resp_release(&p);
			*e = pe;
			return -1;
		}
		char *plain = str_printf("http://%s", r->base + strlen("https://"));
		free(r->base);
		r->base = plain;
	}
	if (p.status == 401 && p.www_auth) {
		pthread_mutex_lock(&r->mu);
		r->challenge = str_dup(p.www_auth);
		/* no credentials yet for a basic challenge: the request itself will say so */
		reg_authorize_locked(r, p.www_auth, NULL);
		pthread_mutex_unlock(&r->mu);
	}
	reg_resp_release(&p);
	return 0;
}

static void auth_copy(struct registry_auth *dst, const struct registry_auth *src)
{
	if (!src)
		return;
	dst->username = str_dup(src->username);
	dst->password = str_dup(src->password);
	dst->identity_token = str_dup(src->identity_token);
	dst->registry_token = str_dup(src->registry_token);
	dst->server = str_dup(src->server);
}

struct registry *registry_open(const char *domain, const char *path, const char *actions,
			       const struct registry_auth *auth, char *const *insecure,
			       struct err *e)
{
	struct registry *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->domain = str_dup(domain);
	r->path = str_dup(path);
	r->insecure = registry_is_insecure(domain, insecure);
	r->base = str_printf("https://%s", domain_endpoint(domain));
	auth_copy(&r->auth, auth);
	registry_add_scope(r, path, actions);
	if (registry_ping(r, e) < 0) {
		registry_close(r);
		return NULL;
	}
	return r;
}

struct registry *registry_open_url(const char *url, const char *domain, const char *path,
				   const char *actions, const struct registry_auth *auth,
				   char *const *insecure, struct err *e)
{
	const char *host = strstr(url, "://") ? strstr(url, "://") + 3 : url;
	_cleanup_free_ char *hostport = str_ndup(host, strcspn(host, "/"));
	struct registry *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->domain = str_dup(domain);
	r->path = str_dup(path);
	r->insecure = registry_is_insecure(hostport, insecure);
	r->base = str_has_prefix(url, "http://") ? str_printf("http://%s", hostport)
						 : str_printf("https://%s", hostport);
	auth_copy(&r->auth, auth);
	registry_add_scope(r, path, actions);
	if (registry_ping(r, e) < 0) {
		registry_close(r);
		return NULL;
	}
	return r;
}

void registry_add_scope(struct registry *r, const char *path, const char *actions)
{
	pthread_mutex_lock(&r->mu);
	strv_push_take(&r->scopes, str_printf("repository:%s:%s", path, actions));
	/* a token covers the scopes it was asked for: the next request gets a new one */
	if (r->authz && !strncmp(r->authz, "Bearer ", 7) && !r->auth.registry_token) {
		free(r->authz);
		r->authz = NULL;
	}
	pthread_mutex_unlock(&r->mu);
}

void registry_cancel(struct registry *r)
{
	if (r)
		__atomic_store_n(&r->cancelled, 1, __ATOMIC_RELAXED);
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->base);
	registry_auth_release(&r->auth);
	strv_free(r->scopes);
	free(r->authz);
	free(r->challenge);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void registry_manifest_release(struct registry_manifest *m)
{
	free(m->data);
	free(m->media_type);
	memset(m, 0, sizeof(*m));
}

static char *const manifest_accept[] = {"Accept: " REGISTRY_MT_DOCKER_V2
					", " REGISTRY_MT_DOCKER_LIST ", " REGISTRY_MT_OCI_V1
					", " REGISTRY_MT_OCI_INDEX,
					NULL};

/* The manifest's digest: what a digest reference names, else what the registry says (sha256
 * only), and in every case what the bytes hash to. */
static int manifest_check(const char *reference, struct reg_resp *p, struct registry_manifest *m,
			  struct err *e)
{
	image_sha256_buf(p->body ? p->body : "", p->len, m->digest);
	const char *want = str_has_prefix(reference, "sha256:")		       ? reference
			   : p->digest && str_has_prefix(p->digest, "sha256:") ? p->digest
									       : NULL;
	if (want && strcmp(want, m->digest) != 0)
		return err_invalid(e, "manifest verification failed for digest %s", want);
	m->data = p->body ? TAKE_PTR(p->body) : str_dup("");
	m->len = p->len;
	m->media_type = str_dup(p->content_type);
	char *semi = m->media_type ? strchr(m->media_type, ';') : NULL;
	if (semi)
		*semi = '\0';
	return 0;
}

int registry_manifest_get(struct registry *r, const char *reference, struct registry_manifest *m,
			  struct err *e)
{
	memset(m, 0, sizeof(*m));
	_cleanup_free_ char *url = reg_url(r, "/v2/%s/manifests/%s", r->path, reference);
	struct reg_req q = {.method = "GET", .url = url, .headers = manifest_accept, .fd = -1};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 200)
		rc = reg_error(&p, NULL, e);
	if (rc == 0)
		rc = manifest_check(reference, &p, m, e);
	reg_resp_release(&p);
	return rc;
}

char **registry_tags_list(struct registry *r, struct err *e)
{
	_cleanup_free_ char *url = reg_url(r, "/v2/%s/tags/list", r->path);
	struct reg_req q = {.method = "GET", .url = url, .fd = -1};
	struct reg_resp p = {0};
	char **tags = NULL;
	if (reg_send(r, &q, &p, e) == 0 && p.status != 200)
		reg_error(&p, NULL, e);
	else if (p.status == 200) {
		_cleanup_json_ json_t *j = p.body ? json_loadb(p.body, p.len, 0, NULL) : NULL;
		if (jx_strv(j, "tags", "tags list", &tags, e) == 0 && !tags)
			tags = xcalloc(1, sizeof(char *));
		if (!j)
			err_invalid(e, "tags list: not JSON");
	}
	reg_resp_release(&p);
	return tags;
}

int registry_manifest_put(struct registry *r, const char *tag, const char *media_type,
			  const char *data, size_t len, struct err *e)
{
	_cleanup_free_ char *url = reg_url(r, "/v2/%s/manifests/%s", r->path, tag);
	_cleanup_free_ char *ct = str_printf("Content-Type: %s", media_type);
	char *hdrs[] = {ct, NULL};
	struct reg_req q = {
	    .method = "PUT", .url = url, .headers = hdrs, .body = data, .body_len = len, .fd = -1};
	struct reg_resp p = {0};
	int rc = reg_send(r, &q, &p, e);
	if (rc == 0 && p.status != 201 && p.status != 200)
		rc = reg_error(&p, "put manifest", e);
	reg_resp_release(&p);
	return rc;
}
