/* cli/list: `berth ps` and `berth images`: list replies turned into docker's row fields
 * (.ID .Image .Command .RunningFor .Status .Names ...; .Repository .Tag .CreatedSince ...)
 * and printed through --format (default: docker's tables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

json_t *cli_filters_json(char **f)
{
	json_t *o = json_object();
	for (; f && *f; f++) {
		_cleanup_free_ char *k = str_dup(*f);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = 0;
		json_t *m = json_object_get(o, k);
		if (!m)
			json_object_set_new(o, k, m = json_object());
		json_object_set_new(m, eq ? eq + 1 : "", json_true());
	}
	return o;
}

char *cli_filters_query(char **f)
{
	if (!f || !*f)
		return NULL;
	_cleanup_json_ json_t *o = cli_filters_json(f);
	_cleanup_free_ char *s = jx_dumps(o);
	return cli_http_escape(s);
}

char *cli_filters_path(const char *base, char **filters)
{
	_cleanup_free_ char *fq = cli_filters_query(filters);
	return str_printf("%s%s%s", base, fq ? "?filters=" : "", fq ? fq : "");
}

static char *created_at(json_int_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	return str_dup(buf);
}

static char *since(json_int_t t)
{
	_cleanup_free_ char *d = fmt_duration((int64_t)time(NULL) - (int64_t)t);
	return str_printf("%s ago", d);
}

static char *ports_str(json_t *ports)
{
	_cleanup_strv_ char **v = NULL;
	size_t i;
	json_t *p;
	json_array_foreach (ports, i, p) {
		const char *ip = json_string_value(json_object_get(p, "IP"));
		const char *type = json_string_value(json_object_get(p, "Type")) ?: "tcp";
		json_int_t priv = json_integer_value(json_object_get(p, "PrivatePort"));
		json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
		if (pub && ip && strchr(ip, ':'))
			strv_push_take(&v, str_printf("[%s]:%lld->%lld/%s", ip, (long long)pub,
						      (long long)priv, type));
		else if (pub)
			strv_push_take(&v, str_printf("%s:%lld->%lld/%s", ip ? ip : "",
						      (long long)pub, (long long)priv, type));
		else
			strv_push_take(&v, str_printf("%lld/%s", (long long)priv, type));
	}
	return v ? strv_join(v, ", ") : str_dup("");
}

static json_t *container_row(json_t *c, bool trunc)
{
	const char *id = json_string_value(json_object_get(c, "Id")) ?: "";
	const char *cmd = json_string_value(json_object_get(c, "Command")) ?: "";
	json_int_t created = json_integer_value(json_object_get(c, "Created"));
	_cleanup_strv_ char **names = NULL;
	size_t i;
	json_t *n;
	json_array_foreach (json_object_get(c, "Names"), i, n) {
		const char *s = json_string_value(n) ?: "";
		strv_push(&names, s[0] ? s + 1 : s);
	}
	_cleanup_free_ char *nm = names ? strv_join(names, ",") : str_dup("");
	_cleanup_free_ char *cut = trunc ? fmt_ellipsis(cmd, 20) : str_dup(cmd);
	_cleanup_free_ char *q = fmt_quote(cut), *ca = created_at(created), *rf = since(created);
	_cleanup_free_ char *ports = ports_str(json_object_get(c, "Ports"));
	_cleanup_free_ char *labels = cli_labels_join(json_object_get(c, "Labels"));
	_cleanup_free_ char *rw =
	    fmt_size((double)json_integer_value(json_object_get(c, "SizeRw")));
	_cleanup_free_ char *rootfs =
	    fmt_size((double)json_integer_value(json_object_get(c, "SizeRootFs")));
	_cleanup_free_ char *size = str_printf("%s (virtual %s)", rw, rootfs);
	_cleanup_strv_ char **nets = NULL;
	const char *k;
	json_t *x;
	json_object_foreach (json_object_get(json_object_get(c, "NetworkSettings"), "Networks"), k,
			     x)
		strv_push(&nets, k);
	_cleanup_free_ char *net = nets ? strv_join(nets, ",") : str_dup("");
	/* .Mounts: volume names or bind sources, each cut to 15 as docker */
	_cleanup_strv_ char **mnts = NULL;
	json_array_foreach (json_object_get(c, "Mounts"), i, x) {
		const char *m = json_string_value(json_object_get(x, "Name"));
		if (!m || !*m)
			m = json_string_value(json_object_get(x, "Source")) ?: "";
		strv_push_take(&mnts, trunc ? fmt_ellipsis(m, 15) : str_dup(m));
	}
	_cleanup_free_ char *mounts = mnts ? strv_join(mnts, ",") : str_dup("");
	return json_pack("{s:s%,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id,
			 trunc && strlen(id) > 12 ? (size_t)12 : strlen(id), "Image",
			 json_string_value(json_object_get(c, "Image")) ?: "", "Command", q,
			 "CreatedAt", ca, "RunningFor", rf, "Ports", ports, "State",
			 json_string_value(json_object_get(c, "State")) ?: "", "Status",
			 json_string_value(json_object_get(c, "Status")) ?: "", "Size", size,
			 "Names", nm, "Labels", labels, "Networks", net, "Mounts", mounts);
}

