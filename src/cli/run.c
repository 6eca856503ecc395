/* cli/run: create, run and start: docker run's choreography (create -> attach -> wait held
 * -> start -> streams -> exit code from the wait body) and its exit statuses. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/run_opts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

/* A wait request held on its own connection in a thread: ready once its headers arrived. */
struct waiter {
	struct cli_http http;
	char *path;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool ready, done;
	char body[512];
	size_t len;
	struct err e;
};

static int wait_sink(const char *buf, size_t n, void *ud)
{
	struct waiter *w = ud;
	if (!buf) {
		pthread_mutex_lock(&w->mu);
		w->ready = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		return 0;
	}
	size_t k = n < sizeof(w->body) - 1 - w->len ? n : sizeof(w->body) - 1 - w->len;
	memcpy(w->body + w->len, buf, k);
	w->len += k;
	w->body[w->len] = 0;
	return 0;
}

static void *wait_thread(void *ud)
{
	struct waiter *w = ud;
	cli_http_stream(&w->http, "POST", w->path, NULL, NULL, NULL, wait_sink, w, NULL, &w->e);
	pthread_mutex_lock(&w->mu);
	w->ready = w->done = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int waiter_start(struct waiter *w, const char *sock, const char *id, const char *cond,
			struct err *e)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (cli_http_init(&w->http, sock, e) < 0)
		return -1;
	w->path = str_printf("/containers/%s/wait?condition=%s", id, cond);
	if (pthread_create(&w->th, NULL, wait_thread, w) != 0)
		return err_set(e, ERR_INTERNAL, 0, "cannot start a thread");
	pthread_mutex_lock(&w->mu);
	while (!w->ready)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (w->done && w->e.kind) {
		*e = w->e;
		return -1;
	}
	return 0;
}

/* The container's exit status from the wait body; 125 when the wait failed. */
static int waiter_finish(struct waiter *w)
{
	pthread_join(w->th, NULL);
	cli_http_release(&w->http);
	free(w->path);
	if (w->e.kind)
		return cli_report(&w->e, 125);
	_cleanup_json_ json_t *j = json_loads(w->body, JSON_DISABLE_EOF_CHECK, NULL);
	json_t *err = json_object_get(j, "Error");
	const char *msg = json_string_value(json_object_get(err, "Message"));
	if (msg && *msg) {
		fprintf(stderr, "berth: Error response from daemon: %s\n", msg);
		return 125;
	}
	if (!j)
		return 125;
	return (int)json_integer_value(json_object_get(j, "StatusCode"));
}

/* After a failed start: the daemon answers the wait too (AutoRemove or the mapped exit
 * code); give it a moment, else leave the thread to the process's end. */
static void waiter_abandon(struct waiter *w)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (pthread_timedjoin_np(w->th, NULL, &ts) != 0)
		return;
	cli_http_release(&w->http);
	free(w->path);
}

/* docker's toStatusError: what a failed start means for the exit status. */
static int start_status(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    strstr(msg, "system cannot find the file"))
		return 127;
	if (strstr(msg, "permission denied"))
		return 126;
	return 125;
}

struct resize_ctx {
	struct cli *c;
	const char *path; /* "/containers/<id>" or "/exec/<id>" */
};

static void do_signal(int sig, void *ud)
{
	struct resize_ctx *r = ud;
	struct err e = ERR_INIT;
	_cleanup_free_ char *p = str_printf("%s/kill?signal=%d", r->path, sig);
	cli_do(r->c, "POST", p, &e);
}

static void do_resize(unsigned short h, unsigned short w, void *ud)
{
	struct resize_ctx *r = ud;
	struct err e = ERR_INIT;
	_cleanup_free_ char *p = str_printf("%s/resize?h=%u&w=%u", r->path, h, w);
	cli_do(r->c, "POST", p, &e);
}

