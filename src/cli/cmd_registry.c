/* cli/cmd_registry: pull, push, login, logout. Credentials live where the docker CLI keeps
 * them ($DOCKER_CONFIG or ~/.docker/config.json, "auths"), so one login serves both CLIs;
 * they reach the daemon as X-Registry-Auth (base64url JSON), as docker sends them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

#define INDEX_SERVER "https://index.docker.io/v1/"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 (url: the URL-safe alphabet, as docker encodes X-Registry-Auth). */
static char *b64_encode(const unsigned char *s, size_t n, bool url)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		for (int k = 0; k < 4; k++) {
			char ch = B64[(v >> (18 - 6 * k)) & 63];
			if (url && ch == '+')
				ch = '-';
			else if (url && ch == '/')
				ch = '_';
			*o++ = (size_t)k <= (n - i) ? ch : '=';
		}
	}
	*o = 0;
	return out;
}

static char *b64_decode(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(n / 4 * 3 + 4), *o = out;
	unsigned v = 0;
	int bits = 0;
	for (; *s && *s != '='; s++) {
		const char *p = strchr(B64, *s == '-' ? '+' : *s == '_' ? '/' : *s);
		if (!p || !*s)
			break;
		v = v << 6 | (unsigned)(p - B64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(v >> bits & 0xff);
		}
	}
	*o = 0;
	return out;
}

static char *config_path(void)
{
	const char *d = getenv("DOCKER_CONFIG");
	if (d && *d)
		return str_printf("%s/config.json", d);
	const char *home = getenv("HOME");
	return str_printf("%s/.docker/config.json", home && *home ? home : "/root");
}

