/* net/nft: the text of berth's table and its atomic replacement: `add table` (so a delete of
 * a missing table can't fail), `delete table`, then the whole table, in one libnftables run:
 * the kernel applies it as one transaction, so no packet sees a half-built ruleset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In berthd these calls go to src/daemon/lazy_nft.c, which runs each command in a forked
 * child: a libnftables function used here must have its stand-in there. */
#include <nftables/libnftables.h>

#include "net/nft.h"
#include "util/cleanup.h"
#include "util/str.h"

struct buf {
	char *s;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, (size_t)n + 1);
	b->len += (size_t)n;
	free(s);
}

static void port_rules(struct buf *b, const struct nft_port *p, size_t np)
{
	char hip[16], cip[16];
	for (size_t i = 0; i < np; i++) {
		const char *proto = p[i].udp ? "udp" : "tcp";
		ipam_fmt(p[i].cip, cip);
		if (p[i].host_ip)
			add(b, "\t\tip daddr %s ", ipam_fmt(p[i].host_ip, hip));
		else
			add(b, "\t\t");
		add(b, "%s dport %u dnat to %s:%u\n", proto, p[i].host_port, cip, p[i].cport);
	}
}

static void nat_chains(struct buf *b, const struct nft_bridge *br, size_t nb,
		       const struct nft_port *p, size_t np)
{
	add(b, "\tchain ports {\n");
	port_rules(b, p, np);
	add(b, "\t}\n\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy "
	       "accept;\n\t\tfib daddr type local jump ports\n\t}\n");
	add(b, "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
	       "\t\tfib daddr type local jump ports\n\t}\n");
	add(b, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy "
	       "accept;\n");
	for (size_t i = 0; i < nb; i++) {
		_cleanup_free_ char *net = ipam_fmt_cidr(br[i].subnet);
		/* published ports reached from 127.0.0.1 (route_localnet) or from a container
		 * of the same bridge (hairpin) answer through the gateway */
		add(b, "\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", br[i].ifname);
		add(b, "\t\toifname \"%s\" ct status dnat ip saddr %s masquerade\n", br[i].ifname,
		    net);
		if (br[i].masquerade && !br[i].internal)
			add(b, "\t\tip saddr %s oifname != \"%s\" masquerade\n", net, br[i].ifname);
	}
	add(b, "\t}\n");
}

static void filter_chain(struct buf *b, const struct nft_bridge *br, size_t nb)
{
	add(b, "\tchain forward {\n\t\ttype filter hook forward priority filter; policy "
	       "accept;\n");
	for (size_t i = 0; i < nb; i++) {
		if (br[i].internal) {
			add(b, "\t\tiifname \"%s\" oifname != \"%s\" drop\n", br[i].ifname,
			    br[i].ifname);
			add(b, "\t\toifname \"%s\" iifname != \"%s\" drop\n", br[i].ifname,
			    br[i].ifname);
		}
		/* networks are isolated from each other, as Docker's DOCKER-ISOLATION chains */
		for (size_t j = 0; j < nb; j++)
			if (j != i)
				add(b, "\t\tiifname \"%s\" oifname \"%s\" drop\n", br[i].ifname,
				    br[j].ifname);
	}
	add(b, "\t}\n");
}

char *nft_ruleset(const char *table, const struct nft_bridge *br, size_t nb,
		  const struct nft_port *p, size_t np)
{
	struct buf b = {NULL, 0, 0};
	add(&b, "add table ip %s\ndelete table ip %s\ntable ip %s {\n", table, table, table);
	nat_chains(&b, br, nb, p, np);
	filter_chain(&b, br, nb);
	add(&b, "}\n");
	return b.s;
}

static int run(const char *cmd, const char *what, struct err *e)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return err_set(e, ERR_INTERNAL, 0, "nftables: cannot create a context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int r = nft_run_cmd_from_buffer(ctx, cmd);
	if (r != 0) {
		const char *msg = nft_ctx_get_error_buffer(ctx);
		err_set(e, ERR_INTERNAL, 0, "nftables: %s: %s", what, msg && *msg ? msg : "failed");
	}
	nft_ctx_free(ctx);
	return r != 0 ? -1 : 0;
}

int nft_apply(const char *table, const struct nft_bridge *b, size_t nb, const struct nft_port *p,
	      size_t np, struct err *e)
{
	_cleanup_free_ char *rules = nft_ruleset(table, b, nb, p, np);
	return run(rules, table, e);
}

int nft_delete(const char *table, struct err *e)
{
	_cleanup_free_ char *cmd =
	    str_printf("add table ip %s\ndelete table ip %s\n", table, table);
	return run(cmd, table, e);
}