/* create with a pull attempt when the image is missing; prints the ID into id. */
static int create(struct cli *c, struct run_opts *r, char *id, size_t idlen, struct err *e)
{
	if (r->cidfile && access(r->cidfile, F_OK) == 0)
		return err_conflict(e,
				    "container ID file found, make sure the other container isn't "
				    "running or delete %s",
				    r->cidfile);
	_cleanup_json_ json_t *body = run_opts_body(r, e);
	if (!body)
		return -1;
	_cleanup_free_ char *en = r->name ? cli_http_escape(r->name) : NULL;
	_cleanup_free_ char *ep = r->platform ? cli_http_escape(r->platform) : NULL;
	_cleanup_free_ char *path = str_printf("/containers/create?%s%s%s%s", en ? "name=" : "",
					       en ? en : "", ep ? "&platform=" : "", ep ? ep : "");
	_cleanup_json_ json_t *out = NULL;
	if (cli_post(c, path, body, &out, e) < 0) {
		if (e->kind != ERR_NOT_FOUND || !strstr(e->msg, "No such image"))
			return -1;
		const char *slash = strrchr(r->image, '/');
		bool tagged = strchr(slash ? slash : r->image, ':') || strchr(r->image, '@');
		fprintf(stderr, "Unable to find image '%s%s' locally\n", r->image,
			tagged ? "" : ":latest");
		struct err pe = ERR_INIT;
		_cleanup_free_ char *ref = str_printf("%s%s", r->image, tagged ? "" : ":latest");
		struct cli_pull_opts po = {.quiet = r->quiet, .platform = r->platform};
		if (cli_pull_image(c, ref, &po, stderr, &pe) < 0) {
			/* offline is the normal case: say how to get the image */
			return err_set(e, pe.kind, 0,
				       "%s\nberth: make it with `berth import ROOTFS.tar %s` or "
				       "`berth load -i IMAGE.tar`",
				       pe.msg, r->image);
		}
		err_clear(e);
		json_decref(out);
		out = NULL;
		if (cli_post(c, path, body, &out, e) < 0)
			return -1;
	}
	snprintf(id, idlen, "%s", json_string_value(json_object_get(out, "Id")) ?: "");
	if (r->cidfile) {
		struct err we = ERR_INIT;
		if (fs_write_atomic(r->cidfile, id, strlen(id), 0644, &we) < 0)
			fprintf(stderr, "WARNING: %s\n", we.msg);
	}
	size_t i;
	json_t *w;
	json_array_foreach (json_object_get(out, "Warnings"), i, w)
		fprintf(stderr, "WARNING: %s\n", json_string_value(w));
	return 0;
}

static int parse_run(struct run_opts *r, bool run, int argc, char **argv, int *st)
{
	struct cli_opt opts[RUN_OPTS_MAX];
	memset(r, 0, sizeof(*r));
	r->sig_proxy = true;
	run_opts_table(r, opts, run);
	const struct cli_cmd_spec spec = {run ? "run" : "create",
					  "[OPTIONS] IMAGE [COMMAND] [ARG...]",
					  run ? "Create and run a new container from an image"
					      : "Create a new container",
					  1,
					  -1,
					  true,
					  opts};
	char **pos = NULL;
	if (cli_parse(&spec, argc, argv, &pos, st) < 0) {
		free(pos);
		return -1;
	}
	r->image = pos[0];
	/* the command words stay in argv; pos only points into it */
	for (int i = 1; i < argc; i++)
		if (argv[i] == pos[0]) {
			r->cmd = argv + i + 1;
			break;
		}
	free(pos);
	return 0;
}

