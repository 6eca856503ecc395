/* engine/container_config: the create body decoded as dockerd does (every field present,
 * defaults filled in, types checked) and the image config merged in. Pure JSON work. */
#ifndef BERTH_ENGINE_CONTAINER_CONFIG_H
#define BERTH_ENGINE_CONTAINER_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* Config from the create body (its top level); ERR_INVALID naming a mistyped field. */
json_t *container_config_parse(const json_t *body, struct err *e);
/* HostConfig with dockerd's defaults (LogConfig json-file, ShmSize 64 MiB, masked paths). */
json_t *container_hostconfig_parse(const json_t *body, bool cgroup2, struct err *e);
/* Whether env (["K=V", ...]) sets kv's key (the part before '='). */
bool container_env_has_key(const json_t *env, const char *kv);
/* moby's merge of the image's container config into cfg. */
void container_config_merge(json_t *cfg, const json_t *image_config);
/* Path and Args from Entrypoint + Cmd; ERR_INVALID "No command specified". */
int container_config_command(const json_t *cfg, json_t **path, json_t **args, struct err *e);

#endif
