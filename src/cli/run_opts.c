/* cli/run_opts: create/run flags into the Engine API create body. */
#include "cli/run_opts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static int opt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cli_opt *)a)->lng, ((const struct cli_opt *)b)->lng);
}

void run_opts_table(struct run_opts *r, struct cli_opt *o, bool run)
{
	const struct cli_opt all[] = {
	    {'a', "attach", OPT_LIST, &r->attach, "list\tAttach to STDIN, STDOUT or STDERR"},
	    {0, "add-host", OPT_LIST, &r->add_host, "list\tAdd a custom host-to-IP mapping"},
	    {0, "cap-add", OPT_LIST, &r->cap_add, "list\tAdd Linux capabilities"},
	    {0, "cap-drop", OPT_LIST, &r->cap_drop, "list\tDrop Linux capabilities"},
	    {0, "cidfile", OPT_STR, &r->cidfile, "string\tWrite the container ID to the file"},
	    {0, "cpus", OPT_STR, &r->cpus, "decimal\tNumber of CPUs"},
	    {'d', "detach", OPT_BOOL, &r->detach,
	     "Run container in background and print container ID"},
	    {0, "detach-keys", OPT_STR, &r->detach_keys,
	     "string\tOverride the key sequence for detaching"},
	    {0, "dns", OPT_LIST, &r->dns, "list\tSet custom DNS servers"},
	    {'e', "env", OPT_LIST, &r->env, "list\tSet environment variables"},
	    {0, "env-file", OPT_LIST, &r->env_file,
	     "list\tRead in a file of environment variables"},
	    {0, "entrypoint", OPT_STR, &r->entrypoint,
	     "string\tOverwrite the default ENTRYPOINT of the image"},
	    {0, "expose", OPT_LIST, &r->expose, "list\tExpose a port or a range of ports"},
	    {'h', "hostname", OPT_STR, &r->hostname, "string\tContainer host name"},
	    {0, "init", OPT_BOOL, &r->init, "Run an init inside the container"},
	    {'i', "interactive", OPT_BOOL, &r->interactive, "Keep STDIN open even if not attached"},
	    {'l', "label", OPT_LIST, &r->labels, "list\tSet meta data on a container"},
	    {'m', "memory", OPT_STR, &r->memory, "bytes\tMemory limit"},
	    {0, "name", OPT_STR, &r->name, "string\tAssign a name to the container"},
	    {0, "network", OPT_STR, &r->network, "network\tConnect a container to a network"},
	    {0, "net", OPT_STR, &r->network, "network\tConnect a container to a network"},
	    {0, "platform", OPT_STR, &r->platform,
	     "string\tSet platform if server is multi-platform capable"},
	    {0, "privileged", OPT_BOOL, &r->privileged,
	     "Give extended privileges to this container"},
	    {'p', "publish", OPT_LIST, &r->publish,
	     "list\tPublish a container's port(s) to the host"},
	    {0, "pull", OPT_STR, &r->pull,
	     "string\tPull image before running (always, missing, never)"},
	    {'q', "quiet", OPT_BOOL, &r->quiet, "Suppress the pull output"},
	    {0, "read-only", OPT_BOOL, &r->read_only,
	     "Mount the container's root filesystem as read only"},
	    {0, "restart", OPT_STR, &r->restart,
	     "string\tRestart policy to apply when a container exits"},
	    {0, "rm", OPT_BOOL, &r->rm, "Automatically remove the container when it exits"},
	    {0, "sig-proxy", OPT_BOOL, &r->sig_proxy, "Proxy received signals to the process"},
	    {0, "stop-signal", OPT_STR, &r->stop_signal, "string\tSignal to stop the container"},
	    {0, "stop-timeout", OPT_STR, &r->stop_timeout,
	     "int\tTimeout (in seconds) to stop a container"},
	    {'t', "tty", OPT_BOOL, &r->tty, "Allocate a pseudo-TTY"},
	    {0, "tmpfs", OPT_LIST, &r->tmpfs, "list\tMount a tmpfs directory"},
	    {'u', "user", OPT_STR, &r->user,
	     "string\tUsername or UID (format: <name|uid>[:<group|gid>])"},
	    {'v', "volume", OPT_LIST, &r->volumes, "list\tBind mount a volume"},
	    {'w', "workdir", OPT_STR, &r->workdir,
	     "string\tWorking directory inside the container"},
	    {0}};
	size_t n = 0;
	for (size_t i = 0; all[i].sh || all[i].lng; i++) {
		bool run_only = all[i].dst == &r->detach || all[i].dst == &r->sig_proxy ||
				all[i].dst == &r->detach_keys;
		if (!run_only || run)
			o[n++] = all[i];
	}
	n += run_extra_table(r, o + n);
	o[n] = (struct cli_opt){0};
	/* listed alphabetically in --help, as docker lists them */
	qsort(o, n, sizeof(*o), opt_cmp);
}

