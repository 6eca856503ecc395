/* image/registry: the registry client's HTTP path over libcurl (one easy handle per thread,
 * so each keeps its connection), endpoints and their scheme, error bodies, and manifests. */
#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "image/registry_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_key_t curl_key;

static void handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void curl_setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_key_create(&curl_key, handle_free);
}

/* The calling thread's handle (made on first use, freed when the thread exits). */
static CURL *thread_handle(void)
{
	pthread_once(&curl_once, curl_setup);
	CURL *h = pthread_getspecific(curl_key);
	if (!h) {
		h = curl_easy_init();
		pthread_setspecific(curl_key, h);
	} else {
		curl_easy_reset(h);
	}
	return h;
}

void reg_resp_release(struct reg_resp *p)
{
	free(p->body);
	free(p->location);
	free(p->digest);
	free(p->content_type);
	free(p->www_auth);
	free(p->range);
	free(p->length);
	memset(p, 0, sizeof(*p));
}

struct xfer {
	struct registry *r;
	const struct reg_req *q;
	struct reg_resp *p;
	int64_t sent, received;
	bool sink_failed;
};

static void set_header(char **dst, const char *v, size_t n)
{
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	free(*dst);
	*dst = str_ndup(v, n);
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {{"location:", offsetof(struct reg_resp, location)},
		    {"docker-content-digest:", offsetof(struct reg_resp, digest)},
		    {"content-type:", offsetof(struct reg_resp, content_type)},
		    {"www-authenticate:", offsetof(struct reg_resp, www_auth)},
		    {"range:", offsetof(struct reg_resp, range)},
		    {"content-length:", offsetof(struct reg_resp, length)}};
	if (len > 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response (after a redirect) */
		char *sp = memchr(buf, ' ', len);
		x->p->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		free(x->p->body);
		x->p->body = NULL;
		x->p->len = 0;
		return len;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		size_t kl = strlen(keep[i].name);
		if (len < kl || strncasecmp(buf, keep[i].name, kl) != 0)
			continue;
		const char *v = buf + kl;
		while (v < buf + len && (*v == ' ' || *v == '\t'))
			v++;
		set_header((char **)((char *)x->p + keep[i].off), v, (size_t)(buf + len - v));
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	bool ok = x->p->status >= 200 && x->p->status < 300;
	if (x->q->sink && ok) {
		if (x->q->sink(x->q->arg, buf, len) < 0) {
			x->sink_failed = true;
			return 0;
		}
		x->received += (int64_t)len;
		return len;
	}
	if (x->p->len + len > REG_BODY_MAX)
		return 0;
	x->p->body = xrealloc(x->p->body, x->p->len + len + 1);
	memcpy(x->p->body + x->p->len, buf, len);
	x->p->len += len;
	x->p->body[x->p->len] = '\0';
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct reg_req *q = x->q;
	size_t max = size * n;
	int64_t total = q->fd >= 0 ? q->len : (int64_t)q->body_len;
	size_t want = (size_t)(total - x->sent) < max ? (size_t)(total - x->sent) : max;
	if (!want)
		return 0;
	if (q->fd < 0) {
		memcpy(buf, q->body + x->sent, want);
	} else {
		ssize_t r = pread(q->fd, buf, want, q->off + x->sent);
		if (r <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)r;
	}
	x->sent += (int64_t)want;
	return want;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = arg;
	if (__atomic_load_n(&x->r->cancelled, __ATOMIC_RELAXED))
		return 1;
	if (x->q->progress && !x->q->progress(x->q->arg, x->q->sink ? x->received : x->sent))
		return 1;
	return 0;
}

static void setup_body(CURL *h, const struct reg_req *q, struct xfer *x)
{
	if (!strcmp(q->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(q->fd >= 0 ? q->len : (int64_t)q->body_len));
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
	}
}

static struct curl_slist *make_headers(const struct reg_req *q, const char *authz)
{
	struct curl_slist *l = curl_slist_append(NULL, "Expect:");
	for (char *const *h = q->headers; h && *h; h++)
		l = curl_slist_append(l, *h);
	if (authz) {
		_cleanup_free_ char *a = str_printf("Authorization: %s", authz);
		l = curl_slist_append(l, a);
	}
	return l;
}

int reg_perform(struct registry *r, const struct reg_req *q, const char *authz, struct reg_resp *p,
		struct err *e)
{
	CURL *h = thread_handle();
	if (!h)
		return err_set(e, ERR_INTERNAL, 0, "libcurl: cannot make a handle");
	reg_resp_release(p);
	struct xfer x = {.r = r, .q = q, .p = p};
	struct curl_slist *hdrs = make_headers(q, authz);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, q->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/0.1 (docker compatible)");
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer ends */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, q->follow ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (r->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	setup_body(h, q, &x);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK)
		return 0;
	if (__atomic_load_n(&r->cancelled, __ATOMIC_RELAXED))
		return err_set(e, ERR_INTERNAL, ECANCELED, "%s \"%s\": context canceled", q->method,
			       q->url);
	if (x.sink_failed)
		return err_set(e, ERR_INTERNAL, 0, "%s \"%s\": writing the data failed", q->method,
			       q->url);
	return err_set(e, ERR_INTERNAL, 0, "%s \"%s\": %s", q->method, q->url,
		       errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int reg_send(struct registry *r, const struct reg_req *q, struct reg_resp *p, struct err *e)
{
	pthread_mutex_lock(&r->mu);
	_cleanup_free_ char *authz = str_dup(r->authz);
	pthread_mutex_unlock(&r->mu);
	if (reg_perform(r, q, authz, p, e) < 0)
		return -1;
	if (p->status != 401 || !p->www_auth)
		return 0;
	pthread_mutex_lock(&r->mu);
	/* another thread may have answered the challenge meanwhile */
	int rc = str_eq(authz, r->authz) ? reg_authorize_locked(r, p->www_auth, e) : 0;
	free(authz);
	authz = str_dup(r->authz);
	pthread_mutex_unlock(&r->mu);
	if (rc < 0) {
		const char *m = !strcmp(q->method, "HEAD") ? "Head" : q->method;
		return err_wrap(e, "%s \"%s\"", m, q->url);
	}
	return reg_perform(r, q, authz, p, e);
}

char *reg_error_code(const struct reg_resp *p)
{
	_cleanup_json_ json_t *j = p->body ? json_loadb(p->body, p->len, 0, NULL) : NULL;
	json_t *first = json_array_get(json_object_get(j, "errors"), 0);
	return str_dup(json_string_value(json_object_get(first, "code")));
}

/* errcode.ErrorCode's text: "MANIFEST_UNKNOWN" -> "manifest unknown". */
static char *code_text(const char *code)
{
	char *s = str_dup(code);
	for (char *c = s; *c; c++)
		*c = *c == '_' ? ' ' : (char)tolower((unsigned char)*c);
	return s;
}

int reg_error(const struct reg_resp *p, const char *what, struct err *e)
{
	_cleanup_json_ json_t *j = p->body ? json_loadb(p->body, p->len, 0, NULL) : NULL;
	json_t *first = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(first, "code"));
	const char *msg = json_string_value(json_object_get(first, "message"));
	enum err_kind kind = ERR_INTERNAL;
	if (p->status == 404 || str_eq(code, "DENIED") || str_eq(code, "MANIFEST_UNKNOWN") ||
	    str_eq(code, "NAME_UNKNOWN") || str_eq(code, "BLOB_UNKNOWN"))
		kind = ERR_NOT_FOUND;
	if (code) {
		_cleanup_free_ char *t = code_text(code);
		return err_set(e, kind, 0, "%s%s%s: %s", what ? what : "", what ? ": " : "", t,
			       msg ? msg : t);
	}
	return err_set(e, kind, 0, "%s%sreceived unexpected HTTP status: %ld", what ? what : "",
		       what ? ": " : "", p->status);
}

char *reg_url(const struct registry *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *tail = NULL;
	if (vasprintf(&tail, fmt, ap) < 0)
		abort();
	va_end(ap);
	return str_printf("%s%s", r->base, tail);
}

char *reg_abs_url(const struct registry *r, const char *location)
{
	if (!location)
		return NULL;
	if (str_has_prefix(location, "http://") || str_has_prefix(location, "https://"))
		return str_dup(location);
	return str_printf("%s%s%s", r->base, location[0] == '/' ? "" : "/", location);
}
