/* cli/prune: the prune commands' request and report, docker's words: "Deleted Containers:"
 * and the names, then the space reclaimed. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

void cli_print_deleted(const json_t *reply, const char *key, const char *title)
{
	json_t *del = json_object_get(reply, key);
	if (json_array_size(del))
		printf("%s\n", title);
	size_t i;
	json_t *it;
	json_array_foreach (del, i, it)
		printf("%s\n", json_string_value(it));
}

int cli_print_reclaimed(const json_t *reply)
{
	_cleanup_free_ char *sz =
	    fmt_size((double)json_integer_value(json_object_get(reply, "SpaceReclaimed")));
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}

int cli_prune_post(struct cli *c, const char *base, char **filters, const char *key,
		   const char *title, bool space)
{
	_cleanup_free_ char *path = cli_filters_path(base, filters);
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *r = NULL;
	if (cli_post(c, path, NULL, &r, &e) < 0)
		return cli_report(&e, 1);
	cli_print_deleted(r, key, title);
	if (!space)
		return 0;
	if (json_array_size(json_object_get(r, key)))
		printf("\n");
	return cli_print_reclaimed(r);
}

int cli_prune_main(struct cli *c, int argc, char **argv, const struct cli_prune_kind *k)
{
	bool force = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {0, "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"until=<timestamp>\")"},
	    {'f', "force", OPT_BOOL, &force, "Do not prompt for confirmation"},
	    {0}};
	const struct cli_cmd_spec spec = {k->name, "[OPTIONS]", k->about, 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (!force && !cli_confirm(k->warning))
		return 0;
	return cli_prune_post(c, k->base, filters, k->key, k->title, k->space);
}
