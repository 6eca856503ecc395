/* api/containers: JSON shapes and list filters of containers (containers_json.c) for the
 * container handlers (containers.c, containers_io.c). */
#ifndef BERTH_API_CONTAINERS_H
#define BERTH_API_CONTAINERS_H

#include <jansson.h>
#include <stdint.h>

#include "api/http.h"
#include "engine/container.h"

/* The record (stolen) made into GET /containers/{id}/json's shape. */
json_t *api_container_inspect_json(struct api_req *req, json_t *rec);
/* A /containers/json item from a record. */
json_t *api_container_summary_json(struct api_req *req, const json_t *rec, int64_t now);
/* Filter names and values (400 "Invalid filter 'x'"). */
int api_container_filters_check(json_t *f, struct err *e);
bool api_container_filter_match(struct api_req *req, const json_t *f, const json_t *rec);

/* A hijacked attach (containers_io.c), also used by exec start. */
struct attach_sess {
	struct engine *eng;
	char id[65];
	bool tty, stdin_once, in, out, err, logs, stream;
	unsigned char keys[16]; /* detach keys */
	size_t nkeys, matched;
	size_t sent[3]; /* payload bytes delivered per stream */
	struct container_attach *handle;
	size_t tailed;
	int sock;
};
/* "ctrl-p,ctrl-q" into key bytes; ERR_INVALID for an unknown key. */
int api_detach_keys_parse(const char *s, unsigned char *out, size_t *n, struct err *e);
/* One output chunk: an 8-byte stdcopy header first unless tty. false when the client left. */
bool api_send_frame(int fd, bool tty, int stream, const char *data, size_t len);
/* Relays the monitor's frames to the client and the client's stdin to the monitor until the
 * monitor closes (the process ended), the client detaches or leaves. */
bool api_attach_relay(struct attach_sess *a, int sock, int mon, const char *extra,
		      size_t extra_len); /* true when detached */

#endif
