/* daemon/lazy_nft: libnftables as berth uses it (a context per ruleset, errors buffered), with
 * every command run in a short-lived child that loads the library: the daemon itself never
 * maps libnftables, libnftnl, libxtables or GMP (1.5 MiB of RSS for good, from the first
 * rule on: the daemon starts with bridges up), and a crash in them can't take it down.
 * The context here only remembers the flags and the child's output and error text. Every
 * libnftables function berth calls must be defined here (a real one given this context would
 * crash): add it when you use a new one. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/str.h"

#define NFT_SONAME "libnftables.so.1"

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

/* Output and errors are always buffered (in the child); the output is not kept. */
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

static void write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/* The child: the real library, one command, its status then its error text on fd. */
static __attribute__((noreturn)) void run_child(int fd, uint32_t flags, const char *cmd)
{
	void *h = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	int r = -1;
	const char *msg = h ? "" : "cannot load " NFT_SONAME, *out = NULL;
	if (h) {
		void *(*new_)(uint32_t) = (void *(*)(uint32_t))dlsym(h, "nft_ctx_new");
		int (*buf_out)(void *) = (int (*)(void *))dlsym(h, "nft_ctx_buffer_output");
		int (*buf_err)(void *) = (int (*)(void *))dlsym(h, "nft_ctx_buffer_error");
		int (*run)(void *, const char *) =
		    (int (*)(void *, const char *))dlsym(h, "nft_run_cmd_from_buffer");
		const char *(*err)(void *) =
		    (const char *(*)(void *))dlsym(h, "nft_ctx_get_error_buffer");
		const char *(*get_out)(void *) =
		    (const char *(*)(void *))dlsym(h, "nft_ctx_get_output_buffer");
		void *c = new_ && buf_out && buf_err && run && err ? new_(flags) : NULL;
		if (c) {
			buf_out(c);
			buf_err(c);
			r = run(c, cmd);
			msg = err(c);
			out = get_out ? get_out(c) : NULL;
		} else {
			msg = "cannot create an nftables context";
		}
	}
	size_t elen = msg ? strlen(msg) : 0;
	write_all(fd, &r, sizeof(r));
	write_all(fd, &elen, sizeof(elen));
	write_all(fd, msg ? msg : "", elen);
	write_all(fd, out ? out : "", out ? strlen(out) : 0);
	_exit(0);
}

int nft_run_cmd_from_buffer(struct nft_ctx *ctx, const char *buf)
{
	free(ctx->error);
	free(ctx->output);
	ctx->error = ctx->output = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		ctx->error = str_printf("pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		run_child(p[1], ctx->flags, buf);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		ctx->error = str_printf("fork: %s", strerror(errno));
		return -1;
	}
	size_t len = 0, cap = 256;
	char *out = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			out = xrealloc(out, cap *= 2);
		ssize_t n = read(p[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int r = -1;
	size_t elen = 0;
	if (len >= sizeof(r) + sizeof(elen))
		memcpy(&elen, out + sizeof(r), sizeof(elen));
	if (len < sizeof(r) + sizeof(elen) || elen > len - sizeof(r) - sizeof(elen)) {
		/* the child died before its answer */
		free(out);
		ctx->error = str_printf("the nftables helper process %s",
					WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
							    : "ended without an answer");
		return -1;
	}
	memcpy(&r, out, sizeof(r));
	const char *e = out + sizeof(r) + sizeof(elen);
	ctx->error = str_ndup(e, elen);
	ctx->output = str_ndup(e + elen, len - sizeof(r) - sizeof(elen) - elen);
	free(out);
	return r;
}
