/* daemon/lazy_nft: libnftables as berth uses it (a context per ruleset, errors buffered), with
 * every command run by a helper process that loads the library once: the daemon itself never
 * maps libnftables, libnftnl, libxtables or GMP (1.5 MiB of RSS for good, from the first
 * rule on: the daemon starts with bridges up), and a crash in them can't take it down. The
 * helper is this same binary exec'd as "berth-nft-helper" (a constructor here catches that
 * before main, so it works from any program linking this file); it serves commands over a
 * socket until the daemon closes it (or dies) or it has been idle for a while. A fork that
 * loads the library per command cost 15-20 ms per apply (two per container publishing
 * ports); a command to the running helper costs what the kernel's transaction costs.
 * The context here only remembers the flags and the helper's output and error text. Every
 * libnftables function berth calls must be defined here (a real one given this context would
 * crash): add it when you use a new one. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/lazy.h"
#include "util/str.h"

#define NFT_SONAME	"libnftables.so.1"
#define HELPER_ARGV0	"berth-nft-helper"
#define HELPER_FD	3
#define HELPER_IDLE_MS	30000 /* the helper leaves when no command came for this long */
#define HELPER_REPLY_MS 60000 /* a command that takes longer: the helper is killed */
#define CMD_MAX		(64u << 20)

struct nft_ctx {
	uint32_t flags;
	char *error, *output; /* the last command's buffers */
};

struct nft_ctx *nft_ctx_new(uint32_t flags)
{
	struct nft_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->flags = flags;
	return ctx;
}

void nft_ctx_free(struct nft_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->error);
	free(ctx->output);
	free(ctx);
}

/* Output and errors are always buffered (in the helper). */
int nft_ctx_buffer_output(struct nft_ctx *ctx)
{
	return 0;
}

int nft_ctx_buffer_error(struct nft_ctx *ctx)
{
	return 0;
}

const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx)
{
	return ctx->error ? ctx->error : "";
}

