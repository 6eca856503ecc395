/* daemon: the daemon's main flow: options, logging, signals, engine, API server, wait for
 * SIGTERM/SIGINT, orderly shutdown (streams ended first, then the server, then the stores). */
#include "daemon/daemon.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "engine/container.h"
#include "engine/engine.h"
#include "engine/userns.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"

static int setup_logging(const struct daemon_opts *o, struct err *e)
{
	enum log_level lvl = LOG_INFO;
	const char *l = o->debug ? "debug" : o->log_level;
	if (l && !strcmp(l, "debug"))
		lvl = LOG_DEBUG;
	else if (l && (!strcmp(l, "warn") || !strcmp(l, "warning")))
		lvl = LOG_WARN;
	else if (l && (!strcmp(l, "error") || !strcmp(l, "fatal")))
		lvl = LOG_ERROR;
	else if (l && strcmp(l, "info") != 0)
		return err_invalid(e, "unknown log level '%s'", l);
	return log_init(NULL, LOG_TEXT, lvl, e);
}

/* Blocked in every thread (they inherit the mask); the main thread takes them with
 * sigwaitinfo. SIGPIPE is ignored: a vanished client must never kill the daemon. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int wait_for_stop(const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		/* every 5 s: freed heap memory goes back to the system (the arenas keep it
		 * otherwise: RSS after a burst of containers stays at its peak) */
		const struct timespec idle = {5, 0};
		int sig = sigtimedwait(set, &si, &idle);
		if (sig < 0 && errno == EAGAIN)
			malloc_trim(0);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: nothing to reload");
			continue;
		}
		log_info("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
		return sig;
	}
}

static int write_pidfile(const char *path, struct err *e)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	return store_write_file(path, buf, (size_t)n, 0644, e);
}

static int run(const struct daemon_opts *o, struct err *e)
{
	sigset_t set;
	block_signals(&set);
	/* a thread per connection would get an arena each (glibc: up to 8 per core), whose
	 * freed memory stays: two are plenty for a daemon that mostly waits */
	mallopt(M_ARENA_MAX, 2);
	umask(022);
	struct api_tls tls = {o->tlscacert, o->tlscert, o->tlskey, o->tlsverify};
	/* bad TLS files fail the start before anything is made */
	if (o->tcp && api_tls_check(&tls, e) < 0)
		return -1;
	struct engine_userns remap = {0};
	_cleanup_free_ char *remap_root = NULL;
	int on = daemon_remap_setup(o, &remap, &remap_root, e);
	if (on < 0)
		return -1;
	struct engine_config cfg = {.root = on ? remap_root : o->root,
				    .run_dir = o->run_dir,
				    .debug = o->debug,
				    .bridge = o->bridge,
				    .bip = o->bip,
				    .insecure_registries = o->insecure_registries,
				    .registry_mirrors = o->registry_mirrors,
				    .userns = on ? &remap : NULL};
	_cleanup_strv_ char **warnings = NULL;
	struct engine *eng = engine_new(&cfg, &warnings, e);
	if (!eng) {
		userns_release(&remap);
		return -1;
	}
	for (char **w = warnings; w && *w; w++)
		log_warn("%s", *w);
	struct api_options ao = {o->hosts, o->group, o->debug, o->tls ? &tls : NULL};
	struct api_server *srv = NULL;
	/* The pid file only after the lock and the sockets: a refused second daemon must not
	 * clobber the first one's. */
	if (!(srv = api_server_start(eng, &ao, e)) || write_pidfile(o->pidfile, e) < 0) {
		api_server_stop(srv);
		engine_free(eng);
		userns_release(&remap);
		return -1;
	}
	log_info("berth daemon %s ready (root %s, pid %d)", BERTH_VERSION, engine_root(eng),
		 (int)getpid());
	engine_container_autostart(eng);
	/* what recovery and start-up freed goes back to the kernel before the idle wait */
	malloc_trim(0);
	wait_for_stop(&set);
	engine_shutdown(eng);
	api_server_stop(srv);
	unlink(o->pidfile);
	engine_free(eng);
	userns_release(&remap);
	log_info("daemon stopped");
	return 0;
}

int daemon_main(int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct daemon_opts o;
	int r = daemon_parse_opts(argc, argv, &o, &e);
	if (r == 0 && setup_logging(&o, &e) < 0)
		r = -1;
	if (r == 0)
		r = run(&o, &e);
	daemon_opts_release(&o);
	if (r < 0) {
		fprintf(stderr, "berth daemon: %s\n", e.msg);
		return 1;
	}
	return 0;
}
