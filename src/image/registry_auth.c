/* image/registry_auth: credentials (X-Registry-Auth, /auth bodies), WWW-Authenticate challenges
 * answered with basic auth or a bearer token from the realm's token server, and login checks. */
#include <ctype.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/registry_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

char *reg_base64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

char *registry_base64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in);
	_cleanup_free_ char *s = xmalloc(n + 4);
	for (size_t i = 0; i < n; i++)
		s[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (n % 4)
		s[n++] = '=';
	s[n] = '\0';
	unsigned char *out = xmalloc(n / 4 * 3 + 1);
	int r = EVP_DecodeBlock(out, (unsigned char *)s, (int)n);
	if (r < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes: at most two, never more than it gave
	 * (found by registry_auth_fuzz: "=" made "====" and an index below zero) */
	size_t pad = 0;
	for (size_t i = n; i > 0 && s[i - 1] == '=' && pad < 2; i--)
		pad++;
	size_t m = (size_t)r > pad ? (size_t)r - pad : 0;
	out[m] = '\0';
	*len = m;
	return (char *)out;
}

void registry_auth_release(struct registry_auth *a)
{
	free(a->username);
	free(a->password);
	free(a->identity_token);
	free(a->registry_token);
	free(a->server);
	memset(a, 0, sizeof(*a));
}

static char *member(const json_t *j, const char *k)
{
	const char *v = json_string_value(json_object_get(j, k));
	return v && *v ? str_dup(v) : NULL;
}

int registry_auth_from_json(const json_t *j, struct registry_auth *a, struct err *e)
{
	memset(a, 0, sizeof(*a));
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return err_invalid(e, "invalid auth configuration: expected a JSON object");
	a->username = member(j, "username");
	a->password = member(j, "password");
	a->identity_token = member(j, "identitytoken");
	a->registry_token = member(j, "registrytoken");
	a->server = member(j, "serveraddress");
	_cleanup_free_ char *auth = member(j, "auth");
	if (auth && !a->username) { /* "auth": base64 of user:password */
		size_t n;
		_cleanup_free_ char *up = registry_base64_decode(auth, &n);
		char *colon = up ? strchr(up, ':') : NULL;
		if (!colon) {
			registry_auth_release(a); /* nothing half-filled on an error */
			return err_invalid(e, "invalid auth configuration: bad auth field");
		}
		/* both come from "auth" then: a lone "password" beside it is replaced */
		free(a->password);
		a->username = str_ndup(up, (size_t)(colon - up));
		a->password = str_dup(colon + 1);
	}
	return 0;
}

int registry_auth_decode(const char *header, struct registry_auth *a, struct err *e)
{
	memset(a, 0, sizeof(*a));
	if (!header || !*header)
		return 0;
	size_t n;
	_cleanup_free_ char *raw = registry_base64_decode(header, &n);
	_cleanup_json_ json_t *j = raw ? json_loadb(raw, n, 0, NULL) : NULL;
	/* dockerd ignores an undecodable header and pulls anonymously; a wrong type is an error */
	if (!j)
		return 0;
	return registry_auth_from_json(j, a, e);
}

/* Challenge parameters: `Bearer realm="https://auth",service="registry",scope="..."`. */
static char *challenge_param(const char *ch, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = ch; (p = strcasestr(p, name)); p += nl) {
		if (p != ch && p[-1] != ' ' && p[-1] != ',')
			continue;
		const char *v = p + nl;
		if (*v != '=')
			continue;
		v++;
		if (*v == '"') {
			const char *end = strchr(++v, '"');
			return end ? str_ndup(v, (size_t)(end - v)) : NULL;
		}
		return str_ndup(v, strcspn(v, ", "));
	}
	return NULL;
}

static char *basic_value(const struct registry_auth *a)
{
	_cleanup_free_ char *up = str_printf("%s:%s", a->username, a->password ? a->password : "");
	_cleanup_free_ char *b = reg_base64(up, strlen(up));
	return str_printf("Basic %s", b);
}

static char *url_escape(const char *s)
{
	char *t = curl_easy_escape(NULL, s, 0);
	char *r = str_dup(t);
	curl_free(t);
	return r;
}

/* Appends "&key=value" (value URL-escaped) to *s. */
static void add_param(char **s, const char *key, const char *value)
{
	_cleanup_free_ char *v = url_escape(value);
	char *t = str_printf("%s%s%s=%s", *s ? *s : "", *s && **s ? "&" : "", key, v);
	free(*s);
	*s = t;
}

/* The token request: GET realm?service=..&scope=..&account=.. with basic credentials, or
 * with an identity token the OAuth form POST (grant_type=refresh_token) dockerd sends. */