static const char *PS_HEADERS =
    "{\"ID\":\"CONTAINER ID\",\"Image\":\"IMAGE\",\"Command\":\"COMMAND\",\"CreatedAt\":"
    "\"CREATED AT\",\"RunningFor\":\"CREATED\",\"Ports\":\"PORTS\",\"State\":\"STATE\","
    "\"Status\":\"STATUS\",\"Size\":\"SIZE\",\"Names\":\"NAMES\",\"Labels\":\"LABELS\","
    "\"Networks\":\"NETWORKS\",\"Mounts\":\"MOUNTS\"}";

/* Go's sortorder.NaturalLess: digit runs compare as numbers ("v2" < "v10"). */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
			int c = na != nb ? (na < nb ? -1 : 1) : strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
		} else if (*a != *b) {
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		} else {
			a++;
			b++;
		}
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int by_name(const void *x, const void *y)
{
	const char *a = json_string_value(json_object_get(*(json_t *const *)x, "Name")) ?: "";
	const char *b = json_string_value(json_object_get(*(json_t *const *)y, "Name")) ?: "";
	return natural_cmp(a, b);
}

json_t *cli_sort_by_name(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(*v), by_name);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

int cli_list_by_name(struct cli *c, const char *base, char **filters, const char *key,
		     cli_row_fn row, bool trunc, const char *format, const char *def,
		     const char *headers)
{
	_cleanup_free_ char *path = cli_filters_path(base, filters);
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *out = NULL;
	if (cli_get(c, path, &out, &e) < 0)
		return cli_report(&e, 1);
	_cleanup_json_ json_t *sorted = cli_sort_by_name(key ? json_object_get(out, key) : out);
	return cli_print_rows(sorted, row, trunc, format, def, headers);
}

int cli_print_rows(json_t *list, cli_row_fn row, bool trunc, const char *format, const char *def,
		   const char *headers)
{
	struct err e = ERR_INIT;
	struct fmt_out o;
	_cleanup_json_ json_t *h = json_loads(headers, 0, NULL);
	if (fmt_out_init(&o, format, def, h, &e) < 0) {
		fmt_out_finish(&o, stdout);
		fprintf(stderr, "template parsing error: %s\n", e.msg);
		return 1;
	}
	size_t i;
	json_t *it;
	json_array_foreach (list, i, it) {
		_cleanup_json_ json_t *r = row(it, trunc);
		if (fmt_out_row(&o, r, &e) < 0) {
			fmt_out_finish(&o, stdout);
			fprintf(stderr, "template: %s\n", e.msg);
			return 1;
		}
	}
	fmt_out_finish(&o, stdout);
	return 0;
}

