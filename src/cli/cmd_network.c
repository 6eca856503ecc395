/* cli/cmd_network: `berth network create/ls/inspect/rm/connect/disconnect/prune`, docker's
 * commands, flags and output over the /networks endpoints. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

/* --subnet/--gateway/--ip-range, paired by position as docker pairs them. */
static json_t *ipam_config(char **subnets, char **gateways, char **ranges)
{
	json_t *cfg = json_array();
	for (size_t i = 0; subnets && subnets[i]; i++) {
		json_t *c = json_pack("{s:s}", "Subnet", subnets[i]);
		if (gateways && i < strv_len(gateways))
			json_object_set_new(c, "Gateway", json_string(gateways[i]));
		if (ranges && i < strv_len(ranges))
			json_object_set_new(c, "IPRange", json_string(ranges[i]));
		json_array_append_new(cfg, c);
	}
	return cfg;
}

int cmd_network_create(struct cli *c, int argc, char **argv)
{
	const char *driver = "bridge", *ipam_driver = "default", *ipv4 = NULL;
	bool internal = false, attachable = false, ipv6 = false;
	_cleanup_strv_ char **labels = NULL, **dopts = NULL, **subnets = NULL, **gws = NULL,
			    **ranges = NULL, **ipam_opts = NULL, **aux = NULL;
	const struct cli_opt opts[] = {
	    {0, "attachable", OPT_BOOL, &attachable, "Enable manual container attachment"},
	    {0, "aux-address", OPT_LIST, &aux,
	     "map\tAuxiliary IPv4 or IPv6 addresses used by Network driver"},
	    {'d', "driver", OPT_STR, &driver,
	     "string\tDriver to manage the Network (default \"bridge\")"},
	    {0, "gateway", OPT_LIST, &gws, "strings\tIPv4 or IPv6 Gateway for the master subnet"},
	    {0, "internal", OPT_BOOL, &internal, "Restrict external access to the network"},
	    {0, "ip-range", OPT_LIST, &ranges, "strings\tAllocate container ip from a sub-range"},
	    {0, "ipam-driver", OPT_STR, &ipam_driver, "string\tIP Address Management Driver"},
	    {0, "ipam-opt", OPT_LIST, &ipam_opts, "map\tSet IPAM driver specific options"},
	    {0, "ipv4", OPT_STR, &ipv4, "bool\tEnable or disable IPv4 address assignment"},
	    {0, "ipv6", OPT_BOOL, &ipv6, "Enable IPv6 networking"},
	    {0, "label", OPT_LIST, &labels, "list\tSet metadata on a network"},
	    {'o', "opt", OPT_LIST, &dopts, "map\tSet driver specific options"},
	    {0, "subnet", OPT_LIST, &subnets,
	     "strings\tSubnet in CIDR format that represents a network segment"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "network create", "[OPTIONS] NETWORK", "Create a network", 1, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	json_t *cfg = ipam_config(subnets, gws, ranges);
	/* --aux-address name=ip goes with the first subnet, as docker's CLI pairs them */
	if (aux && json_array_size(cfg))
		json_object_set_new(json_array_get(cfg, 0), "AuxiliaryAddresses",
				    cli_json_kv(aux, '='));
	_cleanup_json_ json_t *body = json_pack(
	    "{s:s,s:s,s:b,s:b,s:b,s:b,s:{s:s,s:o,s:o},s:o,s:o}", "Name", pos[0], "Driver", driver,
	    "Internal", internal, "Attachable", attachable, "EnableIPv6", ipv6, "CheckDuplicate", 1,
	    "IPAM", "Driver", ipam_driver, "Config", cfg, "Options", cli_json_kv(ipam_opts, '='),
	    "Options", cli_json_kv(dopts, '='), "Labels", cli_json_kv(labels, '='));
	if (ipv4)
		json_object_set_new(body, "EnableIPv4", json_boolean(!strcmp(ipv4, "true")));
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *out = NULL;
	if (cli_post(c, "/networks/create", body, &out, &e) < 0)
		return cli_report(&e, 1);
	const char *w = json_string_value(json_object_get(out, "Warning"));
	if (w && *w)
		fprintf(stderr, "WARNING: %s\n", w);
	printf("%s\n", json_string_value(json_object_get(out, "Id")) ?: "");
	return 0;
}

static json_t *network_row(json_t *n, bool trunc)
{
	const char *id = json_string_value(json_object_get(n, "Id")) ?: "";
	_cleanup_free_ char *labels = cli_labels_join(json_object_get(n, "Labels"));
	return json_pack(
	    "{s:s%,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id,
	    trunc && strlen(id) > 12 ? (size_t)12 : strlen(id), "Name",
	    json_string_value(json_object_get(n, "Name")) ?: "", "Driver",
	    json_string_value(json_object_get(n, "Driver")) ?: "", "Scope",
	    json_string_value(json_object_get(n, "Scope")) ?: "local", "IPv6",
	    json_is_true(json_object_get(n, "EnableIPv6")) ? "true" : "false", "Internal",
	    json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels", labels,
	    "CreatedAt", json_string_value(json_object_get(n, "Created")) ?: "");
}

int cmd_network_ls(struct cli *c, int argc, char **argv)
{
	bool quiet = false, notrunc = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'f', "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"driver=bridge\")"},
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {0, "no-trunc", OPT_BOOL, &notrunc, "Do not truncate the output"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Only display network IDs"},
	    {0}};
	const struct cli_cmd_spec spec = {"network ls", "[OPTIONS]", "List networks", 0, 0,
					  false,	opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (quiet)
		format = "{{.ID}}";
	return cli_list_by_name(c, "/networks", filters, NULL, network_row, !notrunc, format,
				"table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
				"{\"ID\":\"NETWORK ID\",\"Name\":\"NAME\",\"Driver\":\"DRIVER\","
				"\"Scope\":\"SCOPE\",\"IPv6\":\"IPV6\",\"Internal\":\"INTERNAL\","
				"\"Labels\":\"LABELS\",\"CreatedAt\":\"CREATED AT\"}");
}

int cmd_network_rm(struct cli *c, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = {
	    {'f', "force", OPT_BOOL, &force, "Do not error if the network does not exist"}, {0}};
	const struct cli_cmd_spec spec = {
	    "network rm", "NETWORK [NETWORK...]", "Remove one or more networks", 1, -1, false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	const struct cli_each x = {
	    .method = "DELETE", .prefix = "/networks/", .suffix = "", .missing_quiet = force};
	return cli_each_name(c, pos, &x);
}

/* connect and disconnect: POST /networks/NET/(dis)connect with the container. */
static int connect_like(struct cli *c, int argc, char **argv, bool connect)
{
	const char *ip = NULL, *ip6 = NULL;
	bool force = false;
	_cleanup_strv_ char **aliases = NULL, **links = NULL, **llips = NULL, **drv_opts = NULL;
	const struct cli_opt copts[] = {
	    {0, "alias", OPT_LIST, &aliases, "strings\tAdd network-scoped alias for the container"},
	    {0, "driver-opt", OPT_LIST, &drv_opts, "strings\tdriver options for the network"},
	    {0, "ip", OPT_STR, &ip, "string\tIPv4 address (e.g., \"172.30.100.104\")"},
	    {0, "ip6", OPT_STR, &ip6, "string\tIPv6 address (e.g., \"2001:db8::33\")"},
	    {0, "link", OPT_LIST, &links, "list\tAdd link to another container"},
	    {0, "link-local-ip", OPT_LIST, &llips,
	     "strings\tAdd a link-local address for the container"},
	    {0}};
	const struct cli_opt dopts[] = {
	    {'f', "force", OPT_BOOL, &force, "Force the container to disconnect from a network"},
	    {0}};
	const struct cli_cmd_spec spec = {connect ? "network connect" : "network disconnect",
					  "[OPTIONS] NETWORK CONTAINER",
					  connect ? "Connect a container to a network"
						  : "Disconnect a container from a network",
					  2,
					  2,
					  false,
					  connect ? copts : dopts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	_cleanup_json_ json_t *body = json_pack("{s:s}", "Container", pos[1]);
	if (connect) {
		json_t *ep = json_object();
		json_object_set_new(ep, "Aliases", cli_json_strv(aliases));
		json_t *ll = cli_json_strv(llips);
		json_object_set_new(ep, "Links", cli_json_strv(links));
		json_object_set_new(ep, "DriverOpts", cli_json_kv(drv_opts, '='));
		if (ip || ip6 || llips)
			json_object_set_new(ep, "IPAMConfig",
					    json_pack("{s:s,s:s,s:o}", "IPv4Address", ip ? ip : "",
						      "IPv6Address", ip6 ? ip6 : "", "LinkLocalIPs",
						      json_incref(ll)));
		json_decref(ll);
		json_object_set_new(body, "EndpointConfig", ep);
	} else {
		json_object_set_new(body, "Force", json_boolean(force));
	}
	_cleanup_free_ char *en = cli_http_escape(pos[0]);
	_cleanup_free_ char *p =
	    str_printf("/networks/%s/%s", en, connect ? "connect" : "disconnect");
	struct err e = ERR_INIT;
	if (cli_post(c, p, body, NULL, &e) < 0)
		return cli_report(&e, 1);
	return 0;
}

int cmd_network_connect(struct cli *c, int argc, char **argv)
{
	return connect_like(c, argc, argv, true);
}

int cmd_network_disconnect(struct cli *c, int argc, char **argv)
{
	return connect_like(c, argc, argv, false);
}

int cmd_network_prune(struct cli *c, int argc, char **argv)
{
	static const struct cli_prune_kind k = {
	    "network prune",
	    "Remove all unused networks",
	    "WARNING! This will remove all custom networks not used by at least one container.",
	    "/networks/prune",
	    "NetworksDeleted",
	    "Deleted Networks:",
	    false};
	return cli_prune_main(c, argc, argv, &k);
}