int cmd_create(struct cli *c, int argc, char **argv)
{
	struct run_opts r;
	int st;
	if (parse_run(&r, false, argc, argv, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	char id[128];
	int rc = create(c, &r, id, sizeof(id), &e);
	run_opts_release(&r);
	if (rc < 0)
		return cli_report(&e, 125);
	printf("%s\n", id);
	return 0;
}

int cli_run_attached(struct cli *c, const char *id, const struct cli_attach_opts *o, struct err *e)
{
	bool tty = o->tty, in = o->in, start = o->start;
	const char *cond = o->cond;
	unsigned char keys[CLI_DETACH_KEYS_MAX];
	size_t nkeys = 0;
	if (o->detach_keys && cli_detach_keys_parse(o->detach_keys, keys, &nkeys, e) < 0)
		return cli_report(e, 125);
	bool proxy = !tty && o->sig_proxy;
	/* the daemon watches for the sequence too (as for docker's CLI): it must know ours */
	_cleanup_free_ char *ek = o->detach_keys ? cli_http_escape(o->detach_keys) : NULL;
	_cleanup_free_ char *path =
	    str_printf("/containers/%s/attach?stream=1&stdout=1&stderr=1%s%s%s", id,
		       in ? "&stdin=1" : "", ek ? "&detachKeys=" : "", ek ? ek : "");
	struct hijack h;
	if (cli_hijack(c->sock, path, NULL, &h, e) < 0)
		return cli_report(e, 125);
	sigset_t set;
	cli_pump_signals(tty, proxy, &set);
	struct waiter w;
	if (waiter_start(&w, c->sock, id, cond, e) < 0) {
		cli_hijack_close(&h);
		return cli_report(e, 125);
	}
	if (start) {
		_cleanup_free_ char *sp = str_printf("/containers/%s/start", id);
		if (cli_do(c, "POST", sp, e) < 0) {
			cli_hijack_close(&h);
			waiter_abandon(&w);
			return cli_report(e, start_status(e->msg));
		}
	}
	_cleanup_free_ char *rpath = str_printf("/containers/%s", id);
	struct resize_ctx rc = {c, rpath};
	/* sig-proxy, as docker: non-TTY only (a terminal sends ctrl-c through the pty) */
	struct pump p = {.tty = tty,
			 .stdin_on = in,
			 .resize = tty ? do_resize : NULL,
			 .proxy = proxy ? do_signal : NULL,
			 .ud = &rc,
			 .keys = keys,
			 .nkeys = nkeys};
	int r = cli_pump_close(&h, &p, e);
	if (r < 0)
		return cli_report(e, 125);
	if (p.detached) {
		/* the container goes on: end our wait instead of waiting for its exit */
		cli_http_abort(&w.http);
		waiter_abandon(&w);
		fprintf(stderr, "\r\n");
		return 0;
	}
	return waiter_finish(&w);
}

int cmd_run(struct cli *c, int argc, char **argv)
{
	struct run_opts r;
	int st;
	if (parse_run(&r, true, argc, argv, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	char id[128];
	unsigned char keys[CLI_DETACH_KEYS_MAX];
	size_t nkeys;
	/* bad detach keys are refused before anything is created */
	if ((r.detach_keys && cli_detach_keys_parse(r.detach_keys, keys, &nkeys, &e) < 0) ||
	    create(c, &r, id, sizeof(id), &e) < 0) {
		run_opts_release(&r);
		return cli_report(&e, 125);
	}
	bool detach = r.detach, tty = r.tty, in = r.interactive, rm = r.rm;
	run_opts_release(&r);
	if (detach) {
		_cleanup_free_ char *sp = str_printf("/containers/%s/start", id);
		if (cli_do(c, "POST", sp, &e) < 0)
			return cli_report(&e, start_status(e.msg));
		printf("%s\n", id);
		return 0;
	}
	struct cli_attach_opts ao = {.tty = tty,
				     .in = in,
				     .start = true,
				     .sig_proxy = r.sig_proxy,
				     .cond = rm ? "removed" : "next-exit",
				     .detach_keys = r.detach_keys};
	return cli_run_attached(c, id, &ao, &e);
}

int cmd_start(struct cli *c, int argc, char **argv)
{
	bool attach = false, in = false;
	const char *keys = NULL;
	const struct cli_opt opts[] = {
	    {'a', "attach", OPT_BOOL, &attach, "Attach STDOUT/STDERR and forward signals"},
	    {0, "detach-keys", OPT_STR, &keys,
	     "string\tOverride the key sequence for detaching a container"},
	    {'i', "interactive", OPT_BOOL, &in, "Attach container's STDIN"},
	    {0}};
	const struct cli_cmd_spec spec = {"start",
					  "[OPTIONS] CONTAINER [CONTAINER...]",
					  "Start one or more stopped containers",
					  1,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	if (attach || in) {
		if (pos[1]) {
			fprintf(stderr, "berth: you cannot start and attach multiple containers at "
					"once\n");
			return 1;
		}
		_cleanup_json_ json_t *info = NULL;
		if (cli_get_container(c, pos[0], "json", &info, &e) < 0)
			return cli_report(&e, 1);
		const char *id = json_string_value(json_object_get(info, "Id")) ?: pos[0];
		bool tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
		struct cli_attach_opts ao = {.tty = tty,
					     .in = in,
					     .start = true,
					     .sig_proxy = true,
					     .cond = "next-exit",
					     .detach_keys = keys};
		return cli_run_attached(c, id, &ao, &e);
	}
	const struct cli_each x = {
	    .method = "POST", .prefix = "/containers/", .suffix = "/start", .keep_going = true};
	return cli_each_name(c, pos, &x);
}
