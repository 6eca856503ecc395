/* Unit tests for src/image/changes: `docker import/commit -c` instructions on a config. */
#include <string.h>

#include "image/changes.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static json_t *apply(const char *const *changes, struct err *e)
{
	json_t *cfg = image_config_new_container_config();
	if (image_changes_apply(cfg, (char *const *)changes, e) < 0) {
		json_decref(cfg);
		return NULL;
	}
	return cfg;
}

static char *dump(const json_t *j)
{
	return j ? jx_dumps(j) : str_dup("(null)");
}

static void check(const char *const *changes, const char *key, const char *want)
{
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *cfg = apply(changes, &e);
	if (!cfg) {
		ok(0, "%s: %s", changes[0], e.msg);
		return;
	}
	_cleanup_free_ char *got = dump(json_object_get(cfg, key));
	is_str(got, want, "%s -> %s", changes[0], key);
}

static void fails(const char *change, const char *msg)
{
	struct err e = ERR_INIT;
	const char *changes[] = {change, NULL};
	json_t *cfg = apply(changes, &e);
	ok(!cfg && e.kind == ERR_INVALID, "'%s' refused", change);
	is_str(e.msg, msg, "'%s' message", change);
	json_decref(cfg);
}

int main(void)
{
	check((const char *[]){"CMD [\"sh\"]", NULL}, "Cmd", "[\"sh\"]");
	check((const char *[]){"cmd echo hi", NULL}, "Cmd", "[\"/bin/sh\",\"-c\",\"echo hi\"]");
	check((const char *[]){"ENTRYPOINT [\"/e\"]", NULL}, "Entrypoint", "[\"/e\"]");
	check((const char *[]){"CMD [\"a\"]", "ENTRYPOINT [\"/e\"]", NULL}, "Cmd", "[\"a\"]");
	check((const char *[]){"ENV PATH=/bin:/usr/bin", NULL}, "Env", "[\"PATH=/bin:/usr/bin\"]");
	check((const char *[]){"ENV A=1 B=\"two words\"", "ENV A=3", NULL}, "Env",
	      "[\"A=3\",\"B=two words\"]");
	check((const char *[]){"ENV A legacy form  value", NULL}, "Env",
	      "[\"A=legacy form  value\"]");
	check((const char *[]){"ENV A=x", "ENV B=${A}y C=$A-z D=${NOPE:-dflt}", NULL}, "Env",
	      "[\"A=x\",\"B=xy\",\"C=x-z\",\"D=dflt\"]");
	check((const char *[]){"ENV F=/x/y.tar.gz", "ENV G=${F##*/} H=${F%.gz}", NULL}, "Env",
	      "[\"F=/x/y.tar.gz\",\"G=y.tar.gz\",\"H=/x/y.tar\"]");
	check((const char *[]){"ENV A='$lit' B=a\\ b", NULL}, "Env", "[\"A=$lit\",\"B=a b\"]");
	check((const char *[]){"LABEL a=b \"c d\"=e", NULL}, "Labels",
	      "{\"a\":\"b\",\"c d\":\"e\"}");
	check((const char *[]){"EXPOSE 80 53/udp 8000-8001", NULL}, "ExposedPorts",
	      "{\"80/tcp\":{},\"53/udp\":{},\"8000/tcp\":{},\"8001/tcp\":{}}");
	check((const char *[]){"USER nobody", NULL}, "User", "\"nobody\"");
	check((const char *[]){"WORKDIR /a", "WORKDIR b/../c", NULL}, "WorkingDir", "\"/a/c\"");
	check((const char *[]){"VOLUME /data /logs", NULL}, "Volumes",
	      "{\"/data\":{},\"/logs\":{}}");
	check((const char *[]){"VOLUME [\"/x\"]", NULL}, "Volumes", "{\"/x\":{}}");
	check((const char *[]){"ONBUILD RUN true", NULL}, "OnBuild", "[\"RUN true\"]");
	check((const char *[]){"HEALTHCHECK --interval=5s --retries=3 CMD true", NULL},
	      "Healthcheck",
	      "{\"Interval\":5000000000,\"Retries\":3,\"Test\":[\"CMD-SHELL\",\"true\"]}");
	check((const char *[]){"HEALTHCHECK NONE", NULL}, "Healthcheck", "{\"Test\":[\"NONE\"]}");
	check((const char *[]){"CMD [\"a\", \\", "\"b\"]", NULL}, "Cmd", "[\"a\",\"b\"]");
	check((const char *[]){"# comment", "", "USER u", NULL}, "User", "\"u\"");
	fails("RUN true", "run is not a valid change command");
	fails("FROM busybox", "from is not a valid change command");
	fails("EXPOSE 99999", "invalid containerPort: 99999");
	fails("EXPOSE 80/xtp", "invalid proto: xtp");
	fails("ENV", "ENV requires at least one argument");
	fails("ENV A=\"open", "unexpected end of statement while looking for matching \"");
	fails("VOLUME [\"\"]", "VOLUME specified can not be an empty string");
	fails("HEALTHCHECK --interval=5 CMD true", "--interval=5: missing unit in duration '5'");
	return tap_done();
}
