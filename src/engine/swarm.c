/* engine/swarm: a one-node swarm: init, inspect, update (spec, token and unlock key
 * rotation), leave; the state in root/swarm/state.json, replaced atomically on each change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine/engine_priv.h"
#include "engine/swarm.h"
#include "engine/swarm_priv.h"
#include "store/store.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static int random_bytes(void *buf, size_t n, struct err *e)
{
	if (getrandom(buf, n, 0) != (ssize_t)n)
		return err_sys(e, "getrandom");
	return 0;
}

/* Big-endian bytes as base 36, zero-padded to width (swarmkit's IDs and token parts). */
static void base36(const uint8_t *in, size_t n, char *out, size_t width)
{
	uint8_t num[64];
	char tmp[128];
	size_t len = 0;
	memcpy(num, in, n);
	for (bool nonzero = true; nonzero && len < sizeof(tmp);) {
		unsigned rem = 0;
		nonzero = false;
		for (size_t i = 0; i < n; i++) {
			unsigned cur = rem * 256 + num[i];
			num[i] = (uint8_t)(cur / 36);
			rem = cur % 36;
			nonzero = nonzero || num[i];
		}
		tmp[len++] = "0123456789abcdefghijklmnopqrstuvwxyz"[rem];
	}
	size_t pad = width > len ? width - len : 0;
	memset(out, '0', pad);
	for (size_t i = 0; i < len; i++)
		out[pad + i] = tmp[len - 1 - i];
	out[pad + len] = '\0';
}

int swarm_new_id(char out[SWARM_ID_LEN + 1], struct err *e)
{
	uint8_t b[16];
	if (random_bytes(b, sizeof(b), e) < 0)
		return -1;
	base36(b, sizeof(b), out, SWARM_ID_LEN);
	out[SWARM_ID_LEN] = '\0';
	return 0;
}

/* "SWMTKN-1-<the cluster's digest, 50>-<secret, 25>" as swarmkit makes join tokens. */
static json_t *new_token(const json_t *st, struct err *e)
{
	uint8_t digest[32], secret[16];
	const char *hex = json_string_value(json_object_get(st, "CADigest"));
	memset(digest, 0, sizeof(digest));
	for (size_t i = 0; hex && strlen(hex) == 64 && i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &digest[i]);
	if (random_bytes(secret, sizeof(secret), e) < 0)
		return NULL;
	char d36[64], s36[32];
	base36(digest, sizeof(digest), d36, 50);
	base36(secret, sizeof(secret), s36, 25);
	return json_sprintf("SWMTKN-1-%s-%s", d36, s36);
}

/* "SWMKEY-1-<base64 of 32 random bytes>", the form of swarmkit's human-readable keys. */
static json_t *new_unlock_key(struct err *e)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t k[33] = {0};
	if (random_bytes(k, 32, e) < 0)
		return NULL;
	char out[64];
	size_t o = 0;
	for (size_t i = 0; i < 32; i += 3) {
		uint32_t v = (uint32_t)k[i] << 16 | (uint32_t)k[i + 1] << 8 | k[i + 2];
		size_t chars = i + 3 <= 32 ? 4 : 3; /* 32 bytes: 43 characters, unpadded */
		for (size_t j = 0; j < chars; j++)
			out[o++] = b64[(v >> (18 - 6 * j)) & 63];
	}
	out[o] = '\0';
	return json_sprintf("SWMKEY-1-%s", out);
}

struct swarm *swarm_of(struct engine *eng)
{
	return eng->swarm;
}

int swarm_err_no_manager(struct err *e)
{
	return err_set(e, ERR_UNAVAILABLE, 0,
		       "This node is not a swarm manager. Use \"docker swarm init\" or \"docker "
		       "swarm join\" to connect this node to swarm and try again.");
}

static int save_locked(struct swarm *s, json_t *st, struct err *e)
{
	return jx_save_atomic(s->path, st, e);
}

int swarm_replace_locked(struct swarm *s, json_t **st, struct err *e)
{
	if (save_locked(s, *st, e) < 0)
		return -1;
	json_decref(s->st);
	s->st = TAKE_PTR(*st);
	return 0;
}

int swarm_open(struct engine *eng, struct err *e)
{
	struct swarm *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	_cleanup_free_ char *dir = str_printf("%s/swarm", eng->root);
	s->path = str_printf("%s/state.json", dir);
	eng->swarm = s;
	if (store_mkdir(dir, 0700, e) < 0 || store_clean_tmp(dir, e) < 0)
		return -1;
	struct err e2 = ERR_INIT;
	s->st = store_load_json(s->path, &e2);
	if (!s->st && e2.kind != ERR_NOT_FOUND)
		log_warn("swarm state %s unreadable, the node is in no swarm: %s", s->path, e2.msg);
	if (!json_is_object(s->st) || !json_is_string(json_object_get(s->st, "NodeID"))) {
		json_decref(s->st);
		s->st = NULL;
		/* networks of a swarm whose state is gone (a crash while leaving) */
		pthread_mutex_lock(&s->mu);
		if (swarm_networks_remove_locked(eng, &e2) < 0)
			log_warn("%s", e2.msg);
		pthread_mutex_unlock(&s->mu);
	}
	return 0;
}

void swarm_close(struct engine *eng)
{
	struct swarm *s = eng->swarm;
	if (!s)
		return;
	json_decref(s->st);
	free(s->path);
	pthread_mutex_destroy(&s->mu);
	free(s);
	eng->swarm = NULL;
}

