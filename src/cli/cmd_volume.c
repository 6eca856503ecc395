/* cli/cmd_volume: `berth volume create/ls/inspect/rm/prune`, docker's commands, flags and
 * output over the /volumes endpoints. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

int cmd_volume_create(struct cli *c, int argc, char **argv)
{
	const char *driver = "local", *name = NULL;
	_cleanup_strv_ char **labels = NULL, **dopts = NULL;
	const struct cli_opt opts[] = {
	    {'d', "driver", OPT_STR, &driver,
	     "string\tSpecify volume driver name (default \"local\")"},
	    {0, "label", OPT_LIST, &labels, "list\tSet metadata for a volume"},
	    {0, "name", OPT_STR, &name, "string\tSpecify volume name"},
	    {'o', "opt", OPT_LIST, &dopts, "map\tSet driver specific options"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "volume create", "[OPTIONS] [VOLUME]", "Create a volume", 0, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (pos[0] && name && strcmp(pos[0], name)) {
		fprintf(stderr, "conflicting options: either specify --name or provide positional "
				"arg, not both\n");
		return 1;
	}
	_cleanup_json_ json_t *body =
	    json_pack("{s:s,s:o,s:o}", "Driver", driver, "DriverOpts", cli_json_kv(dopts, '='),
		      "Labels", cli_json_kv(labels, '='));
	if (pos[0] || name)
		json_object_set_new(body, "Name", json_string(pos[0] ? pos[0] : name));
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *out = NULL;
	if (cli_post(c, "/volumes/create", body, &out, &e) < 0)
		return cli_report(&e, 1);
	printf("%s\n", json_string_value(json_object_get(out, "Name")) ?: "");
	return 0;
}

static json_t *volume_row(json_t *v, bool trunc)
{
	_cleanup_free_ char *labels = cli_labels_join(json_object_get(v, "Labels"));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Driver",
			 json_string_value(json_object_get(v, "Driver")) ?: "", "Name",
			 json_string_value(json_object_get(v, "Name")) ?: "", "Scope",
			 json_string_value(json_object_get(v, "Scope")) ?: "local", "Mountpoint",
			 json_string_value(json_object_get(v, "Mountpoint")) ?: "", "Labels",
			 labels, "CreatedAt",
			 json_string_value(json_object_get(v, "CreatedAt")) ?: "", "Links", "N/A",
			 "Size", "N/A");
}

int cmd_volume_ls(struct cli *c, int argc, char **argv)
{
	bool quiet = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'f', "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"dangling=true\")"},
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Only display volume names"},
	    {0}};
	const struct cli_cmd_spec spec = {"volume ls", "[OPTIONS]", "List volumes", 0, 0,
					  false,       opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (quiet)
		format = "{{.Name}}";
	return cli_list_by_name(
	    c, "/volumes", filters, "Volumes", volume_row, true, format,
	    "table {{.Driver}}\t{{.Name}}",
	    "{\"Driver\":\"DRIVER\",\"Name\":\"VOLUME NAME\",\"Scope\":\"SCOPE\","
	    "\"Mountpoint\":\"MOUNTPOINT\",\"Labels\":\"LABELS\",\"CreatedAt\":"
	    "\"CREATED AT\",\"Links\":\"LINKS\",\"Size\":\"SIZE\"}");
}

int cmd_volume_rm(struct cli *c, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = {
	    {'f', "force", OPT_BOOL, &force, "Force the removal of one or more volumes"}, {0}};
	const struct cli_cmd_spec spec = {
	    "volume rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", 1, -1, false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	const struct cli_each x = {
	    .method = "DELETE", .prefix = "/volumes/", .suffix = force ? "?force=1" : ""};
	return cli_each_name(c, pos, &x);
}

int cmd_volume_prune(struct cli *c, int argc, char **argv)
{
	bool all = false, force = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all", OPT_BOOL, &all, "Remove all unused volumes, not just anonymous ones"},
	    {0, "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"label=<label>\")"},
	    {'f', "force", OPT_BOOL, &force, "Do not prompt for confirmation"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "volume prune", "[OPTIONS]", "Remove unused local volumes", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (!force && !cli_confirm(all ? "WARNING! This will remove all local volumes not used by "
					 "at least one container."
				       : "WARNING! This will remove anonymous local volumes not "
					 "used by at least one container."))
		return 0;
	if (all)
		strv_push(&filters, "all=true");
	return cli_prune_post(c, "/volumes/prune", filters, "VolumesDeleted",
			      "Deleted Volumes:", true);
}