void run_opts_release(struct run_opts *r)
{
	char ***lists[] = {&r->env,	&r->volumes,  &r->publish,  &r->labels,
			   &r->cap_add, &r->cap_drop, &r->tmpfs,    &r->attach,
			   &r->expose,	&r->dns,      &r->add_host, &r->env_file};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		strv_free(*lists[i]);
		*lists[i] = NULL;
	}
	run_extra_release(r);
}

int run_parse_memory(const char *s, long long *out, struct err *e)
{
	char *end = NULL;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return err_invalid(e, "invalid size: '%s'", s);
	double mul = 1;
	switch (tolower((unsigned char)*end)) {
	case 0:
		break;
	case 'b':
		end--;
		break;
	case 'k':
		mul = 1024.0;
		break;
	case 'm':
		mul = 1024.0 * 1024;
		break;
	case 'g':
		mul = 1024.0 * 1024 * 1024;
		break;
	case 't':
		mul = 1024.0 * 1024 * 1024 * 1024;
		break;
	default:
		return err_invalid(e, "invalid size: '%s'", s);
	}
	if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]) &&
	    !(tolower((unsigned char)end[1]) == 'i' && tolower((unsigned char)end[2]) == 'b' &&
	      !end[3]))
		return err_invalid(e, "invalid size: '%s'", s);
	*out = (long long)(v * mul);
	return 0;
}

/* [ip:][hostport:]containerport[/proto] */
int run_parse_publish(const char *s, json_t *bindings, json_t *exposed, struct err *e)
{
	_cleanup_free_ char *v = str_dup(s);
	char *proto = strrchr(v, '/');
	if (proto)
		*proto++ = 0;
	const char *ip = "", *hp = "", *cp = v;
	char *c2 = strrchr(v, ':');
	if (c2) {
		*c2 = 0;
		cp = c2 + 1;
		char *c1 = strrchr(v, ':');
		if (c1) {
			*c1 = 0;
			ip = v;
			hp = c1 + 1;
		} else {
			hp = v;
		}
	}
	if (!*cp || strspn(cp, "0123456789-") != strlen(cp))
		return err_invalid(e, "invalid containerPort: %s", cp);
	if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return err_invalid(e, "invalid proto: %s", proto);
	if (ip[0] == '[') {
		ip++;
		if (*ip && ip[strlen(ip) - 1] == ']')
			((char *)ip)[strlen(ip) - 1] = 0;
	}
	_cleanup_free_ char *key = str_printf("%s/%s", cp, proto ? proto : "tcp");
	json_object_set_new(exposed, key, json_object());
	json_t *list = json_object_get(bindings, key);
	if (!list) {
		list = json_array();
		json_object_set_new(bindings, key, list);
	}
	json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", hp));
	return 0;
}

int run_env_files(char **files, json_t *out, struct err *e)
{
	for (; files && *files; files++) {
		_cleanup_free_ char *text = fs_read_file(*files, NULL, e);
		if (!text)
			return err_wrap(e, "--env-file");
		_cleanup_strv_ char **lines = strv_split(text, "\r\n");
		_cleanup_strv_ char **keep = NULL;
		for (char **l = lines; l && *l; l++) {
			const char *k = *l + strspn(*l, " \t");
			if (*k && *k != '#')
				strv_push(&keep, k);
		}
		json_t *a = env_json(keep);
		json_array_extend(out, a);
		json_decref(a);
	}
	return 0;
}

/* -e KEY takes KEY's value from our environment, or is dropped when unset (as docker). */
json_t *env_json(char **env)
{
	json_t *a = json_array();
	for (; env && *env; env++) {
		if (strchr(*env, '=')) {
			json_array_append_new(a, json_string(*env));
		} else {
			const char *v = getenv(*env);
			_cleanup_free_ char *kv = v ? str_printf("%s=%s", *env, v) : NULL;
			if (kv)
				json_array_append_new(a, json_string(kv));
		}
	}
	return a;
}

static int restart_policy(const char *s, json_t **out, struct err *e)
{
	_cleanup_free_ char *name = str_dup(s && *s ? s : "no");
	char *colon = strchr(name, ':');
	long long max = 0;
	if (colon) {
		*colon = 0;
		char *end = NULL;
		max = strtoll(colon + 1, &end, 10);
		if (end == colon + 1 || *end || strcmp(name, "on-failure"))
			return err_invalid(e, "invalid restart policy format");
	}
	if (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "on-failure") &&
	    strcmp(name, "unless-stopped"))
		return err_invalid(e, "invalid restart policy %s", name);
	*out = json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount", max);
	return 0;
}

