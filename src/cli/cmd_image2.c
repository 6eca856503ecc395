/* cli/cmd_image2: image history and image prune. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static const char *HIST_HEADERS = "{\"ID\":\"IMAGE\",\"CreatedSince\":\"CREATED\",\"CreatedAt\":"
				  "\"CREATED AT\",\"CreatedBy\":\"CREATED BY\",\"Size\":\"SIZE\","
				  "\"Comment\":\"COMMENT\"}";

/* -H=false: sizes in bytes, dates as RFC 3339, as docker prints them. */
static bool history_human = true;

static json_t *history_row(json_t *it, bool trunc)
{
	const char *id = json_string_value(json_object_get(it, "Id")) ?: "<missing>";
	if (trunc && str_has_prefix(id, "sha256:"))
		id += 7;
	json_int_t created = json_integer_value(json_object_get(it, "Created"));
	_cleanup_free_ char *d = fmt_duration((int64_t)time(NULL) - (int64_t)created);
	char ca[64];
	time_t t = (time_t)created;
	struct tm tm;
	localtime_r(&t, &tm);
	/* Go's RFC 3339: Z in UTC, else +hh:mm */
	strftime(ca, sizeof(ca), tm.tm_gmtoff ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (tm.tm_gmtoff) {
		size_t n = strlen(ca);
		memmove(ca + n - 1, ca + n - 2, 3);
		ca[n - 2] = ':';
	}
	_cleanup_free_ char *cs = history_human ? str_printf("%s ago", d) : str_dup(ca);
	const char *by = json_string_value(json_object_get(it, "CreatedBy")) ?: "";
	_cleanup_free_ char *cb = trunc ? fmt_ellipsis(by, 45) : str_dup(by);
	json_int_t size = json_integer_value(json_object_get(it, "Size"));
	_cleanup_free_ char *sz =
	    history_human ? fmt_size((double)size) : str_printf("%lld", (long long)size);
	return json_pack("{s:s%,s:s,s:s,s:s,s:s,s:s}", "ID", id,
			 trunc && strcmp(id, "<missing>") ? (size_t)12 : strlen(id), "CreatedSince",
			 cs, "CreatedAt", ca, "CreatedBy", cb, "Size", sz, "Comment",
			 json_string_value(json_object_get(it, "Comment")) ?: "");
}

int cmd_history(struct cli *c, int argc, char **argv)
{
	bool notrunc = false, quiet = false, human = true;
	const char *format = NULL;
	const struct cli_opt opts[] = {
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {'H', "human", OPT_BOOL, &human, "Print sizes and dates in human readable format"},
	    {0, "no-trunc", OPT_BOOL, &notrunc, "Don't truncate output"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Only show image IDs"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "history", "[OPTIONS] IMAGE", "Show the history of an image", 1, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	history_human = human;
	struct err e = ERR_INIT;
	_cleanup_free_ char *en = cli_http_escape(pos[0]);
	_cleanup_free_ char *path = str_printf("/images/%s/history", en);
	_cleanup_json_ json_t *list = NULL;
	if (cli_get(c, path, &list, &e) < 0)
		return cli_report(&e, 1);
	struct fmt_out o;
	_cleanup_json_ json_t *h = json_loads(HIST_HEADERS, 0, NULL);
	if (!human) /* the dates are dates then, and docker names the column so */
		json_object_set_new(h, "CreatedSince", json_string("CREATED AT"));
	if (fmt_out_init(
		&o, quiet ? "{{.ID}}" : format,
		"table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", h,
		&e) < 0) {
		fmt_out_finish(&o, stdout);
		return fprintf(stderr, "template parsing error: %s\n", e.msg), 1;
	}
	size_t i;
	json_t *it;
	json_array_foreach (list, i, it) {
		_cleanup_json_ json_t *r = history_row(it, !notrunc);
		if (fmt_out_row(&o, r, &e) < 0)
			break;
	}
	fmt_out_finish(&o, stdout);
	return e.kind ? cli_report(&e, 1) : 0;
}

bool cli_confirm(const char *warning)
{
	fprintf(stdout, "%s\nAre you sure you want to continue? [y/N] ", warning);
	fflush(stdout);
	char buf[16] = "";
	if (!fgets(buf, sizeof(buf), stdin))
		return false;
	return buf[0] == 'y' || buf[0] == 'Y';
}

int cmd_image_prune(struct cli *c, int argc, char **argv)
{
	bool all = false, force = false;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all", OPT_BOOL, &all, "Remove all unused images, not just dangling ones"},
	    {0, "filter", OPT_LIST, &filters,
	     "filter\tProvide filter values (e.g. \"until=<timestamp>\")"},
	    {'f', "force", OPT_BOOL, &force, "Do not prompt for confirmation"},
	    {0}};
	const struct cli_cmd_spec spec = {"image prune", "[OPTIONS]", "Remove unused images", 0, 0,
					  false,	 opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (!force && !cli_confirm(all ? "WARNING! This will remove all images without at least "
					 "one container associated to them."
				       : "WARNING! This will remove all dangling images."))
		return 0;
	_cleanup_json_ json_t *f = json_pack("{s:{s:b}}", "dangling", all ? "false" : "true", 1);
	for (char **x = filters; x && *x; x++) {
		_cleanup_free_ char *k = str_dup(*x);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = 0;
		json_object_set_new(f, k, json_pack("{s:b}", eq ? eq + 1 : "", 1));
	}
	_cleanup_free_ char *fs = jx_dumps(f);
	_cleanup_free_ char *ef = cli_http_escape(fs);
	_cleanup_free_ char *path = str_printf("/images/prune?filters=%s", ef);
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *r = NULL;
	if (cli_post(c, path, NULL, &r, &e) < 0)
		return cli_report(&e, 1);
	json_t *del = json_object_get(r, "ImagesDeleted");
	if (json_array_size(del))
		printf("Deleted Images:\n");
	size_t i;
	json_t *it;
	json_array_foreach (del, i, it) {
		const char *u = json_string_value(json_object_get(it, "Untagged"));
		const char *d = json_string_value(json_object_get(it, "Deleted"));
		if (u)
			printf("untagged: %s\n", u);
		if (d)
			printf("deleted: %s\n", d);
	}
	if (json_array_size(del))
		printf("\n");
	return cli_print_reclaimed(r);
}
