/* image/registry: a client of the Registry HTTP API v2 / OCI distribution spec over libcurl:
 * endpoint and scheme (plain HTTP only for insecure registries), basic and bearer-token auth
 * from WWW-Authenticate challenges, manifests and blobs, every byte checked against its digest. */
#ifndef BERTH_IMAGE_REGISTRY_H
#define BERTH_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "image/digest.h"
#include "util/err.h"

#define REGISTRY_MT_DOCKER_V2	"application/vnd.docker.distribution.manifest.v2+json"
#define REGISTRY_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REGISTRY_MT_OCI_V1	"application/vnd.oci.image.manifest.v1+json"
#define REGISTRY_MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define REGISTRY_MT_DOCKER_CFG	"application/vnd.docker.container.image.v1+json"
#define REGISTRY_MT_DOCKER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Credentials as clients send them (X-Registry-Auth, POST /auth). */
struct registry_auth {
	char *username, *password;
	char *identity_token; /* OAuth refresh token */
	char *registry_token; /* a bearer token to use as it is */
	char *server;	      /* serveraddress */
};
/* X-Registry-Auth: base64url (or standard base64) of a JSON AuthConfig; NULL or "" is none. */
int registry_auth_decode(const char *header, struct registry_auth *a, struct err *e);
/* An AuthConfig object ({"username","password","auth","identitytoken",...}). */
int registry_auth_from_json(const json_t *j, struct registry_auth *a, struct err *e);
void registry_auth_release(struct registry_auth *a);
/* Standard or URL-safe base64, padded or not, NUL-terminated; NULL when it isn't base64. */
char *registry_base64_decode(const char *in, size_t *len);

/* Whether a registry host[:port] may be spoken to without verified TLS: loopback names and
 * addresses always, else an entry of insecure (host, host:port or an IPv4 CIDR). */
bool registry_is_insecure(const char *domain, char *const *insecure);

/* A client for one repository of one registry, shared by the threads of a pull or push (each
 * thread uses its own connection). */
struct registry;
/* domain as in a reference ("docker.io", "127.0.0.1:5000"), path "library/busybox", actions
 * "pull" or "pull,push". Pings /v2/ to learn the scheme and the auth challenge. */
struct registry *registry_open(const char *domain, const char *path, const char *actions,
			       const struct registry_auth *auth, char *const *insecure,
			       struct err *e);
/* The same for a registry at a URL ("http://127.0.0.1:5000", "https://mirror.example"),
 * a mirror of domain: plain HTTP only when the URL says so. */
struct registry *registry_open_url(const char *url, const char *domain, const char *path,
				   const char *actions, const struct registry_auth *auth,
				   char *const *insecure, struct err *e);
void registry_close(struct registry *r);
/* Makes every transfer in progress fail (a client that went away); thread-safe. */
void registry_cancel(struct registry *r);
/* Asks the token server for access to another repository too (cross-repository mounts). */
void registry_add_scope(struct registry *r, const char *path, const char *actions);

/* A manifest as fetched: its bytes, media type and sha256 digest (verified). */
struct registry_manifest {
	char *data;
	size_t len;
	char *media_type;
	char digest[IMAGE_DIGEST_LEN + 1];
};
void registry_manifest_release(struct registry_manifest *m);
/* reference: a tag or a digest. A digest reference must match the bytes; a tag's manifest
 * must match the Docker-Content-Digest the registry sends. Registry errors keep the
 * registry's code: ERR_NOT_FOUND for MANIFEST_UNKNOWN, NAME_UNKNOWN and DENIED. */
int registry_manifest_get(struct registry *r, const char *reference, struct registry_manifest *m,
			  struct err *e);
/* GET /v2/<name>/tags/list: NULL-terminated, malloc'd. */
char **registry_tags_list(struct registry *r, struct err *e);
int registry_manifest_put(struct registry *r, const char *tag, const char *media_type,
			  const char *data, size_t len, struct err *e);

/* Where blob bytes go; -1 stops the transfer. */
typedef int registry_sink_fn(void *arg, const void *data, size_t len);
/* Progress of a transfer (bytes so far); false cancels it. */
typedef bool registry_progress_fn(void *arg, int64_t done);
/* Streams a blob to sink; the digest of what was received is checked at the end
 * (ERR_INVALID "filesystem layer verification failed for digest ..."). */
int registry_blob_get(struct registry *r, const char *digest, registry_sink_fn *sink,
		      registry_progress_fn *progress, void *arg, struct err *e);
/* A small blob (an image config) into memory, checked; at most max bytes. */
char *registry_blob_get_buf(struct registry *r, const char *digest, size_t max, size_t *len,
			    struct err *e);
/* HEAD: *exists, and *size (optional) from Content-Length. */
int registry_blob_exists(struct registry *r, const char *digest, bool *exists, int64_t *size,
			 struct err *e);
/* Cross-repository mount from another repository of the same registry. */
int registry_blob_mount(struct registry *r, const char *digest, const char *from, bool *mounted,
			struct err *e);
/* Uploads size bytes of fd (from offset 0) as blob digest, in chunks; an interrupted chunk
 * is resumed from the offset the registry reports. */
int registry_blob_upload(struct registry *r, const char *digest, int fd, int64_t size,
			 registry_progress_fn *progress, void *arg, struct err *e);
int registry_blob_put_buf(struct registry *r, const char *digest, const char *data, size_t len,
			  struct err *e);

/* POST /auth: checks credentials against the server's /v2/ (basic or token); *denied is set
 * when the registry refused them ("login attempt to ... failed with status: 401 ..."). */
int registry_login(const struct registry_auth *a, char *const *insecure, bool *denied,
		   struct err *e);

#endif
