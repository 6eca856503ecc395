/* daemon/lazy_nft: libnftables' functions as berth uses them (a ruleset per call), forwarded
 * to libnftables.so.1 loaded at the first call (lazy.h): a daemon without bridge networks up
 * maps neither it nor libnftnl, libxtables and GMP. A function missing here is linked from
 * libnftables as usual: add it when you use a new one. */
#include <nftables/libnftables.h>
#include <stddef.h>

#include "daemon/lazy.h"

static struct lazy_lib nft_lib = {"libnftables.so.1", NULL, false};
#define LAZY_LIB nft_lib

LAZY(struct nft_ctx *, nft_ctx_new, NULL, (uint32_t a0), (a0))
LAZY_VOID(nft_ctx_free, (struct nft_ctx * a0), (a0))
LAZY(int, nft_ctx_buffer_output, -1, (struct nft_ctx * a0), (a0))
LAZY(int, nft_ctx_buffer_error, -1, (struct nft_ctx * a0), (a0))
LAZY(const char *, nft_ctx_get_error_buffer, "libnftables is not available", (struct nft_ctx * a0),
     (a0))
LAZY(int, nft_run_cmd_from_buffer, -1, (struct nft_ctx * a0, const char *a1), (a0, a1))
