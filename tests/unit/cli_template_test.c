/* Unit tests for the berth CLI's Go-template subset (src/cli/template*.c). */
#include <stdlib.h>
#include <string.h>

#include "cli/template.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char *DOC =
    "{\"Id\":\"abc\",\"Name\":\"/web\",\"State\":{\"Running\":true,\"Pid\":42,\"ExitCode\":0,"
    "\"Status\":\"running\"},\"Config\":{\"Labels\":{\"k\":\"v\",\"a.b\":\"x\"},\"Env\":[\"A=1\","
    "\"B=2\"],\"Cmd\":null},\"Mounts\":[{\"Source\":\"/s1\",\"Destination\":\"/d1\"},"
    "{\"Source\":\"/s2\",\"Destination\":\"/d2\"}],\"Size\":1.5,\"Empty\":\"\"}";

static char *run(const char *src, json_t *doc, struct err *e)
{
	struct tmpl *t = tmpl_parse(src, e);
	if (!t)
		return NULL;
	char *out = tmpl_exec(t, doc, e);
	tmpl_free(t);
	return out;
}

static void check(json_t *doc, const char *src, const char *want)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *out = run(src, doc, &e);
	if (!out)
		printf("# error: %s\n", e.msg);
	is_str(out, want, "%s", src);
}

static void check_err(json_t *doc, const char *src, const char *want_sub)
{
	struct err e = ERR_INIT;
	_cleanup_free_ char *out = run(src, doc, &e);
	ok(!out && strstr(e.msg, want_sub), "%s fails with '%s' (got '%s')", src, want_sub, e.msg);
}

int main(void)
{
	_cleanup_json_ json_t *d = json_loads(DOC, 0, NULL);
	check(d, "{{.Id}}", "abc");
	check(d, "id={{.Id}} name={{.Name}}\n", "id=abc name=/web\n");
	check(d, "{{.State.Pid}}", "42");
	check(d, "{{.State.Running}}", "true");
	check(d, "{{.Size}}", "1.5");
	check(d, "{{.Nope}}", "<no value>");
	check(d, "{{.Config.Cmd}}", "<nil>");
	check(d, "{{json .Config.Labels}}", "{\"a.b\":\"x\",\"k\":\"v\"}");
	check(d, "{{json .Config.Env}}", "[\"A=1\",\"B=2\"]");
	check(d, "{{.Config.Env}}", "[A=1 B=2]");
	check(d, "{{.Config.Labels}}", "map[a.b:x k:v]");
	check(d, "{{index .Config.Labels \"k\"}}", "v");
	check(d, "{{index .Config.Labels \"a.b\"}}", "x");
	check(d, "{{index .Config.Env 1}}", "B=2");
	check(d, "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", "/s1:/d1 /s2:/d2 ");
	check(d, "{{range $m := .Mounts}}{{$m.Source}},{{end}}", "/s1,/s2,");
	check(d, "{{range .Config.Labels}}[{{.}}]{{end}}", "[x][v]");
	check(d, "{{range .Config.Cmd}}x{{else}}none{{end}}", "none");
	check(d, "{{if .State.Running}}up{{end}}", "up");
	check(d, "{{if .Empty}}yes{{else}}no{{end}}", "no");
	check(d, "{{if eq .State.Status \"exited\"}}E{{else if .State.Running}}R{{else}}?{{end}}",
	      "R");
	check(d, "{{if not .State.Running}}down{{else}}up{{end}}", "up");
	check(d, "{{with .State}}{{.Pid}}{{end}}", "42");
	check(d, "{{.Name | upper}}", "/WEB");
	check(d, "{{join .Config.Env \",\"}}", "A=1,B=2");
	check(d, "{{printf \"%s-%v\" .Id .State.Pid}}", "abc-42");
	check(d, "{{len .Mounts}}", "2");
	check(d, "a\n  {{- .Id -}}  \nb", "aabcb");
	check(d, "{{json .}}",
	      "{\"Config\":{\"Cmd\":null,\"Env\":[\"A=1\",\"B=2\"],\"Labels\":{"
	      "\"a.b\":\"x\",\"k\":\"v\"}},\"Empty\":\"\",\"Id\":\"abc\",\"Mounts\":"
	      "[{\"Destination\":\"/d1\",\"Source\":\"/s1\"},{\"Destination\":\"/d2\","
	      "\"Source\":\"/s2\"}],\"Name\":\"/web\",\"Size\":1.5,\"State\":{"
	      "\"ExitCode\":0,\"Pid\":42,\"Running\":true,\"Status\":\"running\"}}");
	check(d, "{{$.Id}}{{range .Mounts}}{{$.Id}}{{end}}", "abcabcabc");
	check(d, "{{(index .Mounts 1).Source}}", "/s2");
	check(d, "{{if eq .State.Status \"created\" \"running\"}}y{{end}}", "y");
	check(d, "{{and .State.Running .Id}} {{or .Empty \"dflt\"}}", "abc dflt");
	check(d, "{{if lt .State.Pid 100}}small{{end}} {{if ge .State.Pid 42}}ge{{end}}",
	      "small ge");
	check(d, "{{println .Id}}{{print 1 2}}{{truncate .Id 2}}", "abc\n1 2ab");
	check(d, "{{split \"a,b\" \",\" | len}} {{title \"web app\"}} {{lower \"AB\"}}",
	      "2 Web App ab");
	check_err(d, "{{index}}", "wrong number of args");
	check_err(d, "{{.Id", "unclosed action");
	check_err(d, "{{if .Id}}x", "unexpected EOF");
	check_err(d, "{{end}}", "unexpected");
	check_err(d, "{{bogus .Id}}", "not defined");
	check_err(d, "{{.Id.X}}", "can't evaluate field X");
	return tap_done();
}