static int token_request(struct registry *r, const char *realm, const char *service,
			 struct reg_resp *p, struct err *e)
{
	_cleanup_free_ char *params = NULL;
	if (r->auth.identity_token) {
		_cleanup_free_ char *scope = strv_join(r->scopes, " ");
		add_param(&params, "grant_type", "refresh_token");
		add_param(&params, "refresh_token", r->auth.identity_token);
		add_param(&params, "client_id", "docker");
		if (service)
			add_param(&params, "service", service);
		if (scope && *scope)
			add_param(&params, "scope", scope);
		char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
		struct reg_req q = {.method = "POST",
				    .url = realm,
				    .headers = hdrs,
				    .body = params,
				    .body_len = strlen(params),
				    .fd = -1};
		return reg_perform(r, &q, NULL, p, e);
	}
	if (service)
		add_param(&params, "service", service);
	for (char **sc = r->scopes; sc && *sc; sc++)
		add_param(&params, "scope", *sc);
	if (r->auth.username)
		add_param(&params, "account", r->auth.username);
	_cleanup_free_ char *url =
	    params ? str_printf("%s%s%s", realm, strchr(realm, '?') ? "&" : "?", params)
		   : str_dup(realm);
	_cleanup_free_ char *basic = r->auth.username ? basic_value(&r->auth) : NULL;
	struct reg_req q = {.method = "GET", .url = url, .fd = -1, .follow = true};
	return reg_perform(r, &q, basic, p, e);
}

/* A bearer token from the challenge's realm: {"token"} or {"access_token"}. */
static char *fetch_token(struct registry *r, const char *challenge, struct err *e)
{
	_cleanup_free_ char *realm = challenge_param(challenge, "realm");
	_cleanup_free_ char *service = challenge_param(challenge, "service");
	if (!realm)
		return err_invalid(e, "bearer challenge without a realm"), NULL;
	struct reg_resp p = {0};
	if (token_request(r, realm, service, &p, e) < 0)
		return NULL;
	_cleanup_json_ json_t *j = p.body ? json_loadb(p.body, p.len, 0, NULL) : NULL;
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	char *out = NULL;
	if (p.status == 200 && tok)
		out = str_printf("Bearer %s", tok);
	else if (p.status == 401 || p.status == 403)
		err_set(e, ERR_FORBIDDEN, 0, "unauthorized: incorrect username or password");
	else
		reg_error(&p, "fetch token", e);
	reg_resp_release(&p);
	return out;
}

int reg_authorize_locked(struct registry *r, const char *challenge, struct err *e)
{
	char *v = NULL;
	if (!strncasecmp(challenge, "basic", 5)) {
		if (!r->auth.username)
			return err_set(e, ERR_FORBIDDEN, 0, "no basic auth credentials");
		v = basic_value(&r->auth);
	} else if (!strncasecmp(challenge, "bearer", 6)) {
		v = r->auth.registry_token ? str_printf("Bearer %s", r->auth.registry_token)
					   : fetch_token(r, challenge, e);
		if (!v)
			return -1;
	} else {
		return err_set(e, ERR_FORBIDDEN, 0, "unsupported authentication challenge: %.40s",
			       challenge);
	}
	free(r->authz);
	r->authz = v;
	return 0;
}

/* /auth: the server's /v2/ answers 200 with the credentials (after a token exchange). */
int registry_login(const struct registry_auth *a, char *const *insecure, bool *denied,
		   struct err *e)
{
	*denied = false;
	const char *server = a->server && *a->server ? a->server : "docker.io";
	_cleanup_free_ char *domain = NULL;
	const char *s = strstr(server, "://") ? strstr(server, "://") + 3 : server;
	domain = str_ndup(s, strcspn(s, "/"));
	if (!strcmp(domain, "index.docker.io"))
		domain = (free(domain), str_dup("docker.io"));
	struct registry *r = registry_open(domain, "", "pull", a, insecure, e);
	if (!r)
		return -1;
	strv_free(r->scopes); /* a login asks for no repository */
	r->scopes = NULL;
	_cleanup_free_ char *url = reg_url(r, "/v2/");
	struct reg_req q = {.method = "GET", .url = url, .fd = -1};
	struct reg_resp p = {0};
	int rc = 0;
	if (r->challenge && !r->authz) {
		rc = reg_authorize_locked(r, r->challenge, e);
		*denied = rc < 0 && e->kind == ERR_FORBIDDEN;
	}
	if (rc == 0)
		rc = reg_perform(r, &q, r->authz, &p, e);
	if (rc == 0 && p.status != 200) {
		*denied = p.status == 401 || p.status == 403;
		rc = err_set(e, ERR_FORBIDDEN, 0, "login attempt to %s failed with status: %ld %s",
			     url, p.status, p.status == 401 ? "Unauthorized" : "Forbidden");
	}
	reg_resp_release(&p);
	registry_close(r);
	return rc;
}
