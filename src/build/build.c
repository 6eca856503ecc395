/* build/build: the legacy builder's main flow: options checked, the Dockerfile parsed and cut
 * into stages (meta ARGs first, --target), then stage by stage: FROM, each instruction as a
 * "Step i/n" committed as an image, intermediate containers removed, "Successfully built",
 * the tags. Everything that dockerd answers with an HTTP error is found before the first
 * message. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build_priv.h"
#include "build/words.h"
#include "image/ref.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/str.h"

void build_opts_release(struct build_opts *o)
{
	strv_free(o->tags);
	free(o->dockerfile);
	json_decref(o->buildargs);
	json_decref(o->labels);
	free(o->target);
	free(o->networkmode);
	free(o->platform);
	free(o->remote);
	strv_free(o->extrahosts);
	strv_free(o->cachefrom);
	free(o->cpusetcpus);
	free(o->cpusetmems);
	free(o->cgroupparent);
	json_decref(o->ulimits);
	strv_free(o->securityopt);
	free(o->registry_auth);
	memset(o, 0, sizeof(*o));
}

static int check_opts(const struct build_opts *o, struct err *e)
{
	for (char **t = o->tags; t && *t; t++) {
		struct image_ref ref = {0};
		int r = image_ref_parse(*t, &ref, e);
		bool digest = r == 0 && ref.digest;
		image_ref_release(&ref);
		if (r < 0)
			return -1;
		if (digest)
			return err_invalid(e, "invalid reference format");
	}
	if (o->platform && *o->platform) {
		_cleanup_free_ char *host = str_printf("linux/%s", image_host_arch());
		if (strcmp(o->platform, "linux") && strcmp(o->platform, host))
			return err_invalid(e, "\"%s\": unknown operating system or architecture",
					   o->platform);
	}
	return 0;
}

struct build *build_new(struct engine *eng, struct build_opts *o, struct err *e)
{
	if (check_opts(o, e) < 0)
		return NULL;
	struct build *b = xcalloc(1, sizeof(*b));
	b->eng = eng;
	b->o = *o;
	memset(o, 0, sizeof(*o));
	b->ctx_fd = b->ctx_rfd = -1;
	b->out = -1;
	pthread_mutex_init(&b->out_mu, NULL);
	if (build_context_start(b, e) < 0) {
		build_free(b);
		return NULL;
	}
	return b;
}

static bool valid_stage_name(const char *s)
{
	if (!islower((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("-_.", *s))
			return false;
	return true;
}

/* FROM's stage name (lower case) or NULL; ERR_INVALID for a bad FROM line. */
static int stage_name(const struct df_instr *in, char **name, struct err *e)
{
	_cleanup_strv_ char **w = strv_split(in->rest, " \t");
	size_t n = strv_len(w);
	*name = NULL;
	if (n != 1 && !(n == 3 && !strcasecmp(w[1], "as")))
		return err_invalid(e, "FROM requires either one or three arguments");
	if (n == 1)
		return 0;
	for (char *p = w[2]; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!valid_stage_name(w[2]))
		return err_invalid(e,
				   "invalid name for build stage: \"%s\", name can't start with a "
				   "number or contain symbols",
				   w[2]);
	*name = str_dup(w[2]);
	return 0;
}