const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx)
{
	return ctx->output ? ctx->output : "";
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* n bytes, waiting at most ms for each piece (-1: forever); -1 on EOF, error or time out. */
static int read_all(int fd, void *p, size_t n, int ms)
{
	while (n > 0) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int pr = poll(&pfd, 1, ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

/* The helper's library: the real functions, and one context kept for its flags. */
struct real {
	void *(*new_)(uint32_t);
	void (*free_)(void *);
	int (*buf_out)(void *), (*buf_err)(void *);
	int (*run)(void *, const char *);
	const char *(*err)(void *), *(*out)(void *);
};

static int real_load(struct real *r)
{
	void *h = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -1;
	r->new_ = (void *(*)(uint32_t))dlsym(h, "nft_ctx_new");
	r->free_ = (void (*)(void *))dlsym(h, "nft_ctx_free");
	r->buf_out = (int (*)(void *))dlsym(h, "nft_ctx_buffer_output");
	r->buf_err = (int (*)(void *))dlsym(h, "nft_ctx_buffer_error");
	r->run = (int (*)(void *, const char *))dlsym(h, "nft_run_cmd_from_buffer");
	r->err = (const char *(*)(void *))dlsym(h, "nft_ctx_get_error_buffer");
	r->out = (const char *(*)(void *))dlsym(h, "nft_ctx_get_output_buffer");
	return r->new_ && r->free_ && r->buf_out && r->buf_err && r->run && r->err && r->out ? 0
											     : -1;
}

/* One command: its status, then its error and output texts (lengths first). */
static int helper_serve(int fd, struct real *lib, bool loaded, void **ctx, uint32_t *ctx_flags,
			uint32_t flags, const char *cmd)
{
	int r = -1;
	const char *msg = loaded ? "" : "cannot load " NFT_SONAME, *out = "";
	if (loaded && *ctx && *ctx_flags != flags) {
		lib->free_(*ctx);
		*ctx = NULL;
	}
	if (loaded && !*ctx && (*ctx = lib->new_(flags)) != NULL) {
		*ctx_flags = flags;
		lib->buf_out(*ctx);
		lib->buf_err(*ctx);
	}
	if (loaded && !*ctx)
		msg = "cannot create an nftables context";
	if (*ctx) {
		r = lib->run(*ctx, cmd);
		msg = lib->err(*ctx); /* reads (and resets) both buffers */
		out = lib->out(*ctx);
	}
	size_t len[2] = {msg ? strlen(msg) : 0, out ? strlen(out) : 0};
	if (write_all(fd, &r, sizeof(r)) < 0 || write_all(fd, len, sizeof(len)) < 0 ||
	    write_all(fd, msg ? msg : "", len[0]) < 0 || write_all(fd, out ? out : "", len[1]) < 0)
		return -1;
	return 0;
}

/* The helper: commands ({flags, length, text}) until EOF or the idle time out. */
static __attribute__((noreturn)) void helper_main(void)
{
	/* nothing of the daemon's but the socket (its fds are all close-on-exec, but a
	 * long-lived process holding a stray one would keep a port or a socket busy) */
	close_range(HELPER_FD + 1, ~0U, 0);
	pid_t me = getpid();
	if (write_all(HELPER_FD, &me, sizeof(me)) < 0)
		_exit(0);
	struct real lib = {0};
	bool loaded = real_load(&lib) == 0;
	void *ctx = NULL;
	uint32_t ctx_flags = 0;
	for (;;) {
		uint32_t hdr[2];
		if (read_all(HELPER_FD, hdr, sizeof(hdr), HELPER_IDLE_MS) < 0 || hdr[1] > CMD_MAX)
			break;
		char *cmd = malloc((size_t)hdr[1] + 1);
		if (!cmd || read_all(HELPER_FD, cmd, hdr[1], HELPER_REPLY_MS) < 0) {
			free(cmd);
			break;
		}
		cmd[hdr[1]] = '\0';
		int r = helper_serve(HELPER_FD, &lib, loaded, &ctx, &ctx_flags, hdr[0], cmd);
		free(cmd);
		if (r < 0)
			break;
	}
	_exit(0);
}

/* Before main: this binary exec'd as the helper (glibc gives constructors argc/argv). */
static void __attribute__((constructor)) helper_ctor(int argc, char **argv, char **envp)
{
	if (argc >= 1 && argv && argv[0] && !strcmp(argv[0], HELPER_ARGV0))
		helper_main();
}

static pthread_mutex_t helper_mu = PTHREAD_MUTEX_INITIALIZER;
static int helper_fd = -1, helper_pidfd = -1;
static pid_t helper_pid;

/* Reaps the helper whenever it ends (it is never waited for elsewhere). */
static void *helper_reaper(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return NULL;
}

/* A new helper: /proc/self/exe again under the helper's name; it sends its pid once it runs.
 * A pidfd kills it should it hang (never a recycled pid). helper_mu held. */
static int helper_spawn(char **why)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		*why = str_printf("socketpair: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* only async-signal-safe calls from here: the daemon has threads */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (sv[1] == HELPER_FD)
			fcntl(HELPER_FD, F_SETFD, 0);
		else if (dup2(sv[1], HELPER_FD) < 0)
			_exit(127);
		char *const argv[] = {HELPER_ARGV0, NULL};
		execve("/proc/self/exe", argv, environ);
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		*why = str_printf("fork: %s", strerror(errno));
		return -1;
	}
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, helper_reaper, (void *)(intptr_t)pid) != 0) {
		kill(pid, SIGKILL);
		helper_reaper((void *)(intptr_t)pid);
	}
	pthread_attr_destroy(&attr);
	pid_t hp = 0;
	if (read_all(sv[0], &hp, sizeof(hp), HELPER_REPLY_MS) < 0 || hp != pid) {
		if (pfd >= 0)
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		close(sv[0]);
		if (pfd >= 0)
			close(pfd);
		*why = str_dup("the nftables helper process did not start");
		return -1;
	}
	helper_fd = sv[0];
	helper_pidfd = pfd;
	helper_pid = pid;
	return 0;
}

