/* image/registry_priv: the registry client's state and its one HTTP request path, shared by
 * registry.c (requests, endpoints), registry_auth.c (challenges, tokens) and registry_blob.c. */
#ifndef BERTH_IMAGE_REGISTRY_PRIV_H
#define BERTH_IMAGE_REGISTRY_PRIV_H

#include <pthread.h>
#include <sys/types.h>

#include "image/registry.h"

#define REG_BODY_MAX (8u << 20) /* manifests, configs and error bodies kept in memory */

struct registry {
	char *domain, *path;
	char *base; /* "https://registry-1.docker.io", "http://127.0.0.1:5000" */
	bool insecure;
	struct registry_auth auth;
	char **scopes; /* "repository:library/busybox:pull" */
	pthread_mutex_t mu;
	char *authz;	 /* Authorization header value once known */
	char *challenge; /* the last WWW-Authenticate seen */
	int cancelled;	 /* atomic */
};

struct reg_req {
	const char *method;
	const char *url;
	char *const *headers; /* extra "Name: value" lines, NULL-terminated (may be NULL) */
	const char *body;     /* request body from memory ... */
	size_t body_len;
	int fd; /* ... or from a file (fd >= 0): len bytes at off */
	int64_t off, len;
	registry_sink_fn *sink; /* 2xx body goes here (else kept in the response) */
	registry_progress_fn *progress;
	void *arg;
	bool follow; /* follow redirects (blob storage elsewhere) */
};

struct reg_resp {
	long status;
	char *body;
	size_t len;
	char *location, *digest, *content_type, *www_auth, *range, *length;
};
void reg_resp_release(struct reg_resp *p);

/* One request with the current credentials; on 401 the challenge is answered (token or basic)
 * and the request sent once more. Transport failures are errors; HTTP statuses are not. */
int reg_send(struct registry *r, const struct reg_req *q, struct reg_resp *p, struct err *e);
/* One attempt with the given Authorization value (NULL: none). */
int reg_perform(struct registry *r, const struct reg_req *q, const char *authz, struct reg_resp *p,
		struct err *e);
/* The registry's error ({"errors":[{"code","message"}]}) as an err: "manifest unknown:
 * manifest unknown"; 404 and DENIED are ERR_NOT_FOUND. Returns -1. */
int reg_error(const struct reg_resp *p, const char *what, struct err *e);
/* The code of the first registry error ("MANIFEST_UNKNOWN"), malloc'd, or NULL. */
char *reg_error_code(const struct reg_resp *p);
/* base + formatted path; malloc'd. */
char *reg_url(const struct registry *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A Location header made absolute against base. */
char *reg_abs_url(const struct registry *r, const char *location);

/* registry_auth.c: answers a WWW-Authenticate challenge, setting r->authz (mu held). */
int reg_authorize_locked(struct registry *r, const char *challenge, struct err *e);
char *reg_base64(const void *data, size_t len);

#endif