static int check_instr(const struct df_instr *in, struct err *e)
{
	if (strcmp(in->cmd, "onbuild") != 0)
		return 0;
	size_t w = strcspn(in->rest, " \t");
	_cleanup_free_ char *t = str_ndup(in->rest, w);
	if (!strcasecmp(t, "onbuild"))
		return err_invalid(e, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	if (!strcasecmp(t, "from") || !strcasecmp(t, "maintainer"))
		return err_invalid(e, "%s isn't allowed as an ONBUILD trigger", t);
	return 0;
}

/* Meta ARGs, then stages; the target cuts the list. */
static int plan(struct build *b, struct err *e)
{
	struct dockerfile *df = b->df;
	b->stages = xcalloc(df->n, sizeof(*b->stages));
	for (size_t i = 0; i < df->n; i++) {
		const struct df_instr *in = &df->v[i];
		if (check_instr(in, e) < 0)
			return err_wrap(e, "dockerfile parse error on line %d", in->line);
		if (!strcmp(in->cmd, "from")) {
			struct stage *s = &b->stages[b->nstages++];
			s->first = i;
			if (stage_name(in, &s->name, e) < 0)
				return err_wrap(e, "dockerfile parse error on line %d", in->line);
			for (size_t k = 0; s->name && k + 1 < b->nstages; k++)
				if (str_eq(b->stages[k].name, s->name))
					return err_invalid(e, "duplicate name %s", s->name);
		} else if (b->nstages == 0 && strcmp(in->cmd, "arg") != 0) {
			return err_invalid(e, "no build stage in current context");
		} else if (b->nstages == 0) {
			b->nmeta++;
		}
		if (b->nstages)
			b->stages[b->nstages - 1].end = i + 1;
	}
	if (b->nstages == 0)
		return err_invalid(e, "no build stage in current context");
	if (b->o.target && *b->o.target) {
		size_t k = 0;
		while (k < b->nstages &&
		       !(b->stages[k].name && !strcasecmp(b->stages[k].name, b->o.target)))
			k++;
		if (k == b->nstages)
			return err_invalid(e, "target stage \"%s\" could not be found",
					   b->o.target);
		b->nstages = k + 1;
	}
	b->nsteps = (int)b->nmeta + (json_object_size(b->o.labels) ? 1 : 0);
	for (size_t k = 0; k < b->nstages; k++)
		b->nsteps += (int)(b->stages[k].end - b->stages[k].first);
	return 0;
}

static int dockerfile_plan(struct build *b, struct err *e)
{
	_cleanup_free_ char *text = build_context_dockerfile(b, e);
	if (!text)
		return -1;
	if (!(b->df = dockerfile_parse(text, e))) {
		if (!strstr(e->msg, "dockerfile parse error"))
			err_wrap(e, "failed to parse %s",
				 b->o.dockerfile && *b->o.dockerfile ? b->o.dockerfile
								     : "Dockerfile");
		return -1;
	}
	return plan(b, e);
}

int build_context_finish(struct build *b, struct err *e)
{
	if (build_context_end(b, e) < 0)
		return -1;
	if ((!b->o.remote || build_context_remote(b, e) == 0) && dockerfile_plan(b, e) == 0)
		return 0;
	if (!b->early)
		return -1;
	/* dockerd has streamed the download's progress by now: the error follows it */
	b->late = *e;
	b->late_failed = true;
	return 0;
}

void build_free(struct build *b)
{
	if (!b)
		return;
	if (b->ctx_fd >= 0)
		close(b->ctx_fd);
	if (b->ctx_running)
		pthread_join(b->ctx_thread, NULL);
	/* containers still listed stay, as dockerd keeps them: --rm=false, or the failed step's
	 * without --force-rm (a cancelled build removed its running step's) */
	/* a cancelled build whose containers could not go (the daemon was stopping) leaves its
	 * directory with their list: the next build or /build/prune removes them */
	bool orphans = b->cancelled && b->unremoved && b->unremoved[0];
	if (b->dir && orphans)
		build_context_keep_unremoved(b);
	if (b->dir && !orphans)
		fs_rm_rf(b->dir, NULL);
	if (b->dir)
		build_context_forget(b->dir);
	for (size_t i = 0; b->stages && i < b->df->n; i++) {
		struct stage *s = &b->stages[i];
		free(s->name);
		free(s->image);
		json_decref(s->config);
		strv_free(s->args);
		free(s->maintainer);
		free(s->result);
	}
	free(b->stages);
	dockerfile_free(b->df);
	strv_free(b->meta);
	strv_free(b->used);
	strv_free(b->containers);
	strv_free(b->unremoved);
	free(b->held);
	free(b->dir);
	free(b->ctx);
	build_opts_release(&b->o);
	pthread_mutex_destroy(&b->out_mu);
	free(b->early);
	free(b);
}