static json_t *config_load(const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

static int config_save(const char *path, json_t *j, struct err *e)
{
	_cleanup_free_ char *dir = str_dup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	if (slash && fs_mkdir_p(dir, 0700, e) < 0)
		return -1;
	_cleanup_free_ char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	return fs_write_atomic(path, s, strlen(s), 0600, e);
}

/* The registry of a reference as the config's key: docker.io is docker's index URL. */
static char *registry_key(const char *ref)
{
	const char *slash = strchr(ref, '/');
	if (slash) {
		_cleanup_free_ char *host = str_ndup(ref, (size_t)(slash - ref));
		if (strchr(host, '.') || strchr(host, ':') || !strcmp(host, "localhost"))
			return strcmp(host, "docker.io") && strcmp(host, "index.docker.io")
				   ? str_dup(host)
				   : str_dup(INDEX_SERVER);
	}
	return str_dup(INDEX_SERVER);
}

/* X-Registry-Auth for ref from the saved login (an empty object when none). */
static char *auth_header(const char *ref)
{
	_cleanup_free_ char *path = config_path(), *key = registry_key(ref);
	_cleanup_json_ json_t *cfg = config_load(path);
	json_t *a = json_object_get(json_object_get(cfg, "auths"), key);
	const char *enc = json_string_value(json_object_get(a, "auth"));
	_cleanup_json_ json_t *body = json_object();
	if (enc) {
		_cleanup_free_ char *up = b64_decode(enc);
		char *colon = strchr(up, ':');
		if (colon) {
			*colon = 0;
			json_object_set_new(body, "username", json_string(up));
			json_object_set_new(body, "password", json_string(colon + 1));
			json_object_set_new(body, "serveraddress", json_string(key));
		}
	}
	_cleanup_free_ char *s = jx_dumps(body);
	_cleanup_free_ char *b = b64_encode((const unsigned char *)s, strlen(s), true);
	return str_printf("X-Registry-Auth: %s\r\n", b);
}

/* docker's familiar name made full: busybox -> docker.io/library/busybox:latest. */
static char *full_ref(const char *ref, bool *tagged)
{
	const char *slash = strchr(ref, '/');
	_cleanup_free_ char *host = slash ? str_ndup(ref, (size_t)(slash - ref)) : NULL;
	bool has_host =
	    host && (strchr(host, '.') || strchr(host, ':') || !strcmp(host, "localhost"));
	const char *last = strrchr(ref, '/');
	*tagged = strchr(last ? last : ref, ':') || strchr(ref, '@');
	return str_printf("%s%s%s%s", has_host ? "" : "docker.io/",
			  has_host || slash ? "" : "library/", ref, *tagged ? "" : ":latest");
}

/* POST path streaming JSON messages through a progress display on out (auth header sent). */
static int registry_stream(struct cli *c, const char *path, const char *ref, FILE *out, bool quiet,
			   struct progress *pr, struct err *e)
{
	struct cli_http *h = cli_api(c, e);
	if (!h)
		return -1;
	_cleanup_free_ char *auth = auth_header(ref);
	progress_init(pr, out, quiet);
	h->headers = auth;
	int rc = cli_http_stream(h, "POST", path, NULL, NULL, NULL, progress_feed, pr, NULL, e);
	h->headers = NULL;
	progress_finish(pr);
	if (rc == 0 && pr->err[0])
		return err_set(e, ERR_INTERNAL, 0, "%s", pr->err);
	return rc;
}

int cli_pull_image(struct cli *c, const char *ref, const struct cli_pull_opts *po, FILE *out,
		   struct err *e)
{
	bool quiet = po && po->quiet;
	/* as docker sends it: fromImage=NAME&tag=TAG (or the digest) */
	_cleanup_free_ char *name = str_dup(ref);
	char *at = strchr(name, '@'), *last = strrchr(name, '/');
	char *colon = at ? NULL : strrchr(last ? last : name, ':');
	const char *tag = "latest";
	if (at || colon) {
		*(at ? at : colon) = 0;
		tag = (at ? at : colon) + 1;
	} else if (po && po->all_tags) {
		tag = NULL; /* no tag: every tag of the repository */
	} else if (!quiet) {
		fprintf(out, "Using default tag: latest\n");
	}
	_cleanup_free_ char *en = cli_http_escape(name), *et = tag ? cli_http_escape(tag) : NULL;
	_cleanup_free_ char *ep = po && po->platform ? cli_http_escape(po->platform) : NULL;
	_cleanup_free_ char *path =
	    str_printf("/images/create?fromImage=%s%s%s%s%s", en, et ? "&tag=" : "", et ? et : "",
		       ep ? "&platform=" : "", ep ? ep : "");
	struct progress pr;
	return registry_stream(c, path, ref, out, quiet, &pr, e);
}

int cmd_pull(struct cli *c, int argc, char **argv)
{
	bool quiet = false, all = false;
	const char *platform = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all-tags", OPT_BOOL, &all, "Download all tagged images in the repository"},
	    {0, "platform", OPT_STR, &platform,
	     "string\tSet platform if server is multi-platform capable"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Suppress verbose output"},
	    {0}};
	const struct cli_cmd_spec spec = {"pull",
					  "[OPTIONS] NAME[:TAG|@DIGEST]",
					  "Download an image from a registry",
					  1,
					  1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	bool tagged;
	_cleanup_free_ char *full = full_ref(pos[0], &tagged);
	if (all && tagged) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		return 1;
	}
	struct cli_pull_opts po = {.quiet = quiet, .all_tags = all, .platform = platform};
	if (cli_pull_image(c, pos[0], &po, stdout, &e) < 0)
		return cli_report(&e, 1);
	if (all) /* the repository, as docker prints it after -a */
		full[strlen(full) - strlen(":latest")] = 0;
	printf("%s\n", full);
	return 0;
}

int cmd_push(struct cli *c, int argc, char **argv)
{
	bool quiet = false, all = false;
	const struct cli_opt opts[] = {
	    {'a', "all-tags", OPT_BOOL, &all, "Push all tags of an image to the repository"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Suppress verbose output"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", 1, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	_cleanup_free_ char *name = str_dup(pos[0]);
	char *last = strrchr(name, '/'), *colon = strrchr(last ? last : name, ':');
	if (colon)
		*colon++ = 0;
	_cleanup_free_ char *en = cli_http_escape(name);
	_cleanup_free_ char *et = colon ? cli_http_escape(colon) : NULL;
	_cleanup_free_ char *path = str_printf("/images/%s/push%s%s", en, et ? "?tag=" : "",
					       et ? et : (all ? "" : "?tag=latest"));
	struct err e = ERR_INIT;
	struct progress pr;
	if (registry_stream(c, path, pos[0], stdout, quiet, &pr, &e) < 0)
		return cli_report(&e, 1);
	if (quiet)
		printf("%s\n", pos[0]);
	return 0;
}

/* A line from the terminal (no echo for a password) or from a pipe. */
static char *prompt_line(const char *prompt, bool secret)
{
	struct termios old, raw;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
	}
	if (tty && secret) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &raw);
	}
	char buf[4096] = "";
	char *got = fgets(buf, sizeof(buf), stdin);
	if (tty && secret) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!got)
		return NULL;
	buf[strcspn(buf, "\r\n")] = 0;
	return str_dup(buf);
}

