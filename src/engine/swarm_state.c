/* engine/swarm_state: a new swarm's state from POST /swarm/init (listen, advertise and data
 * path addresses resolved as dockerd does, the address pool, the spec over swarmkit's
 * defaults) and the cluster object GET /swarm and /info show. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "engine/swarm.h"
#include "engine/swarm_priv.h"
#include "net/ipam.h"
#include "net/nl.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

/* swarmkit's defaults, as `docker swarm inspect` shows a new cluster */
static json_t *spec_defaults(void)
{
	return json_pack("{s:s, s:{}, s:{s:i}, s:{s:i, s:i, s:i, s:i, s:i}, s:{s:I}, s:{s:I}, "
			 "s:{}, s:{s:b}}",
			 "Name", "default", "Labels", "Orchestration", "TaskHistoryRetentionLimit",
			 5, "Raft", "SnapshotInterval", 10000, "KeepOldSnapshots", 0,
			 "LogEntriesForSlowFollowers", 500, "ElectionTick", 10, "HeartbeatTick", 1,
			 "Dispatcher", "HeartbeatPeriod", (json_int_t)5000000000LL, "CAConfig",
			 "NodeCertExpiry", (json_int_t)7776000000000000LL, "TaskDefaults",
			 "EncryptionConfig", "AutoLockManagers", 0);
}

static bool is_zero(const json_t *v)
{
	return json_is_null(v) || json_is_false(v) ||
	       (json_is_integer(v) && !json_integer_value(v)) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/* Non-zero values of from over into (objects merged key by key). */
static void merge(json_t *into, const json_t *from)
{
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)from, k, v) {
		json_t *cur = json_object_get(into, k);
		if (json_is_object(v) && json_is_object(cur) && strcmp(k, "Labels"))
			merge(cur, v);
		else if (!is_zero(v) || (json_is_object(v) && !strcmp(k, "Labels")))
			json_object_set(into, k, v);
	}
}

json_t *swarm_spec_merge(const json_t *spec, struct err *e)
{
	const char *name = json_string_value(json_object_get(spec, "Name"));
	if (name && *name && strcmp(name, "default")) {
		err_invalid(e, "swarm spec must be named \"default\"");
		return NULL;
	}
	if (spec && !json_is_object(spec) && !json_is_null(spec)) {
		err_invalid(e, "invalid swarm spec: expected an object");
		return NULL;
	}
	json_t *sp = spec_defaults();
	if (json_is_object(spec))
		merge(sp, spec);
	json_object_set_new(sp, "Name", json_string("default"));
	return sp;
}

/* The IPv4 address of interface name; 0 when it has none or more than one. */
static uint32_t iface_addr(const char *name)
{
	struct ifaddrs *ifa = NULL;
	uint32_t found = 0;
	int n = 0;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, name)) {
			found = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
			n++;
		}
	freeifaddrs(ifa);
	return n == 1 ? found : 0;
}

/* The address of the interface the default route leaves by (dockerd's system address). */
static uint32_t system_addr(void)
{
	struct nl *l = nl_open(NULL);
	struct nl_route *rt = NULL;
	int nr = 0, oif = 0;
	if (l && nl_routes(l, &rt, &nr, NULL) == 0)
		for (int i = 0; i < nr && !oif; i++)
			if (rt[i].len == 0)
				oif = rt[i].oif;
	free(rt);
	nl_close(l);
	char name[IF_NAMESIZE];
	return oif && if_indextoname((unsigned)oif, name) ? iface_addr(name) : 0;
}

/* host[:port] with host an IPv4 address or an interface name; *ip 0 for "0.0.0.0". */
static int parse_addr(const char *s, const char *defport, uint32_t *ip, char **port,
		      const char *bad, struct err *e)
{
	_cleanup_free_ char *host = str_dup(s);
	char *colon = strrchr(host, ':');
	int p = 0;
	if (colon) {
		*colon = '\0';
		if (str_to_int(colon + 1, &p, "port", NULL) < 0 || p < 1 || p > 65535)
			return err_invalid(e, "invalid port in address %s", s);
	}
	*port = colon ? str_dup(colon + 1) : str_dup(defport);
	if (!*host)
		*ip = 0;
	else if (ipam_parse_ip(host, ip) < 0 && !(*ip = iface_addr(host)))
		return err_invalid(e, "%s", bad);
	return 0;
}

static int resolve_addrs(json_t *st, const json_t *body, struct err *e)
{
	const char *listen = json_string_value(json_object_get(body, "ListenAddr"));
	const char *adv = json_string_value(json_object_get(body, "AdvertiseAddr"));
	if (!listen || !*listen)
		return err_invalid(e, "invalid ListenAddr \"\": invalid empty address");
	uint32_t lip, aip;
	_cleanup_free_ char *lport = NULL, *aport = NULL;
	if (parse_addr(listen, "2377", &lip, &lport,
		       "listen address must be an IP address or network interface (with optional "
		       "port number)",
		       e) < 0)
		return -1;
	if (adv && *adv) {
		if (parse_addr(adv, lport, &aip, &aport,
			       "advertise address must be a non-zero IP address or network "
			       "interface (with optional port number)",
			       e) < 0)
			return -1;
		if (!aip)
			return err_invalid(e, "advertise address must be a non-zero IP address or "
					      "network interface (with optional port number)");
	} else if (!(aip = lip ? lip : system_addr())) {
		return err_invalid(e,
				   "must specify a listening address because the address to "
				   "advertise is not recognized as a system address, and a "
				   "system's IP address to use could not be uniquely identified");
	}
	char lb[16], ab[16];
	json_object_set_new(st, "ListenAddr", json_sprintf("%s:%s", ipam_fmt(lip, lb), lport));
	json_object_set_new(st, "AdvertiseAddr",
			    json_sprintf("%s:%s", ipam_fmt(aip, ab), aport ? aport : lport));
	return 0;
}

