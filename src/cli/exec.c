/* cli/exec: `berth exec`: inspect, create the exec, start it hijacked (or detached), then
 * the exit code from the exec's inspect. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/run_opts.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static void exec_resize(unsigned short h, unsigned short w, void *ud)
{
	void **u = ud;
	struct err e = ERR_INIT;
	_cleanup_free_ char *p = str_printf("/exec/%s/resize?h=%u&w=%u", (char *)u[1], h, w);
	cli_do(u[0], "POST", p, &e);
}

static int exec_stream(struct cli *c, const char *eid, bool tty, bool in, const char *keys,
		       struct err *e)
{
	unsigned char dk[CLI_DETACH_KEYS_MAX];
	size_t ndk = 0;
	if (keys && cli_detach_keys_parse(keys, dk, &ndk, e) < 0)
		return cli_report(e, 1);
	_cleanup_free_ char *path = str_printf("/exec/%s/start", eid);
	_cleanup_free_ char *body =
	    str_printf("{\"Detach\":false,\"Tty\":%s}", tty ? "true" : "false");
	struct hijack h;
	if (cli_hijack(c->sock, path, body, &h, e) < 0)
		return cli_report(e, 1);
	void *ud[2] = {c, (void *)eid};
	struct pump p = {.tty = tty,
			 .stdin_on = in,
			 .resize = tty ? exec_resize : NULL,
			 .ud = ud,
			 .keys = dk,
			 .nkeys = ndk};
	int r = cli_pump_close(&h, &p, e);
	if (r < 0)
		return cli_report(e, 1);
	if (p.detached)
		return 0;
	_cleanup_free_ char *ip = str_printf("/exec/%s/json", eid);
	_cleanup_json_ json_t *info = NULL;
	if (cli_get(c, ip, &info, e) < 0)
		return cli_report(e, 1);
	return (int)json_integer_value(json_object_get(info, "ExitCode"));
}

int cmd_exec(struct cli *c, int argc, char **argv)
{
	bool detach = false, in = false, tty = false, priv = false;
	const char *workdir = NULL, *user = NULL, *keys = NULL;
	_cleanup_strv_ char **env = NULL, **env_files = NULL;
	const struct cli_opt opts[] = {
	    {'d', "detach", OPT_BOOL, &detach, "Detached mode: run command in the background"},
	    {0, "detach-keys", OPT_STR, &keys, "string\tOverride the key sequence for detaching"},
	    {'e', "env", OPT_LIST, &env, "list\tSet environment variables"},
	    {0, "env-file", OPT_LIST, &env_files, "list\tRead in a file of environment variables"},
	    {'i', "interactive", OPT_BOOL, &in, "Keep STDIN open even if not attached"},
	    {0, "privileged", OPT_BOOL, &priv, "Give extended privileges to the command"},
	    {'t', "tty", OPT_BOOL, &tty, "Allocate a pseudo-TTY"},
	    {'u', "user", OPT_STR, &user, "string\tUsername or UID"},
	    {'w', "workdir", OPT_STR, &workdir, "string\tWorking directory inside the container"},
	    {0}};
	const struct cli_cmd_spec spec = {"exec",
					  "[OPTIONS] CONTAINER COMMAND [ARG...]",
					  "Execute a command in a running container",
					  2,
					  -1,
					  true,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_free_ char *cid = cli_http_escape(pos[0]);
	_cleanup_json_ json_t *body =
	    json_pack("{s:b,s:b,s:b,s:b,s:o,s:o,s:s,s:s,s:b}", "AttachStdin", in && !detach,
		      "AttachStdout", !detach, "AttachStderr", !detach, "Tty", tty, "Cmd",
		      cli_json_strv(pos + 1), "Env", json_array(), "WorkingDir",
		      workdir ? workdir : "", "User", user ? user : "", "Privileged", priv);
	json_t *envs = json_object_get(body, "Env"), *flags = env_json(env);
	if (run_env_files(env_files, envs, &e) < 0) {
		json_decref(flags);
		return cli_report(&e, 1);
	}
	json_array_extend(envs, flags);
	json_decref(flags);
	if (keys)
		json_object_set_new(body, "DetachKeys", json_string(keys));
	_cleanup_free_ char *path = str_printf("/containers/%s/exec", cid);
	_cleanup_json_ json_t *out = NULL;
	if (cli_post(c, path, body, &out, &e) < 0)
		return cli_report(&e, 1);
	const char *eid = json_string_value(json_object_get(out, "Id"));
	if (!eid)
		return fprintf(stderr, "berth: no exec ID in the daemon's reply\n"), 1;
	if (detach) {
		_cleanup_free_ char *sp = str_printf("/exec/%s/start", eid);
		_cleanup_json_ json_t *sb = json_pack("{s:b,s:b}", "Detach", 1, "Tty", tty);
		if (cli_post(c, sp, sb, NULL, &e) < 0)
			return cli_report(&e, 1);
		return 0;
	}
	return exec_stream(c, eid, tty, in, keys, &e);
}
