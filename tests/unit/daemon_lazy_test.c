/* Unit tests for src/daemon/lazy*.c: forwarders that load their library at the first call
 * (also from a chrooted thread), and nftables commands run by a helper process (status, error
 * and output buffers back in the caller's context; one helper for many commands, replaced
 * when it dies). */
#include <archive.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/lazy.h"
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
	pid_t pid = lazy_nft_helper_pid();
	ok(pid > 0 && nft_run_cmd_from_buffer(ctx, "list tables") == 0 &&
	       lazy_nft_helper_pid() == pid,
	   "one helper process serves both commands");
	kill(pid, SIGKILL);
	for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
		usleep(10000); /* its reaper thread waits for it */
	ok(nft_run_cmd_from_buffer(ctx, "list tables") == 0 && lazy_nft_helper_pid() > 0 &&
	       lazy_nft_helper_pid() != pid,
	   "a helper that died is replaced");
	nft_ctx_free(ctx);
	return tap_done();
}
