/* daemon/lazy: dlopen on first use for the lazily loaded libraries (lazy.h). The loading is
 * done by a thread started with the process: the first call may come from a thread that
 * chroot()ed (tar extraction) or joined a container's mount namespace (cp), where the
 * library's file is not to be found. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "daemon/lazy.h"

static pthread_mutex_t lazy_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lazy_cond = PTHREAD_COND_INITIALIZER;
static struct lazy_lib *lazy_req; /* the library asked for, NULL when none */
static bool lazy_loader;	  /* the loader thread runs */
static pid_t lazy_pid;		  /* in this process: a forked child has no loader thread */

static void *lazy_load_thread(void *arg)
{
	pthread_mutex_lock(&lazy_mu);
	for (;;) {
		while (!lazy_req)
			pthread_cond_wait(&lazy_cond, &lazy_mu);
		struct lazy_lib *lib = lazy_req;
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!lib->handle)
			fprintf(stderr, "berth: cannot load %s: %s\n", lib->soname, dlerror());
		lib->tried = true;
		lazy_req = NULL;
		pthread_cond_broadcast(&lazy_cond);
	}
	return NULL;
}

/* A forked child has only the forking thread: the lock may have been held by another. */
static void lazy_child(void)
{
	pthread_mutex_init(&lazy_mu, NULL);
	pthread_cond_init(&lazy_cond, NULL);
	lazy_req = NULL;
}

/* With every signal blocked (the daemon waits for its signals in main alone). */
__attribute__((constructor)) static void lazy_start(void)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	pthread_t t;
	lazy_loader = pthread_create(&t, &attr, lazy_load_thread, NULL) == 0;
	lazy_pid = getpid();
	pthread_atfork(NULL, NULL, lazy_child);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void *lazy_sym(struct lazy_lib *lib, const char *name)
{
	pthread_mutex_lock(&lazy_mu);
	while (!lib->tried) {
		if (!lazy_loader || getpid() != lazy_pid) {
			/* no loader thread: load here, wherever this thread's root is */
			lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
			lib->tried = true;
			break;
		}
		if (!lazy_req) {
			lazy_req = lib;
			pthread_cond_broadcast(&lazy_cond);
		}
		pthread_cond_wait(&lazy_cond, &lazy_mu);
	}
	void *p = lib->handle ? dlsym(lib->handle, name) : NULL;
	if (lib->handle && !p)
		fprintf(stderr, "berth: %s has no %s\n", lib->soname, name);
	pthread_mutex_unlock(&lazy_mu);
	return p;
}
