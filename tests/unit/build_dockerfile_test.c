/* Unit tests for src/build: the Dockerfile parser (directives, continuations, comments,
 * flags, JSON forms, errors) and the builder's word expansion (escape token, ${VAR:-x},
 * ${VAR:+x}, ${VAR#p} and the other trims, quotes) and key=value lists. */
#include <string.h>

#include "build/dockerfile.h"
#include "build/words.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/ignore.h"
#include "util/str.h"

static void parse_ok(void)
{
	struct err e = ERR_INIT;
	const char *text = "# syntax=docker/dockerfile:1\n"
			   "# escape=\\\n"
			   "\n"
			   "ARG BASE=busybox\n"
			   "FROM $BASE AS first\n"
			   "# a comment\n"
			   "RUN echo a \\\n"
			   "  # a comment inside\n"
			   "\n"
			   "  && echo b\n"
			   "COPY --from=first --chown=1:2 a /b/\n"
			   "CMD [\"echo\", \"hi\"]\n"
			   "cmd echo not json [\r\n";
	struct dockerfile *df = dockerfile_parse(text, &e);
	ok(df != NULL, "parses: %s", e.msg);
	if (!df)
		return;
	is_int((int)df->n, 6, "six instructions");
	is_str(df->v[0].cmd, "arg", "ARG first");
	is_str(df->v[1].rest, "$BASE AS first", "FROM args");
	is_int(df->v[1].line, 5, "FROM on line 5");
	is_str(df->v[2].orig, "RUN echo a   && echo b", "continuation joined, comment dropped");
	is_int(df->v[2].line, 7, "RUN starts on line 7");
	is_str(df_flag(&df->v[3], "from"), "first", "--from");
	is_str(df_flag(&df->v[3], "chown"), "1:2", "--chown");
	ok(df_flag(&df->v[3], "chmod") == NULL, "no --chmod");
	is_str(df->v[3].rest, "a /b/", "COPY args after flags");
	ok(df->v[4].json && !strcmp(df->v[4].json[1], "hi") && !df->v[4].json[2], "CMD exec form");
	ok(df->v[5].json == NULL, "malformed JSON is the shell form");
	is_str(df->v[5].cmd, "cmd", "lower-cased name");
	ok(df->escape == '\\', "escape stays backslash");
	dockerfile_free(df);
}

static void parse_escape(void)
{
	struct err e = ERR_INIT;
	struct dockerfile *df =
	    dockerfile_parse("# escape=`\nFROM scratch\nRUN dir c:\\ `\n  /b\n", &e);
	ok(df && df->escape == '`' && df->n == 2, "backtick escape: %s", e.msg);
	if (df)
		is_str(df->v[1].orig, "RUN dir c:\\   /b", "backtick continues, backslash literal");
	dockerfile_free(df);
}

static void parse_fails(const char *text, const char *msg)
{
	struct err e = ERR_INIT;
	struct dockerfile *df = dockerfile_parse(text, &e);
	ok(!df && e.kind == ERR_INVALID, "refused: %.*s", (int)strcspn(text, "\n"), text);
	is_str(e.msg, msg, "message");
	dockerfile_free(df);
}

static void expand(const char *word, char esc, const char *want)
{
	char *env[] = {"A=1",	"EMPTY=", "B=two words",     "A=3",
		       "S=a*b", "Q=/a/",  "P=/a/b/c.tar.gz", NULL};
	struct err e = ERR_INIT;
	_cleanup_free_ char *got = build_expand(word, esc, env, &e);
	is_str(got ? got : e.msg, want, "expand %s", word);
}

static void pairs(void)
{
	char *env[] = {"X=ex", NULL};
	struct err e = ERR_INIT;
	_cleanup_strv_ char **k = NULL, **v = NULL;
	ok(build_parse_pairs("ENV", "a=$X b=\"c d\" e=f\\ g", '\\', env, &k, &v, false, &e) == 0,
	   "ENV pairs: %s", e.msg);
	ok(strv_len(k) == 3 && !strcmp(v[0], "ex") && !strcmp(v[1], "c d") && !strcmp(v[2], "f g"),
	   "values expanded and unquoted");
	strv_free(k);
	strv_free(v);
	ok(build_parse_pairs("ENV", "KEY the rest $X", '\\', env, &k, &v, false, &e) == 0 &&
	       !strcmp(k[0], "KEY") && !strcmp(v[0], "the rest ex"),
	   "legacy ENV form");
	strv_free(k);
	strv_free(v);
	ok(build_parse_pairs("ARG", "A B=$X", '\\', env, &k, &v, true, &e) == 0 &&
	       !strcmp(k[0], "A") && !strcmp(k[1], "B=ex"),
	   "ARG declarations");
	strv_free(k);
	strv_free(v);
	k = v = NULL;
	ok(build_parse_pairs("LABEL", "a=b c", '\\', env, &k, &v, false, &e) < 0 &&
	       strstr(e.msg, "can't find = in \"c\""),
	   "LABEL without = refused: %s", e.msg);
}