char *engine_swarm_init(struct engine *eng, const json_t *body, struct err *e)
{
	struct swarm *s = eng->swarm;
	pthread_mutex_lock(&s->mu);
	if (s->st) {
		/* --force-new-cluster on the only manager: the same node and state */
		char *id = json_is_true(json_object_get(body, "ForceNewCluster"))
			       ? str_dup(json_string_value(json_object_get(s->st, "NodeID")))
			       : NULL;
		if (!id)
			err_set(e, ERR_UNAVAILABLE, 0,
				"This node is already part of a swarm. Use \"docker swarm leave\" "
				"to leave this swarm and join another one.");
		pthread_mutex_unlock(&s->mu);
		return id;
	}
	json_t *st = swarm_state_new(body, e);
	if (st) {
		json_object_set_new(json_object_get(st, "JoinTokens"), "Worker",
				    new_token(st, NULL));
		json_object_set_new(json_object_get(st, "JoinTokens"), "Manager",
				    new_token(st, NULL));
		if (json_is_true(json_object_get(
			json_object_get(json_object_get(st, "Spec"), "EncryptionConfig"),
			"AutoLockManagers")))
			json_object_set_new(st, "UnlockKey", new_unlock_key(NULL));
	}
	/* the state first: a crash before the ingress network leaves a swarm without it
	 * (as one whose ingress was removed); the other order left a network of no swarm */
	if (!st || save_locked(s, st, e) < 0) {
		json_decref(st);
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	s->st = st;
	if (swarm_network_ingress_locked(eng, s, e) < 0) {
		store_remove_file(s->path, NULL);
		s->st = NULL;
		json_decref(st);
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	char *id = str_dup(json_string_value(json_object_get(st, "NodeID")));
	pthread_mutex_unlock(&s->mu);
	return id;
}

int engine_swarm_leave(struct engine *eng, bool force, struct err *e)
{
	struct swarm *s = eng->swarm;
	pthread_mutex_lock(&s->mu);
	int r = 0;
	if (!s->st)
		r = err_set(e, ERR_UNAVAILABLE, 0, "This node is not part of a swarm");
	else if (!force)
		r = err_set(e, ERR_UNAVAILABLE, 0,
			    "You are attempting to leave the swarm on a node that is participating "
			    "as a manager. Removing the last manager erases all current state of "
			    "the swarm. Use `--force` to ignore this message. ");
	/* the networks first, so that a crash in between leaves a swarm to leave again */
	else if (swarm_networks_remove_locked(eng, e) < 0 || store_remove_file(s->path, e) < 0)
		r = -1;
	if (r == 0) {
		json_decref(s->st);
		s->st = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

json_t *engine_swarm_inspect(struct engine *eng, struct err *e)
{
	struct swarm *s = eng->swarm;
	pthread_mutex_lock(&s->mu);
	json_t *r = s->st ? swarm_cluster_json(s->st, true) : NULL;
	pthread_mutex_unlock(&s->mu);
	if (!r)
		swarm_err_no_manager(e);
	return r;
}

/* The updated state: spec over the defaults, tokens and the unlock key as asked. */
static json_t *updated(const json_t *cur, const json_t *spec, const struct swarm_rotate *rot,
		       struct err *e)
{
	json_t *st = json_deep_copy(cur);
	json_t *sp = swarm_spec_merge(spec, e);
	if (!sp) {
		json_decref(st);
		return NULL;
	}
	json_object_set_new(st, "Spec", sp);
	json_t *tokens = json_object_get(st, "JoinTokens");
	if (rot->worker)
		json_object_set_new(tokens, "Worker", new_token(st, NULL));
	if (rot->manager)
		json_object_set_new(tokens, "Manager", new_token(st, NULL));
	bool lock = json_is_true(
	    json_object_get(json_object_get(sp, "EncryptionConfig"), "AutoLockManagers"));
	const char *key = json_string_value(json_object_get(st, "UnlockKey"));
	if (!lock)
		json_object_set_new(st, "UnlockKey", json_string(""));
	else if (rot->unlock_key || !key || !*key)
		json_object_set_new(st, "UnlockKey", new_unlock_key(NULL));
	json_object_set_new(st, "Version",
			    json_integer(json_integer_value(json_object_get(st, "Version")) + 1));
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	json_object_set_new(st, "UpdatedAt", json_string(now));
	return st;
}

int engine_swarm_update(struct engine *eng, int64_t version, const json_t *spec,
			const struct swarm_rotate *rot, struct err *e)
{
	struct swarm *s = eng->swarm;
	pthread_mutex_lock(&s->mu);
	json_t *st = NULL;
	int r = -1;
	if (!s->st)
		swarm_err_no_manager(e);
	else if (version != json_integer_value(json_object_get(s->st, "Version")))
		err_set(e, ERR_INTERNAL, 0,
			"rpc error: code = Unknown desc = update out of sequence");
	else if ((st = updated(s->st, spec, rot, e)))
		r = swarm_replace_locked(s, &st, e);
	json_decref(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

json_t *engine_swarm_unlockkey(struct engine *eng, struct err *e)
{
	struct swarm *s = eng->swarm;
	pthread_mutex_lock(&s->mu);
	json_t *r = s->st ? json_pack("{s:s}", "UnlockKey",
				      json_string_value(json_object_get(s->st, "UnlockKey")) ?: "")
			  : NULL;
	pthread_mutex_unlock(&s->mu);
	if (!r)
		swarm_err_no_manager(e);
	return r;
}

int engine_swarm_unlock(struct engine *eng, struct err *e)
{
	struct swarm *s = eng->swarm;
	pthread_mutex_lock(&s->mu);
	bool active = s->st != NULL;
	pthread_mutex_unlock(&s->mu);
	return active ? err_conflict(e, "swarm is not locked") : swarm_err_no_manager(e);
}
