/* dockerfile_fuzz: libFuzzer target for the builder's untrusted text: the Dockerfile parser,
 * then each instruction's words expanded and its key=value pairs parsed (ENV, LABEL, ARG) as
 * the build would, and the text as a .dockerignore matched against a few paths. Bad input must
 * be an ERR_INVALID, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/dockerfile.h"
#include "build/words.h"
#include "util/cleanup.h"
#include "util/ignore.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, const struct err *e)
{
	if (r < 0 && e->kind != ERR_INVALID)
		abort(); /* bad input is a 400 */
}

static void words(const struct dockerfile *df, const struct df_instr *in)
{
	char *env[] = {"A=1", "B=two words", "EMPTY=", NULL};
	struct err e = ERR_INIT;
	char **w = build_expand_words(in->rest, df->escape, env, &e);
	check(w ? 0 : -1, &e);
	strv_free(w);
	char **k = NULL, **v = NULL;
	err_clear(&e);
	int r = build_parse_pairs(in->cmd, in->rest, df->escape, env, &k, &v,
				  !strcmp(in->cmd, "arg"), &e);
	check(r, &e);
	strv_free(k);
	strv_free(v);
	(void)df_flag(in, "from");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	struct err e = ERR_INIT;
	struct dockerfile *df = dockerfile_parse(s, &e);
	check(df ? 0 : -1, &e);
	for (size_t i = 0; df && i < df->n; i++)
		words(df, &df->v[i]);
	dockerfile_free(df);
	_cleanup_strv_ char **pats = ignore_patterns(s);
	const char *paths[] = {"Dockerfile", ".dockerignore", "a/b/c.txt", "dir/sub"};
	for (size_t i = 0; i < 4; i++)
		(void)ignore_match(pats, paths[i]);
	return 0;
}
