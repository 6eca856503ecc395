/* cli/cmd_stats: stats (docker's CPU/memory/IO math from one sample pair) and
 * `berth system prune`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static double num(json_t *o, const char *path)
{
	_cleanup_free_ char *p = str_dup(path);
	char *save = NULL;
	for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o ? json_number_value(o) : 0;
}

/* One row of `stats`: CPU%, memory, net and block I/O as cli28 stats_helpers.go. */
static json_t *stats_row(json_t *s, const char *id, bool trunc)
{
	double cpu = num(s, "cpu_stats.cpu_usage.total_usage") -
		     num(s, "precpu_stats.cpu_usage.total_usage");
	double sys = num(s, "cpu_stats.system_cpu_usage") - num(s, "precpu_stats.system_cpu_usage");
	double ncpu = num(s, "cpu_stats.online_cpus");
	double cpu_pct = sys > 0 && cpu > 0 ? cpu / sys * (ncpu ? ncpu : 1) * 100.0 : 0;
	json_t *ms = json_object_get(json_object_get(s, "memory_stats"), "stats");
	double inactive = json_object_get(ms, "total_inactive_file")
			      ? num(ms, "total_inactive_file")
			      : num(ms, "inactive_file");
	double mem = num(s, "memory_stats.usage");
	mem = mem > inactive ? mem - inactive : mem;
	double limit = num(s, "memory_stats.limit");
	double rx = 0, tx = 0, rd = 0, wr = 0;
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(s, "networks"), k, v) {
		rx += num(v, "rx_bytes");
		tx += num(v, "tx_bytes");
	}
	size_t i;
	json_array_foreach (
	    json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive"), i,
	    v) {
		const char *op = json_string_value(json_object_get(v, "op")) ?: "";
		if (op[0] == 'r' || op[0] == 'R')
			rd += num(v, "value");
		else if (op[0] == 'w' || op[0] == 'W')
			wr += num(v, "value");
	}
	_cleanup_free_ char *mu = fmt_bytes(mem), *ml = fmt_bytes(limit);
	_cleanup_free_ char *nr = fmt_size(rx), *nt = fmt_size(tx), *br = fmt_size(rd),
			    *bw = fmt_size(wr);
	const char *name = json_string_value(json_object_get(s, "name")) ?: "";
	_cleanup_free_ char *cp = str_printf("%.2f%%", cpu_pct);
	_cleanup_free_ char *mus = str_printf("%s / %s", mu, ml);
	_cleanup_free_ char *mp = str_printf("%.2f%%", limit ? mem / limit * 100 : 0);
	_cleanup_free_ char *nio = str_printf("%s / %s", nr, nt),
			    *bio = str_printf("%s / %s", br, bw);
	_cleanup_free_ char *pids = str_printf("%lld", (long long)num(s, "pids_stats.current"));
	return json_pack("{s:s%,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id,
			 trunc && strlen(id) > 12 ? (size_t)12 : strlen(id), "Container", id,
			 "Name", name[0] == '/' ? name + 1 : name, "CPUPerc", cp, "MemUsage", mus,
			 "MemPerc", mp, "NetIO", nio, "BlockIO", bio, "PIDs", pids);
}

static const char *STATS_HEADERS =
    "{\"ID\":\"CONTAINER ID\",\"Container\":\"CONTAINER\",\"Name\":\"NAME\",\"CPUPerc\":\"CPU "
    "%\",\"MemUsage\":\"MEM USAGE / LIMIT\",\"MemPerc\":\"MEM %\",\"NetIO\":\"NET I/O\","
    "\"BlockIO\":\"BLOCK I/O\",\"PIDs\":\"PIDS\"}";

struct stats_opts {
	const char *format;
	bool all, trunc, clear;
};