/* DefaultAddrPool, SubnetSize and DataPathPort as dockerd validates them. */
static int pool_opts(json_t *st, const json_t *body, struct err *e)
{
	json_t *pool = json_object_get(body, "DefaultAddrPool");
	json_int_t size = json_integer_value(json_object_get(body, "SubnetSize"));
	json_int_t dport = json_integer_value(json_object_get(body, "DataPathPort"));
	size = size ? size : 24;
	if (size > 29 || size < 0)
		return err_invalid(e, "subnet size is out of range: %lld", (long long)size);
	json_t *out = json_array();
	json_object_set_new(st, "DefaultAddrPool", out);
	size_t i;
	json_t *v;
	json_array_foreach (pool, i, v) {
		struct ipam_subnet sub;
		const char *s = json_string_value(v);
		if (!s || ipam_parse_cidr(s, &sub, NULL, NULL) < 0)
			return err_invalid(e, "invalid base pool %s", s ? s : "");
		if (size < sub.len)
			return err_invalid(
			    e,
			    "invalid CIDR: \"%s\". Subnet size is too small for pool: "
			    "%lld",
			    s, (long long)size);
		json_array_append(out, v);
	}
	if (!json_array_size(out))
		json_array_append_new(out, json_string("10.0.0.0/8"));
	if (dport && (dport < 1024 || dport > 49151))
		return err_invalid(e,
				   "Datapath port number is not in valid range (1024-49151) : %lld",
				   (long long)dport);
	json_object_set_new(st, "SubnetSize", json_integer(size));
	json_object_set_new(st, "DataPathPort", json_integer(dport ? dport : 4789));
	return 0;
}

json_t *swarm_state_new(const json_t *body, struct err *e)
{
	if (!json_is_object(body)) {
		err_invalid(e, "invalid JSON body: expected an object");
		return NULL;
	}
	const char *avail = json_string_value(json_object_get(body, "Availability"));
	if (avail && *avail && strcmp(avail, "active") && strcmp(avail, "pause") &&
	    strcmp(avail, "drain")) {
		err_invalid(e, "invalid Availability: %s", avail);
		return NULL;
	}
	char node[SWARM_ID_LEN + 1], cluster[SWARM_ID_LEN + 1], digest[ID_HEX_LEN + 1];
	char now[STORE_TIME_MAX];
	store_time_format(store_time_now(), now);
	_cleanup_json_ json_t *st = json_object();
	json_t *spec = swarm_spec_merge(json_object_get(body, "Spec"), e);
	if (!spec || swarm_new_id(node, e) < 0 || swarm_new_id(cluster, e) < 0 ||
	    id_generate(digest, e) < 0) {
		json_decref(spec);
		return NULL;
	}
	if (json_is_true(json_object_get(body, "AutoLockManagers")))
		json_object_set_new(json_object_get(spec, "EncryptionConfig"), "AutoLockManagers",
				    json_true());
	json_object_update_new(
	    st, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:s, s:{}, s:s, s:i, s:s, s:i}", "ID",
			  cluster, "NodeID", node, "CreatedAt", now, "UpdatedAt", now, "Version",
			  10, "Spec", spec, "CADigest", digest, "JoinTokens", "Availability",
			  avail && *avail ? avail : "active", "NodeVersion", 9, "UnlockKey", "",
			  "NextVXLAN", 4096));
	if (resolve_addrs(st, body, e) < 0 || pool_opts(st, body, e) < 0)
		return NULL;
	return TAKE_PTR(st);
}

json_t *swarm_cluster_json(const json_t *st, bool tokens)
{
	json_t *r = json_pack(
	    "{s:O, s:{s:O}, s:O, s:O, s:O, s:{s:s, s:s, s:s}, s:b, s:O, s:O, s:O}", "ID",
	    json_object_get(st, "ID"), "Version", "Index", json_object_get(st, "Version"),
	    "CreatedAt", json_object_get(st, "CreatedAt"), "UpdatedAt",
	    json_object_get(st, "UpdatedAt"), "Spec", json_object_get(st, "Spec"), "TLSInfo",
	    "TrustRoot", "", "CertIssuerSubject", "", "CertIssuerPublicKey", "",
	    "RootRotationInProgress", 0, "DefaultAddrPool", json_object_get(st, "DefaultAddrPool"),
	    "SubnetSize", json_object_get(st, "SubnetSize"), "DataPathPort",
	    json_object_get(st, "DataPathPort"));
	if (tokens)
		json_object_set(r, "JoinTokens", json_object_get(st, "JoinTokens"));
	return r;
}

char *swarm_advertise_host(const json_t *st)
{
	const char *a = json_string_value(json_object_get(st, "AdvertiseAddr"));
	const char *colon = a ? strrchr(a, ':') : NULL;
	return colon ? str_ndup(a, (size_t)(colon - a)) : str_dup(a ? a : "");
}
