/* Unit tests for src/daemon/lazy*.c: forwarders that load their library at the first call
 * (also from a chrooted thread), and nftables commands run in a forked child (status, error
 * and output buffers back in the caller's context). */
#include <archive.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static void *chrooted(void *arg)
{
	/* as the tar extraction does: a thread of its own filesystem root, where no library is */
	if (unshare(CLONE_FS) < 0 || chroot(arg) < 0)
		return (void *)1;
	struct archive *a = archive_read_new();
	int ok = a != NULL;
	if (a)
		archive_read_free(a);
	return ok ? NULL : (void *)2;
}

int main(void)
{
	char dir[] = "/tmp/berth-lazy-test.XXXXXX";
	if (geteuid() != 0 || !mkdtemp(dir)) {
		ok(1, "# SKIP needs root");
		return tap_done();
	}
	pthread_t t;
	void *r = (void *)3;
	ok(pthread_create(&t, NULL, chrooted, dir) == 0 && pthread_join(t, &r) == 0 && !r,
	   "libarchive loads on a first call from a chrooted thread");
	rmdir(dir);
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	ok(ctx != NULL, "a context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	ok(nft_run_cmd_from_buffer(ctx, "list table ip berth-lazy-test-none") != 0,
	   "a failing command fails");
	ok(strstr(nft_ctx_get_error_buffer(ctx), "berth-lazy-test-none") != NULL,
	   "with the library's error text");
	ok(nft_run_cmd_from_buffer(ctx, "list tables") == 0, "a good command succeeds");
	ok(*nft_ctx_get_error_buffer(ctx) == '\0', "and leaves no error");
	nft_ctx_free(ctx);
	return tap_done();
}