int cmd_ps(struct cli *c, int argc, char **argv)
{
	bool all = false, quiet = false, latest = false, size = false, notrunc = false;
	const char *last = NULL, *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all", OPT_BOOL, &all, "Show all containers (default shows just running)"},
	    {'f', "filter", OPT_LIST, &filters,
	     "filter\tFilter output based on conditions provided"},
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {'n', "last", OPT_STR, &last,
	     "int\tShow n last created containers (includes all states)"},
	    {'l', "latest", OPT_BOOL, &latest,
	     "Show the latest created container (includes all states)"},
	    {0, "no-trunc", OPT_BOOL, &notrunc, "Don't truncate output"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Only display container IDs"},
	    {'s', "size", OPT_BOOL, &size, "Display total file sizes"},
	    {0}};
	const struct cli_cmd_spec spec = {"ps", "[OPTIONS]", "List containers", 0, 0, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	_cleanup_free_ char *fq = cli_filters_query(filters);
	_cleanup_free_ char *path = str_printf(
	    "/containers/json?%s%s%s%s%s%s%s", all ? "all=1&" : "", size ? "size=1&" : "",
	    latest ? "limit=1&" : "", last && !latest ? "limit=" : "", last && !latest ? last : "",
	    fq ? "&filters=" : "", fq ? fq : "");
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *list = NULL;
	if (cli_get(c, path, &list, &e) < 0)
		return cli_report(&e, 1);
	const char *def = size ? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
				 "{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}"
			       : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
				 "{{.Status}}\t{{.Ports}}\t{{.Names}}";
	if (quiet)
		format = "{{.ID}}";
	return cli_print_rows(list, container_row, !notrunc, format, def, PS_HEADERS);
}

static char *short_image_id(const char *id, bool trunc)
{
	if (!trunc)
		return str_dup(id);
	if (str_has_prefix(id, "sha256:"))
		id += 7;
	return str_ndup(id, 12);
}

/* The digest of repo among the image's RepoDigests ("repo@sha256:..."), or "<none>". */
static const char *repo_digest(json_t *img, const char *repo)
{
	size_t i, n = strlen(repo);
	json_t *d;
	json_array_foreach (json_object_get(img, "RepoDigests"), i, d) {
		const char *s = json_string_value(d) ?: "";
		if (!strncmp(s, repo, n) && s[n] == '@')
			return s + n + 1;
	}
	return "<none>";
}

/* One row per tag; the list item as-is in "Image" for the expander. */
static json_t *image_row_one(json_t *img, const char *ref, bool trunc)
{
	_cleanup_free_ char *repo = NULL;
	const char *tag = "<none>";
	if (ref && strcmp(ref, "<none>:<none>")) {
		repo = str_dup(ref);
		char *colon = strrchr(repo, ':');
		if (colon && !strchr(colon, '/')) {
			*colon = 0;
			tag = ref + (colon - repo) + 1;
		}
	} else {
		repo = str_dup("<none>");
	}
	json_int_t created = json_integer_value(json_object_get(img, "Created"));
	_cleanup_free_ char *id =
	    short_image_id(json_string_value(json_object_get(img, "Id")) ?: "", trunc);
	_cleanup_free_ char *cs = since(created), *ca = created_at(created);
	_cleanup_free_ char *sz =
	    fmt_size((double)json_integer_value(json_object_get(img, "Size")));
	json_int_t ctr = json_integer_value(json_object_get(img, "Containers"));
	_cleanup_free_ char *cn = ctr < 0 ? str_dup("N/A") : str_printf("%lld", (long long)ctr);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", repo, "Tag", tag, "ID",
			 id, "CreatedSince", cs, "CreatedAt", ca, "Size", sz, "Digest",
			 repo_digest(img, repo), "Containers", cn);
}

static const char *IMG_HEADERS =
    "{\"Repository\":\"REPOSITORY\",\"Tag\":\"TAG\",\"ID\":\"IMAGE ID\",\"CreatedSince\":"
    "\"CREATED\",\"CreatedAt\":\"CREATED AT\",\"Size\":\"SIZE\",\"Digest\":\"DIGEST\","
    "\"Containers\":\"CONTAINERS\"}";

json_t *cli_identity_row(json_t *r, bool trunc)
{
	return json_incref(r);
}

int cmd_images(struct cli *c, int argc, char **argv)
{
	bool all = false, quiet = false, notrunc = false, digests = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	const struct cli_opt opts[] = {
	    {'a', "all", OPT_BOOL, &all, "Show all images (default hides intermediate images)"},
	    {0, "digests", OPT_BOOL, &digests, "Show digests"},
	    {'f', "filter", OPT_LIST, &filters,
	     "filter\tFilter output based on conditions provided"},
	    {0, "format", OPT_STR, &format, "string\tFormat output using a custom template"},
	    {0, "no-trunc", OPT_BOOL, &notrunc, "Don't truncate output"},
	    {'q', "quiet", OPT_BOOL, &quiet, "Only show image IDs"},
	    {0}};
	const struct cli_cmd_spec spec = {
	    "images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", 0, 1, false, opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	if (pos[0])
		strv_push_take(&filters, str_printf("reference=%s", pos[0]));
	_cleanup_free_ char *fq = cli_filters_query(filters);
	_cleanup_free_ char *path = str_printf("/images/json?%s%s%s", all ? "all=1" : "",
					       fq ? "&filters=" : "", fq ? fq : "");
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *list = NULL;
	if (cli_get(c, path, &list, &e) < 0)
		return cli_report(&e, 1);
	_cleanup_json_ json_t *rows = json_array();
	size_t i, j;
	json_t *img, *t;
	json_array_foreach (list, i, img) {
		json_t *tags = json_object_get(img, "RepoTags");
		if (quiet || !json_array_size(tags)) {
			json_array_append_new(rows, image_row_one(img, NULL, !notrunc));
			continue;
		}
		json_array_foreach (tags, j, t)
			json_array_append_new(rows,
					      image_row_one(img, json_string_value(t), !notrunc));
	}
	if (quiet)
		format = "{{.ID}}";
	return cli_print_rows(rows, cli_identity_row, !notrunc, format,
			      digests
				  ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
				    "{{.CreatedSince}}\t{{.Size}}"
				  : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
				    "{{.Size}}",
			      IMG_HEADERS);
}