static void helper_drop(bool kill_it)
{
	if (kill_it && helper_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, helper_pidfd, SIGKILL, NULL, 0);
	if (helper_pidfd >= 0)
		close(helper_pidfd);
	if (helper_fd >= 0)
		close(helper_fd);
	helper_fd = helper_pidfd = -1;
	helper_pid = 0;
}

/* At the daemon's exit: the helper goes with it (EOF), and is waited for a moment so that
 * it is not left to init. */
static void __attribute__((destructor)) helper_dtor(void)
{
	pthread_mutex_lock(&helper_mu);
	pid_t pid = helper_pid;
	int pfd = helper_pidfd;
	helper_pidfd = -1;
	helper_drop(false);
	struct pollfd p = {pfd, POLLIN, 0};
	if (pid > 0 && pfd >= 0 && poll(&p, 1, 1000) <= 0)
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	if (pfd >= 0)
		close(pfd);
	pthread_mutex_unlock(&helper_mu);
}

pid_t lazy_nft_helper_pid(void)
{
	pthread_mutex_lock(&helper_mu);
	pid_t pid = helper_pid;
	pthread_mutex_unlock(&helper_mu);
	return pid;
}

/* One command to the helper: 0 with its answer, -1 when the helper failed us (*why). */
static int helper_call(struct nft_ctx *ctx, const char *buf, int *r, char **why)
{
	uint32_t hdr[2] = {ctx->flags, (uint32_t)strlen(buf)};
	size_t len[2];
	if (write_all(helper_fd, hdr, sizeof(hdr)) < 0 || write_all(helper_fd, buf, hdr[1]) < 0 ||
	    read_all(helper_fd, r, sizeof(*r), HELPER_REPLY_MS) < 0 ||
	    read_all(helper_fd, len, sizeof(len), HELPER_REPLY_MS) < 0 || len[0] > CMD_MAX ||
	    len[1] > CMD_MAX) {
		*why = str_dup("the nftables helper process ended without an answer");
		return -1;
	}
	ctx->error = xmalloc(len[0] + 1);
	ctx->output = xmalloc(len[1] + 1);
	if (read_all(helper_fd, ctx->error, len[0], HELPER_REPLY_MS) < 0 ||
	    read_all(helper_fd, ctx->output, len[1], HELPER_REPLY_MS) < 0) {
		*why = str_dup("the nftables helper process ended without an answer");
		return -1;
	}
	ctx->error[len[0]] = ctx->output[len[1]] = '\0';
	return 0;
}

int nft_run_cmd_from_buffer(struct nft_ctx *ctx, const char *buf)
{
	free(ctx->error);
	free(ctx->output);
	ctx->error = ctx->output = NULL;
	if (strlen(buf) > CMD_MAX) {
		ctx->error = str_dup("nftables command too long");
		return -1;
	}
	pthread_mutex_lock(&helper_mu);
	int r = -1;
	char *why = NULL;
	/* twice at most: a helper that left (idle) or died since the last command is replaced;
	 * berth's commands replace whole tables, so one that ran before its helper died can
	 * run again */
	for (int attempt = 0; attempt < 2; attempt++) {
		free(why);
		why = NULL;
		free(ctx->error);
		free(ctx->output);
		ctx->error = ctx->output = NULL;
		if (helper_fd < 0 && helper_spawn(&why) < 0)
			break;
		if (helper_call(ctx, buf, &r, &why) == 0)
			break;
		helper_drop(true);
		r = -1;
	}
	pthread_mutex_unlock(&helper_mu);
	if (why) {
		free(ctx->error);
		ctx->error = why;
	}
	return r;
}