static int stats_once(struct cli *c, char **names, const struct stats_opts *so)
{
	struct err e = ERR_INIT;
	_cleanup_strv_ char **ids = NULL;
	if (names && *names) {
		ids = strv_copy(names);
	} else {
		_cleanup_json_ json_t *list = NULL;
		if (cli_get(c, so->all ? "/containers/json?all=1" : "/containers/json", &list, &e) <
		    0)
			return cli_report(&e, 1);
		size_t i;
		json_t *it;
		json_array_foreach (list, i, it)
			strv_push(&ids, json_string_value(json_object_get(it, "Id")));
	}
	struct fmt_out o;
	_cleanup_json_ json_t *h = json_loads(STATS_HEADERS, 0, NULL);
	if (fmt_out_init(&o, so->format,
			 "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
			 "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
			 h, &e) < 0) {
		fmt_out_finish(&o, stdout);
		return fprintf(stderr, "template parsing error: %s\n", e.msg), 1;
	}
	int rc = 0;
	for (char **n = ids; n && *n; n++) {
		_cleanup_free_ char *en = cli_http_escape(*n);
		_cleanup_free_ char *path = str_printf("/containers/%s/stats?stream=0", en);
		_cleanup_json_ json_t *s = NULL;
		if (cli_get(c, path, &s, &e) < 0) {
			/* -a lists stopped ones too: docker shows them as a row of "--" */
			if (so->all && strstr(e.msg, "is not running")) {
				_cleanup_json_ json_t *row = json_pack(
				    "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "", "Container",
				    *n, "Name", "--", "CPUPerc", "--", "MemUsage", "-- / --",
				    "MemPerc", "--", "NetIO", "--", "BlockIO", "--", "PIDs", "--");
				fmt_out_row(&o, row, &e);
			} else {
				rc = cli_report(&e, 1);
			}
			err_clear(&e);
			continue;
		}
		const char *id = json_string_value(json_object_get(s, "id")) ?: *n;
		_cleanup_json_ json_t *row = stats_row(s, id, so->trunc);
		fmt_out_row(&o, row, &e);
	}
	if (so->clear)
		printf("\033[2J\033[H");
	fmt_out_finish(&o, stdout);
	fflush(stdout);
	return rc;
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	bool nostream = false, all = false, notrunc = false;
	const char *format = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all", OPT_BOOL, &all, "Show all containers (default shows just running)"},
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {0, "no-stream", OPT_BOOL, &nostream,
	     "Disable streaming stats and only pull the first result"},
	    {0, "no-trunc", OPT_BOOL, &notrunc, "Do not truncate output"},
	    {0}};
	const struct cli_cmd_spec spec = {"stats",
					  "[OPTIONS] [CONTAINER...]",
					  "Display a live stream of container(s) resource usage "
					  "statistics",
					  0,
					  -1,
					  false,
					  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct stats_opts so = {.format = format, .all = all, .trunc = !notrunc};
	if (nostream)
		return stats_once(c, pos, &so);
	so.clear = isatty(1);
	for (;;) {
		int rc = stats_once(c, pos, &so);
		if (rc)
			return rc;
	}
}

/* One more prune of system prune: the names it deleted under title; a daemon without the
 * endpoint (404) has nothing of that kind to prune. */
static int prune_list(struct cli *c, const char *path, const char *key, const char *title,
		      double *reclaimed)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *r = NULL;
	if (cli_post(c, path, NULL, &r, &e) < 0) {
		if (e.kind == ERR_NOT_FOUND)
			return 0;
		cli_report(&e, 1);
		return -1;
	}
	cli_print_deleted(r, key, title);
	if (reclaimed)
		*reclaimed = num(r, "SpaceReclaimed");
	return 0;
}

int cmd_system_prune(struct cli *c, int argc, char **argv)
{
	bool all = false, force = false, vols = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all", OPT_BOOL, &all, "Remove all unused images not just dangling ones"},
	    {0, "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"label=<key>=<value>\")"},
	    {'f', "force", OPT_BOOL, &force, "Do not prompt for confirmation"},
	    {0, "volumes", OPT_BOOL, &vols, "Prune anonymous volumes"},
	    {0}};
	const struct cli_cmd_spec spec = {"system prune", "[OPTIONS]", "Remove unused data", 0, 0,
					  false,	  opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (!force && !cli_confirm(vols ? "WARNING! This will remove:\n  - all stopped containers\n"
					  "  - all networks not used by at least one container\n"
					  "  - all anonymous volumes not used by at least one "
					  "container\n  - all dangling images"
					: "WARNING! This will remove:\n  - all stopped containers\n"
					  "  - all networks not used by at least one container\n"
					  "  - all dangling images"))
		return 0;
	double vr = 0;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *cr = NULL, *ir = NULL;
	/* the same --filter for each kind; images also by dangling */
	_cleanup_free_ char *cp = cli_filters_path("/containers/prune", filters);
	_cleanup_free_ char *np = cli_filters_path("/networks/prune", filters);
	strv_push(&filters, all ? "dangling=false" : "dangling=true");
	_cleanup_free_ char *ifq = cli_filters_query(filters);
	if (cli_post(c, cp, NULL, &cr, &e) < 0)
		return cli_report(&e, 1);
	cli_print_deleted(cr, "ContainersDeleted", "Deleted Containers:");
	if (prune_list(c, np, "NetworksDeleted", "Deleted Networks:", NULL) < 0 ||
	    (vols &&
	     prune_list(c, "/volumes/prune", "VolumesDeleted", "Deleted Volumes:", &vr) < 0))
		return 1;
	_cleanup_free_ char *ip = str_printf("/images/prune?filters=%s", ifq);
	if (cli_post(c, ip, NULL, &ir, &e) < 0)
		return cli_report(&e, 1);
	size_t i;
	json_t *it;
	json_array_foreach (json_object_get(ir, "ImagesDeleted"), i, it) {
		const char *d = json_string_value(json_object_get(it, "Deleted"));
		const char *u = json_string_value(json_object_get(it, "Untagged"));
		printf("%s: %s\n", d ? "deleted" : "untagged", d ? d : u ? u : "");
	}
	_cleanup_free_ char *sz =
	    fmt_size(num(cr, "SpaceReclaimed") + num(ir, "SpaceReclaimed") + vr);
	printf("\nTotal reclaimed space: %s\n", sz);
	return 0;
}
