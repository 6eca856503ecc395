/* cli/cmd_df: `berth system df`: the summary table of images, containers, local volumes and
 * build cache from GET /system/df, and with -v the per-object tables, as docker prints them. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

struct df_row {
	const char *type;
	double total, active, size, reclaim;
};

/* The four summary rows (volumes: in use when referenced; sizes only where measured). */
static void df_summary(json_t *df, struct df_row r[4])
{
	size_t i;
	json_t *it;
	r[0] = (struct df_row){"Images", (double)json_array_size(json_object_get(df, "Images")), 0,
			       num(df, "LayersSize"), 0};
	json_array_foreach (json_object_get(df, "Images"), i, it) {
		if (num(it, "Containers") > 0)
			r[0].active++;
		else
			r[0].reclaim += num(it, "Size");
	}
	r[1] = (struct df_row){"Containers",
			       (double)json_array_size(json_object_get(df, "Containers")), 0, 0, 0};
	json_array_foreach (json_object_get(df, "Containers"), i, it) {
		const char *state = json_string_value(json_object_get(it, "State")) ?: "";
		r[1].size += num(it, "SizeRw");
		if (!strcmp(state, "running") || !strcmp(state, "paused"))
			r[1].active++;
		else
			r[1].reclaim += num(it, "SizeRw");
	}
	r[2] = (struct df_row){"Local Volumes",
			       (double)json_array_size(json_object_get(df, "Volumes")), 0, 0, 0};
	json_array_foreach (json_object_get(df, "Volumes"), i, it) {
		json_t *u = json_object_get(it, "UsageData");
		double sz = num(u, "Size") > 0 ? num(u, "Size") : 0;
		r[2].size += sz;
		if (num(u, "RefCount") > 0)
			r[2].active++;
		else
			r[2].reclaim += sz;
	}
	r[3] = (struct df_row){"Build Cache", 0, 0, 0, 0};
}

static int df_table(json_t *df, const char *format)
{
	struct df_row r[4];
	df_summary(df, r);
	_cleanup_json_ json_t *rows = json_array();
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *sz = fmt_size4(r[i].size), *rc = fmt_size4(r[i].reclaim);
		_cleanup_free_ char *rec =
		    r[i].size > 0
			? str_printf("%s (%d%%)", rc, (int)(r[i].reclaim * 100 / r[i].size))
			: str_dup(rc);
		json_array_append_new(rows, json_pack("{s:s,s:I,s:I,s:s,s:s}", "Type", r[i].type,
						      "TotalCount", (json_int_t)r[i].total,
						      "Active", (json_int_t)r[i].active, "Size", sz,
						      "Reclaimable", rec));
	}
	return cli_print_rows(
	    rows, cli_identity_row, true, format,
	    "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
	    "{\"Type\":\"TYPE\",\"TotalCount\":\"TOTAL\",\"Active\":\"ACTIVE\",\"Size\":\"SIZE\","
	    "\"Reclaimable\":\"RECLAIMABLE\"}");
}

static char *ago(double t)
{
	_cleanup_free_ char *d = fmt_duration((int64_t)time(NULL) - (int64_t)t);
	return str_printf("%s ago", d);
}

static json_t *image_row(json_t *it, bool trunc)
{
	const char *id = json_string_value(json_object_get(it, "Id")) ?: "";
	const char *ref = json_string_value(json_array_get(json_object_get(it, "RepoTags"), 0));
	_cleanup_free_ char *repo = str_dup(ref ? ref : "<none>:<none>");
	char *colon = strrchr(repo, ':');
	const char *tag = "<none>";
	if (colon && !strchr(colon, '/')) {
		*colon = 0;
		tag = colon + 1;
	}
	_cleanup_free_ char *created = ago(num(it, "Created"));
	_cleanup_free_ char *size = fmt_size(num(it, "Size"));
	_cleanup_free_ char *shared =
	    fmt_size4(num(it, "SharedSize") > 0 ? num(it, "SharedSize") : 0);
	_cleanup_free_ char *unique =
	    fmt_size4(num(it, "Size") - (num(it, "SharedSize") > 0 ? num(it, "SharedSize") : 0));
	return json_pack("{s:s,s:s,s:s%,s:s,s:s,s:s,s:s,s:I}", "Repository", repo, "Tag", tag, "ID",
			 id + (str_has_prefix(id, "sha256:") ? 7 : 0), (size_t)12, "CreatedSince",
			 created, "Size", size, "SharedSize", shared, "UniqueSize", unique,
			 "Containers", (json_int_t)num(it, "Containers"));
}

