/* engine/netctl_etc: a container's /etc/hosts and /etc/resolv.conf, as Docker writes them:
 * localhost lines, --add-host entries and the container's own address; the host's resolvers
 * without loopback ones (they can't be reached from the container), or the embedded DNS at
 * 127.0.0.11 on user networks, with --dns, --dns-search and --dns-option applied. */
#include <stdlib.h>
#include <string.h>

#include "engine/netctl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

static const char localhost[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
				"ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
				"ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

struct resolv {
	char **ns, **search, **opts;
};

static void resolv_release(struct resolv *r)
{
	strv_free(r->ns);
	strv_free(r->search);
	strv_free(r->opts);
}

static void resolv_host(struct resolv *r)
{
	memset(r, 0, sizeof(*r));
	_cleanup_free_ char *s = fs_read_file("/etc/resolv.conf", NULL, NULL);
	_cleanup_strv_ char **lines = s ? strv_split(s, "\n") : NULL;
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **w = strv_split(*l, " \t");
		if (!w || !w[0] || !w[1])
			continue;
		char ***dst = !strcmp(w[0], "nameserver") ? &r->ns
			      : !strcmp(w[0], "search")	  ? &r->search
			      : !strcmp(w[0], "options")  ? &r->opts
							  : NULL;
		if (dst == &r->search)
			strv_free(TAKE_PTR(r->search));
		for (char **x = w + 1; dst && *x; x++)
			strv_push(dst, *x);
	}
}

static void take_list(char ***dst, const json_t *arr)
{
	if (!json_array_size(arr))
		return;
	strv_free(TAKE_PTR(*dst));
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (json_is_string(v))
			strv_push(dst, json_string_value(v));
}

static bool loopback(const char *ns)
{
	return str_has_prefix(ns, "127.") || !strcmp(ns, "::1");
}

void netctl_upstream(const json_t *rec, uint32_t up[3])
{
	struct resolv r;
	resolv_host(&r);
	take_list(&r.ns, json_object_get(json_object_get(rec, "HostConfig"), "Dns"));
	size_t n = 0;
	memset(up, 0, 3 * sizeof(*up));
	for (char **p = r.ns; p && *p && n < 3; p++)
		if (ipam_parse_ip(*p, &up[n]) == 0)
			n++;
	resolv_release(&r);
}

static char *resolv_text(const json_t *rec, bool embedded)
{
	const json_t *hc = json_object_get(rec, "HostConfig");
	struct resolv r;
	resolv_host(&r);
	take_list(&r.ns, json_object_get(hc, "Dns"));
	take_list(&r.search, json_object_get(hc, "DnsSearch"));
	take_list(&r.opts, json_object_get(hc, "DnsOptions"));
	_cleanup_strv_ char **out = NULL;
	if (embedded) {
		strv_push(&out, "nameserver 127.0.0.11");
	} else {
		for (char **p = r.ns; p && *p; p++)
			if (!loopback(*p))
				strv_push_take(&out, str_printf("nameserver %s", *p));
		if (!out) {
			strv_push(&out, "nameserver 8.8.8.8");
			strv_push(&out, "nameserver 8.8.4.4");
		}
	}
	if (r.search) {
		_cleanup_free_ char *s = strv_join(r.search, " ");
		strv_push_take(&out, str_printf("search %s", s));
	}
	if (embedded && !json_array_size(json_object_get(hc, "DnsOptions")))
		strv_push(&r.opts, "ndots:0");
	if (r.opts) {
		_cleanup_free_ char *s = strv_join(r.opts, " ");
		strv_push_take(&out, str_printf("options %s", s));
	}
	resolv_release(&r);
	_cleanup_free_ char *text = strv_join(out, "\n");
	return str_printf("%s\n", text);
}

static char *hosts_text(const json_t *rec, uint32_t ip, uint32_t default_gw, char *const *extra)
{
	const json_t *cfg = json_object_get(rec, "Config");
	_cleanup_strv_ char **out = NULL;
	strv_push(&out, localhost);
	for (char *const *x = extra; x && *x; x++)
		strv_push_take(&out, str_printf("%s\n", *x));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(json_object_get(rec, "HostConfig"), "ExtraHosts"), i,
			    v) {
		const char *s = json_string_value(v);
		const char *sep = s ? strchr(s, ':') : NULL;
		if (!sep)
			continue;
		char gw[16];
		const char *addr =
		    strcmp(sep + 1, "host-gateway") ? sep + 1 : ipam_fmt(default_gw, gw);
		strv_push_take(&out, str_printf("%s\t%.*s\n", addr, (int)(sep - s), s));
	}
	if (ip) {
		const char *h = json_string_value(json_object_get(cfg, "Hostname"));
		const char *d = json_string_value(json_object_get(cfg, "Domainname"));
		char b[16];
		if (d && *d)
			strv_push_take(&out,
				       str_printf("%s\t%s.%s %s\n", ipam_fmt(ip, b), h, d, h));
		else
			strv_push_take(&out, str_printf("%s\t%s\n", ipam_fmt(ip, b), h ? h : ""));
	}
	return strv_join(out, "");
}

int netctl_write_etc(const json_t *rec, const char *cdir, uint32_t ip, bool embedded_dns,
		     uint32_t default_gw, char *const *extra_hosts, struct err *e)
{
	_cleanup_free_ char *hosts = hosts_text(rec, ip, default_gw, extra_hosts);
	_cleanup_free_ char *resolv = resolv_text(rec, embedded_dns);
	_cleanup_free_ char *hp = str_printf("%s/hosts", cdir);
	_cleanup_free_ char *rp = str_printf("%s/resolv.conf", cdir);
	/* made again at every start (and only read while the container runs): no fsync, it
	 * would only slow the start down */
	if (fs_write_replace(hp, hosts, strlen(hosts), 0644, e) < 0 ||
	    fs_write_replace(rp, resolv, strlen(resolv), 0644, e) < 0)
		return -1;
	return 0;
}
