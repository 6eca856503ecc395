/* api/request: reading requests: parameters, query arguments with Docker's boolean rules,
 * headers, API version, JSON bodies (Content-Type checked as dockerd does). */
#include <ctype.h>
#include <microhttpd.h>
#include <poll.h>
#include <string.h>
#include <strings.h>

#include "api/http.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

const char *api_param(struct api_req *req, const char *name)
{
	return api_match_param(&req->match, name);
}

const char *api_query(struct api_req *req, const char *key)
{
	if (!MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), NULL,
					   NULL))
		return NULL;
	const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
	return v ? v : "";
}

struct collect {
	const char *key;
	char ***out;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct collect *c = cls;
	if (key && !strcmp(key, c->key))
		strv_push(c->out, value ? value : "");
	return MHD_YES;
}

char **api_query_all(struct api_req *req, const char *key)
{
	char **v = xcalloc(1, sizeof(char *));
	struct collect c = {key, &v};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_value, &c);
	return v;
}

int api_query_int(struct api_req *req, const char *key, int *out, struct err *e)
{
	const char *v = api_query(req, key);
	if (!v || !*v)
		return 0;
	return str_to_int(v, out, key, e);
}

bool api_query_bool(struct api_req *req, const char *key)
{
	const char *v = api_query(req, key);
	if (!v)
		return false;
	while (isspace((unsigned char)*v))
		v++;
	size_t n = strlen(v);
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	static const char *const falsy[] = {"", "0", "no", "false", "none"};
	for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
		if (strlen(falsy[i]) == n && !strncasecmp(v, falsy[i], n))
			return false;
	return true;
}

const char *api_header(struct api_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool api_version_ge(const struct api_req *req, unsigned maj, unsigned min)
{
	return req->version >= API_VERSION(maj, min);
}

json_t *api_body_json(struct api_req *req, struct err *e)
{
	if (!req->body || req->body_len == 0)
		return NULL;
	const char *ct = api_header(req, "Content-Type");
	if (ct && *ct) {
		size_t n = strcspn(ct, ";");
		while (n && isspace((unsigned char)ct[n - 1]))
			n--;
		if (n != strlen("application/json") || strncasecmp(ct, "application/json", n)) {
			err_invalid(e, "Content-Type specified (%s) must be 'application/json'",
				    ct);
			return NULL;
		}
	}
	json_error_t je;
	json_t *j = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &je);
	if (!j)
		err_invalid(e, "invalid JSON body: line %d column %d: %s", je.line, je.column,
			    je.text);
	return j;
}

int api_req_socket(struct api_req *req)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

bool api_socket_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}
