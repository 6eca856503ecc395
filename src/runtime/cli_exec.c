/* cli_exec: `exec`: a process built from the container's own process settings and the
 * flags (or a process.json), run in the container's namespaces and cgroup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cli_cmd.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

enum {
	X_CONSOLE_SOCKET,
	X_CWD,
	X_ENV,
	X_TTY,
	X_USER,
	X_GIDS,
	X_PROCESS,
	X_DETACH,
	X_PID_FILE,
	X_LABEL,
	X_APPARMOR,
	X_NNP,
	X_CAP,
	X_PRESERVE_FDS,
	X_CGROUP,
	X_IGNORE_PAUSED,
};

const struct cli_opt cli_exec_opts[] = {
    {"console-socket", 0, true, X_CONSOLE_SOCKET,
     "path to an AF_UNIX socket which will receive the pty master"},
    {"cwd", 0, true, X_CWD, "current working directory in the container"},
    {"env", 'e', true, X_ENV, "set environment variables"},
    {"tty", 't', false, X_TTY, "allocate a pseudo-TTY"},
    {"user", 'u', true, X_USER, "UID (format: <uid>[:<gid>])"},
    {"additional-gids", 'g', true, X_GIDS, "additional gids"},
    {"process", 'p', true, X_PROCESS, "path to the process.json"},
    {"detach", 'd', false, X_DETACH, "detach from the container's process"},
    {"pid-file", 0, true, X_PID_FILE, "specify the file to write the process id to"},
    {"process-label", 0, true, X_LABEL,
     "set the asm process label for the process commonly used with selinux"},
    {"apparmor", 0, true, X_APPARMOR, "set the apparmor profile for the process"},
    {"no-new-privs", 0, false, X_NNP, "set the no new privileges value for the process"},
    {"cap", 'c', true, X_CAP, "add a capability to the bounding set for the process"},
    {"preserve-fds", 0, true, X_PRESERVE_FDS,
     "pass N additional file descriptors to the container"},
    {"cgroup", 0, true, X_CGROUP, "run the process in an (existing) sub-cgroup(s)"},
    {"ignore-paused", 0, false, X_IGNORE_PAUSED, "allow exec in a paused container"},
    {0},
};

struct exec_ctx {
	struct exec_opts x;
	const char *cwd, *user, *process_file;
	char **env, **caps, **gids;
	bool tty, nnp;
};

static int on_exec(void *ctx, int id, const char *val, struct err *e)
{
	struct exec_ctx *c = ctx;
	switch (id) {
	case X_CONSOLE_SOCKET:
		c->x.c.console_socket = val;
		break;
	case X_CWD:
		c->cwd = val;
		break;
	case X_ENV:
		strv_push(&c->env, val);
		break;
	case X_TTY:
		c->tty = cli_opt_bool(val);
		break;
	case X_USER:
		c->user = val;
		break;
	case X_GIDS:
		strv_push(&c->gids, val);
		break;
	case X_PROCESS:
		c->process_file = val;
		break;
	case X_DETACH:
		c->x.c.detach = cli_opt_bool(val);
		break;
	case X_PID_FILE:
		c->x.c.pid_file = val;
		break;
	case X_NNP:
		c->nnp = cli_opt_bool(val);
		break;
	case X_CAP:
		strv_push(&c->caps, val);
		break;
	case X_PRESERVE_FDS:
		return str_to_int(val, &c->x.c.preserve_fds, "preserve-fds", e);
	case X_CGROUP:
		strv_push(&c->x.sub_cgroups, val);
		break;
	case X_IGNORE_PAUSED:
		c->x.ignore_paused = cli_opt_bool(val);
		break;
	default:
		break;
	}
	return 0;
}

static int apply_user(struct spec_process *p, const char *user, char **gids, struct err *e)
{
	if (user) {
		_cleanup_free_ char *u = str_dup(user);
		char *colon = strchr(u, ':');
		if (colon)
			*colon++ = '\0';
		int uid, gid;
		if (str_to_int(u, &uid, "user", e) < 0)
			return -1;
		p->user.uid = (uid_t)uid;
		if (colon) {
			if (str_to_int(colon, &gid, "group", e) < 0)
				return -1;
			p->user.gid = (gid_t)gid;
		}
	}
	size_t n = strv_len(gids);
	if (n == 0)
		return 0;
	free(p->user.additional_gids);
	p->user.additional_gids = xcalloc(n, sizeof(gid_t));
	p->user.n_additional_gids = n;
	for (size_t i = 0; i < n; i++) {
		int g;
		if (str_to_int(gids[i], &g, "additional-gids", e) < 0)
			return -1;
		p->user.additional_gids[i] = (gid_t)g;
	}
	return 0;
}

static int apply_flags(struct exec_ctx *c, struct spec_process *p, char **args, struct err *e)
{
	strv_free(p->args);
	p->args = strv_copy(args);
	p->terminal = c->tty;
	for (size_t i = 0; c->env && c->env[i]; i++)
		strv_push(&p->env, c->env[i]);
	if (c->cwd) {
		free(p->cwd);
		p->cwd = str_dup(c->cwd);
	}
	if (c->nnp)
		p->no_new_privileges = true;
	for (size_t i = 0; c->caps && c->caps[i]; i++) {
		int cap = spec_cap_from_name(c->caps[i]);
		if (cap < 0)
			return err_invalid(e, "unknown capability %s", c->caps[i]);
		uint64_t bit = 1ULL << cap;
		p->caps.bounding |= bit;
		p->caps.effective |= bit;
		p->caps.permitted |= bit;
		p->caps.inheritable |= bit;
		p->caps.ambient |= bit;
		p->caps.set = true;
	}
	return apply_user(p, c->user, c->gids, e);
}

static int build_process(struct exec_ctx *c, const json_t *config, int n, char **args,
			 struct spec_process *p, struct err *e)
{
	if (c->process_file) {
		_cleanup_json_ json_t *j = jx_load_file(c->process_file, e);
		if (!j || spec_process_parse(j, "process", p, e) < 0)
			return -1;
		if (c->tty)
			p->terminal = true;
		return 0;
	}
	if (n < 2)
		return err_invalid(e, "exec args cannot be empty");
	json_t *base = json_object_get(config, "process");
	if (spec_process_parse(base, "process", p, e) < 0)
		return -1;
	return apply_flags(c, p, args + 1, e);
}

int cli_exec(struct cli *g, int argc, char **argv, struct err *e)
{
	struct exec_ctx c = {0};
	c.x.c.root = g->root;
	g->error_status = 255;
	_cleanup_free_ char **args = NULL;
	struct spec_process p = {0};
	int n = cli_cmd_args(cli_cmd_find("exec"), argc, argv, on_exec, &c, &args, e);
	int r = n < 0 ? -1 : cli_need_args("exec", n, 1, -1, e);
	if (r == 0) {
		c.x.c.id = args[0];
		_cleanup_state_ struct container_state *s = state_load(g->root, args[0], e);
		r = s ? build_process(&c, s->config, n, args, &p, e) : -1;
	}
	if (r == 0) {
		c.x.proc = &p;
		r = container_exec(&c.x, &g->exit_status, e);
	}
	spec_process_release(&p);
	strv_free(c.env);
	strv_free(c.caps);
	strv_free(c.gids);
	strv_free(c.x.sub_cgroups);
	return r;
}