int cmd_login(struct cli *c, int argc, char **argv)
{
	const char *user = NULL, *pass = NULL;
	bool pass_stdin = false;
	const struct cli_opt opts[] = {
	    {'p', "password", OPT_STR, &pass, "string\tPassword"},
	    {0, "password-stdin", OPT_BOOL, &pass_stdin, "Take the password from stdin"},
	    {'u', "username", OPT_STR, &user, "string\tUsername"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "login", "[OPTIONS] [SERVER]", "Log in to a registry", 0, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (pass_stdin && pass) {
		fprintf(stderr, "--password and --password-stdin are mutually exclusive\n");
		return 1;
	}
	if (pass_stdin && !user) {
		fprintf(stderr, "Must provide --username with --password-stdin\n");
		return 1;
	}
	_cleanup_free_ char *u = user ? str_dup(user) : prompt_line("Username: ", false);
	_cleanup_free_ char *p = pass ? str_dup(pass) : prompt_line("Password: ", !pass_stdin);
	if (!u || !*u || !p || !*p) {
		fprintf(stderr,
			"Error: Cannot perform an interactive login from a non TTY device\n");
		return 1;
	}
	if (pass)
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
	_cleanup_free_ char *key = pos[0] ? registry_key(pos[0]) : str_dup(INDEX_SERVER);
	_cleanup_free_ char *server = pos[0] ? str_dup(pos[0]) : str_dup(INDEX_SERVER);
	_cleanup_json_ json_t *body =
	    json_pack("{s:s,s:s,s:s}", "username", u, "password", p, "serveraddress", server);
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *out = NULL;
	if (cli_post(c, "/auth", body, &out, &e) < 0)
		return cli_report(&e, 1);
	_cleanup_free_ char *path = config_path();
	_cleanup_json_ json_t *cfg = config_load(path);
	json_t *auths = json_object_get(cfg, "auths");
	if (!json_is_object(auths))
		json_object_set_new(cfg, "auths", auths = json_object());
	_cleanup_free_ char *up = str_printf("%s:%s", u, p);
	_cleanup_free_ char *enc = b64_encode((const unsigned char *)up, strlen(up), false);
	json_object_set_new(auths, pos[0] ? pos[0] : key, json_pack("{s:s}", "auth", enc));
	if (config_save(path, cfg, &e) < 0)
		return cli_report(&e, 1);
	fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s.\n", path);
	printf("%s\n", json_string_value(json_object_get(out, "Status")) ?: "Login Succeeded");
	return 0;
}

int cmd_logout(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_cmd_spec spec = {"logout", "[SERVER]", "Log out from a registry", 0, 1,
					  false,    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	const char *key = pos[0] ? pos[0] : INDEX_SERVER;
	_cleanup_free_ char *path = config_path();
	_cleanup_json_ json_t *cfg = config_load(path);
	json_t *auths = json_object_get(cfg, "auths");
	if (!json_object_get(auths, key)) {
		printf("Not logged in to %s\n", key);
		return 0;
	}
	printf("Removing login credentials for %s\n", key);
	json_object_del(auths, key);
	struct err e = ERR_INIT;
	if (config_save(path, cfg, &e) < 0)
		return cli_report(&e, 1);
	return 0;
}
