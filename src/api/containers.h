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

#endif