static int host_config(const struct run_opts *r, json_t *cfg, json_t *hc, struct err *e)
{
	json_t *bindings = json_object(), *exposed = json_object();
	json_object_set_new(hc, "PortBindings", bindings);
	json_object_set_new(cfg, "ExposedPorts", exposed);
	for (char **p = r->publish; p && *p; p++)
		if (run_parse_publish(*p, bindings, exposed, e) < 0)
			return -1;
	for (char **p = r->expose; p && *p; p++) {
		_cleanup_free_ char *k = strchr(*p, '/') ? str_dup(*p) : str_printf("%s/tcp", *p);
		json_object_set_new(exposed, k, json_object());
	}
	json_t *rp = NULL;
	if (restart_policy(r->restart, &rp, e) < 0)
		return -1;
	if (r->rm && r->restart && strcmp(r->restart, "no"))
		return err_invalid(e, "Conflicting options: --restart and --rm");
	json_object_set_new(hc, "RestartPolicy", rp);
	long long mem = 0;
	if (r->memory && run_parse_memory(r->memory, &mem, e) < 0)
		return -1;
	json_object_set_new(hc, "Memory", json_integer(mem));
	if (r->cpus) {
		char *end = NULL;
		double c = strtod(r->cpus, &end);
		if (end == r->cpus || *end || c < 0)
			return err_invalid(e, "invalid argument \"%s\" for \"--cpus\" flag",
					   r->cpus);
		json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)(c * 1e9 + 0.5)));
	}
	json_object_set_new(hc, "Binds", cli_json_strv(r->volumes));
	json_object_set_new(hc, "AutoRemove", json_boolean(r->rm));
	json_object_set_new(hc, "Privileged", json_boolean(r->privileged));
	json_object_set_new(hc, "ReadonlyRootfs", json_boolean(r->read_only));
	json_object_set_new(hc, "NetworkMode", json_string(r->network ? r->network : "default"));
	json_object_set_new(hc, "CapAdd", cli_json_strv(r->cap_add));
	json_object_set_new(hc, "CapDrop", cli_json_strv(r->cap_drop));
	json_object_set_new(hc, "Dns", cli_json_strv(r->dns));
	json_object_set_new(hc, "ExtraHosts", cli_json_strv(r->add_host));
	json_object_set_new(hc, "Tmpfs", cli_json_kv(r->tmpfs, ':'));
	if (r->init)
		json_object_set_new(hc, "Init", json_true());
	/* the size from the start: a process that asks at once must not see 0x0 */
	struct winsize ws;
	if (r->tty && (ioctl(1, TIOCGWINSZ, &ws) == 0 || ioctl(0, TIOCGWINSZ, &ws) == 0) &&
	    ws.ws_row)
		json_object_set_new(hc, "ConsoleSize", json_pack("[i,i]", ws.ws_row, ws.ws_col));
	json_object_set_new(hc, "LogConfig", json_pack("{s:s,s:{}}", "Type", "", "Config"));
	return 0;
}

json_t *run_opts_body(const struct run_opts *r, struct err *e)
{
	_cleanup_json_ json_t *b = json_object();
	json_t *hc = json_object();
	bool attached = !r->detach;
	json_object_set_new(b, "Image", json_string(r->image));
	if (r->cmd && *r->cmd)
		json_object_set_new(b, "Cmd", cli_json_strv(r->cmd));
	if (r->entrypoint)
		json_object_set_new(b, "Entrypoint",
				    *r->entrypoint ? json_pack("[s]", r->entrypoint)
						   : json_array());
	/* env files first: -e given on the command line wins */
	json_t *env = json_array();
	json_object_set_new(b, "Env", env);
	if (run_env_files(r->env_file, env, e) < 0)
		return NULL;
	json_t *flags = env_json(r->env);
	json_array_extend(env, flags);
	json_decref(flags);
	json_object_set_new(b, "Tty", json_boolean(r->tty));
	json_object_set_new(b, "OpenStdin", json_boolean(r->interactive));
	json_object_set_new(b, "StdinOnce", json_boolean(r->interactive && attached));
	json_object_set_new(b, "AttachStdin", json_boolean(r->interactive && attached));
	json_object_set_new(b, "AttachStdout", json_boolean(attached));
	json_object_set_new(b, "AttachStderr", json_boolean(attached));
	json_object_set_new(b, "WorkingDir", json_string(r->workdir ? r->workdir : ""));
	json_object_set_new(b, "User", json_string(r->user ? r->user : ""));
	json_object_set_new(b, "Hostname", json_string(r->hostname ? r->hostname : ""));
	json_object_set_new(b, "Labels", cli_json_kv(r->labels, '='));
	if (r->stop_signal)
		json_object_set_new(b, "StopSignal", json_string(r->stop_signal));
	if (r->stop_timeout)
		json_object_set_new(b, "StopTimeout", json_integer(atoi(r->stop_timeout)));
	json_object_set_new(b, "HostConfig", hc);
	if (host_config(r, b, hc, e) < 0)
		return NULL;
	const char *net = r->network ? r->network : "default";
	json_object_set_new(b, "NetworkingConfig", json_pack("{s:{s:{}}}", "EndpointsConfig", net));
	if (run_extra_apply(r, b, net, e) < 0)
		return NULL;
	return TAKE_PTR(b);
}
