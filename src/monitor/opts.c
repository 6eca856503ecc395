/* opts: berth-monitor's command line (docs/monitor-protocol.md). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor_priv.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

static char *absolute(const char *p)
{
	if (p[0] == '/')
		return str_dup(p);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return str_dup(p);
	return path_join(cwd, p);
}

/* Bytes, or Docker's log-opt max-size form (units.RAMInBytes): "10m", "1.5g", "512KiB". */
int mon_parse_size(const char *s, uint64_t *out, struct err *e)
{
	/* Digits with an optional fraction only: strtod alone would take "1e3" or "0x10". */
	size_t n = strspn(s, "0123456789");
	if (n == 0)
		return err_invalid(e, "invalid size: '%s'", s);
	if (s[n] == '.')
		n += 1 + strspn(s + n + 1, "0123456789");
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end != s + n)
		return err_invalid(e, "invalid size: '%s'", s);
	if (*end == ' ')
		end++;
	static const char units[] = "kmgtp";
	const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	double mult = 1;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		end++;
	}
	if (u && tolower((unsigned char)*end) == 'i')
		end++;
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end || v * mult >= 18446744073709551615.0)
		return err_invalid(e, "invalid size: '%s'", s);
	*out = (uint64_t)(v * mult);
	return 0;
}

enum opt_kind { OPT_PATH, OPT_BOOL, OPT_SIZE, OPT_INT };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
	unsigned modes; /* 1: run, 2: exec */
};

#define OFF(f) offsetof(struct mon_opts, f)
static const struct opt opts[] = {
    {"runtime-root", OPT_PATH, OFF(root), 3},
    {"id", OPT_PATH, OFF(id), 3},
    {"bundle", OPT_PATH, OFF(bundle), 1},
    {"state-dir", OPT_PATH, OFF(state_dir), 3},
    {"process", OPT_PATH, OFF(process), 2},
    {"log-path", OPT_PATH, OFF(log_path), 1},
    {"log-max-size", OPT_SIZE, OFF(log_max_size), 1},
    {"log-max-file", OPT_INT, OFF(log_max_file), 1},
    {"ready-fd", OPT_INT, OFF(ready_fd), 3},
    {"attach-fd", OPT_INT, OFF(attach_fd), 3},
    {"control-fd", OPT_INT, OFF(control_fd), 3},
    {"tty", OPT_BOOL, OFF(tty), 3},
    {"stdin", OPT_BOOL, OFF(stdin_open), 3},
    {"stdin-once", OPT_BOOL, OFF(stdin_once), 3},
    {"systemd-cgroup", OPT_BOOL, OFF(systemd_cgroup), 1},
    {"wait-start", OPT_BOOL, OFF(wait_start), 3},
};

static int set_opt(struct mon_opts *o, const struct opt *d, const char *val, struct err *e)
{
	char *field = (char *)o + d->off;
	switch (d->kind) {
	case OPT_BOOL:
		*(bool *)field = true;
		return 0;
	case OPT_PATH:
		free(*(char **)field);
		/* The id is a name, not a path. */
		*(char **)field = d->off == OFF(id) ? str_dup(val) : absolute(val);
		return 0;
	case OPT_SIZE:
		return mon_parse_size(val, (uint64_t *)field, e);
	case OPT_INT:
		return str_to_int(val, (int *)field, d->name, e);
	}
	return 0;
}

static int parse_one(struct mon_opts *o, unsigned mode, char **argv, int *i, struct err *e)
{
	const char *a = argv[*i];
	if (!str_has_prefix(a, "--"))
		return err_invalid(e, "unexpected argument: %s", a);
	a += 2;
	const char *eq = strchr(a, '=');
	size_t nl = eq ? (size_t)(eq - a) : strlen(a);
	for (size_t k = 0; k < ARRAY_SIZE(opts); k++) {
		const struct opt *d = &opts[k];
		if (strlen(d->name) != nl || strncmp(d->name, a, nl) != 0)
			continue;
		if (!(d->modes & mode))
			return err_invalid(e, "--%s: not an option of this mode", d->name);
		if (d->kind == OPT_BOOL)
			return set_opt(o, d, NULL, e);
		const char *val = eq ? eq + 1 : argv[++*i];
		if (!val)
			return err_invalid(e, "--%s needs a value", d->name);
		return set_opt(o, d, val, e);
	}
	return err_invalid(e, "unknown option: %s", argv[*i]);
}

static int check(const struct mon_opts *o, struct err *e)
{
	if (!o->root || !o->id || !o->state_dir)
		return err_invalid(e, "--runtime-root, --id and --state-dir are required");
	if (o->mode == MON_RUN && !o->bundle)
		return err_invalid(e, "run: --bundle is required");
	if (o->mode == MON_EXEC && !o->process)
		return err_invalid(e, "exec: --process is required");
	if (o->log_max_file < 1)
		return err_invalid(e, "--log-max-file must be at least 1");
	if (o->stdin_once && !o->stdin_open)
		return err_invalid(e, "--stdin-once needs --stdin");
	if ((o->attach_fd < 0) != (o->control_fd < 0) ||
	    (o->attach_fd >= 0 && (o->attach_fd < 3 || o->control_fd < 3)))
		return err_invalid(e, "--attach-fd and --control-fd go together, both above 2");
	return 0;
}

int mon_opts_parse(struct mon_opts *o, int argc, char **argv, struct err *e)
{
	memset(o, 0, sizeof(*o));
	o->ready_fd = o->attach_fd = o->control_fd = -1;
	o->log_max_file = 1;
	if (argc < 2)
		return err_invalid(e,
				   "usage: berth-monitor run|exec --flags (see monitor-protocol)");
	if (!strcmp(argv[1], "run"))
		o->mode = MON_RUN;
	else if (!strcmp(argv[1], "exec"))
		o->mode = MON_EXEC;
	else
		return err_invalid(e, "unknown mode %s (run or exec)", argv[1]);
	unsigned mode = o->mode == MON_RUN ? 1 : 2;
	for (int i = 2; i < argc; i++)
		if (parse_one(o, mode, argv, &i, e) < 0)
			return -1;
	return check(o, e);
}

void mon_opts_release(struct mon_opts *o)
{
	free(o->root);
	free(o->id);
	free(o->bundle);
	free(o->state_dir);
	free(o->process);
	free(o->log_path);
	memset(o, 0, sizeof(*o));
	o->ready_fd = o->attach_fd = o->control_fd = -1;
}