static void ignore(void)
{
	_cleanup_strv_ char **p = ignore_patterns("# comment\n\n ignored \n*.log\n"
						  "!keep.log\n! ignored/sub/kept \n**/*.tmp\n"
						  "./dir/../Dockerfile\n");
	ok(strv_len(p) == 6, "six patterns");
	ok(ignore_match(p, "ignored"), "a listed name");
	ok(ignore_match(p, "ignored/sub/file"), "under an excluded directory");
	ok(!ignore_match(p, "ignored/sub/kept"), "an exception below it (spaces trimmed)");
	ok(ignore_match(p, "x.log") && !ignore_match(p, "keep.log"), "glob and its exception");
	ok(!ignore_match(p, "a/x.log"), "* does not cross directories");
	ok(ignore_match(p, "a/b/c.tmp") && ignore_match(p, "c.tmp"), "** crosses them");
	ok(ignore_match(p, "Dockerfile"), "patterns are cleaned paths");
	ok(!ignore_match(p, "#comment") && !ignore_match(p, "other"), "the rest stays");
	ok(ignore_has_exceptions(p), "exceptions seen");
}

int main(void)
{
	parse_ok();
	parse_escape();
	parse_fails("FOO bar\n", "dockerfile parse error on line 1: unknown instruction: FOO");
	parse_fails("# only a comment\n\n", "file with no instructions");
	parse_fails("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\");
	expand("$A", '\\', "3");
	expand("${A}x", '\\', "3x");
	expand("${NOPE:-dflt}", '\\', "dflt");
	expand("${EMPTY:-dflt}", '\\', "dflt");
	expand("${A:-dflt}", '\\', "3");
	expand("${A:+set}", '\\', "set");
	expand("${NOPE:+set}", '\\', "");
	expand("${NOPE-dflt}", '\\', "dflt");
	expand("${EMPTY-dflt}", '\\', "");
	expand("${EMPTY+set}", '\\', "set");
	expand("${NOPE+set}", '\\', "");
	expand("${A:?unused}", '\\', "3");
	expand("${NOPE:?must be set}", '\\', "NOPE: must be set");
	expand("${EMPTY?}", '\\', "");
	expand("${EMPTY:?}", '\\', "EMPTY: is not allowed to be empty");
	expand("${NOPE:?}", '\\', "NOPE: is not allowed to be unset");
	expand("${NOPE:-$A}", '\\', "3");
	expand("${NOPE:-${A}x}", '\\', "3x");
	expand("${P#*/}", '\\', "a/b/c.tar.gz");
	expand("${P##*/}", '\\', "c.tar.gz");
	expand("${P%.*}", '\\', "/a/b/c.tar");
	expand("${P%%.*}", '\\', "/a/b/c");
	expand("${P#/a}", '\\', "/b/c.tar.gz");
	expand("${P#x}", '\\', "/a/b/c.tar.gz");
	expand("${P%?z}", '\\', "/a/b/c.tar.");
	expand("${S#a\\*}", '\\', "b");
	expand("${S%\\*b}", '\\', "a");
	expand("${S#*}", '\\', "a*b");
	expand("${S##*}", '\\', "");
	expand("${S#[a]}", '\\', "a*b");
	expand("${NOPE#x}", '\\', "");
	expand("${P#${Q}}", '\\', "b/c.tar.gz");
	expand("${P:#x}", '\\', "unsupported modifier (:#) in substitution");
	expand("${P/a/b}", '\\', "unsupported modifier (/) in substitution");
	expand("${S#\\q}", '\\', "invalid pattern (\\q) in substitution: invalid escape '\\q'");
	expand("'$A'", '\\', "$A");
	expand("\"$B\"", '\\', "two words");
	expand("\\$A", '\\', "$A");
	expand("`$A", '`', "$A");
	expand("c:\\dir", '`', "c:\\dir");
	pairs();
	ignore();
	return tap_done();
}