static json_t *container_row(json_t *it, bool trunc)
{
	const char *id = json_string_value(json_object_get(it, "Id")) ?: "";
	const char *name = json_string_value(json_array_get(json_object_get(it, "Names"), 0)) ?: "";
	const char *cmd = json_string_value(json_object_get(it, "Command")) ?: "";
	_cleanup_free_ char *cut = fmt_ellipsis(cmd, 20), *q = fmt_quote(cut);
	_cleanup_free_ char *created = ago(num(it, "Created"));
	_cleanup_free_ char *size = fmt_size(num(it, "SizeRw"));
	size_t vols = 0, i;
	json_t *m;
	json_array_foreach (json_object_get(it, "Mounts"), i, m)
		vols += !strcmp(json_string_value(json_object_get(m, "Type")) ?: "", "volume");
	return json_pack("{s:s%,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "ID", id,
			 strlen(id) > 12 ? (size_t)12 : strlen(id), "Image",
			 json_string_value(json_object_get(it, "Image")) ?: "", "Command", q,
			 "LocalVolumes", (json_int_t)vols, "Size", size, "RunningFor", created,
			 "Status", json_string_value(json_object_get(it, "Status")) ?: "", "Names",
			 name[0] == '/' ? name + 1 : name);
}

static json_t *volume_row(json_t *it, bool trunc)
{
	json_t *u = json_object_get(it, "UsageData");
	_cleanup_free_ char *size = num(u, "Size") >= 0 ? fmt_size(num(u, "Size")) : str_dup("N/A");
	return json_pack("{s:s,s:I,s:s}", "Name",
			 json_string_value(json_object_get(it, "Name")) ?: "", "Links",
			 (json_int_t)num(u, "RefCount"), "Size", size);
}

/* -v: one table per kind, as docker's verbose df. */
static int df_verbose(json_t *df)
{
	printf("Images space usage:\n\n");
	cli_print_rows(
	    json_object_get(df, "Images"), image_row, true, NULL,
	    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t"
	    "{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
	    "{\"Repository\":\"REPOSITORY\",\"Tag\":\"TAG\",\"ID\":\"IMAGE ID\","
	    "\"CreatedSince\":\"CREATED\",\"Size\":\"SIZE\",\"SharedSize\":\"SHARED SIZE\","
	    "\"UniqueSize\":\"UNIQUE SIZE\",\"Containers\":\"CONTAINERS\"}");
	printf("\nContainers space usage:\n\n");
	cli_print_rows(json_object_get(df, "Containers"), container_row, true, NULL,
		       "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t"
		       "{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
		       "{\"ID\":\"CONTAINER ID\",\"Image\":\"IMAGE\",\"Command\":\"COMMAND\","
		       "\"LocalVolumes\":\"LOCAL VOLUMES\",\"Size\":\"SIZE\",\"RunningFor\":"
		       "\"CREATED\",\"Status\":\"STATUS\",\"Names\":\"NAMES\"}");
	printf("\nLocal Volumes space usage:\n\n");
	cli_print_rows(json_object_get(df, "Volumes"), volume_row, true, NULL,
		       "table {{.Name}}\t{{.Links}}\t{{.Size}}",
		       "{\"Name\":\"VOLUME NAME\",\"Links\":\"LINKS\",\"Size\":\"SIZE\"}");
	printf("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   "
	       "USAGE     SHARED\n");
	return 0;
}

int cmd_system_df(struct cli *c, int argc, char **argv)
{
	const char *format = NULL;
	bool verbose = false;
	const struct cli_opt opts[] = {
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {'v', "verbose", OPT_BOOL, &verbose, "Show detailed information on space usage"},
	    {0}};
	const struct cli_cmd_spec spec = {"system df", "[OPTIONS]", "Show berth disk usage", 0, 0,
					  false,       opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *df = NULL;
	if (cli_get(c, "/system/df", &df, &e) < 0)
		return cli_report(&e, 1);
	return verbose && !format ? df_verbose(df) : df_table(df, format);
}
