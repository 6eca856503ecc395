/* seccomp: the OCI linux.seccomp object compiled through libseccomp into a final cBPF
 * program at create time, so that loading it in the container is a single syscall. */
#include "runtime/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/seccomp_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

#define SYSCALL_MAX_ARGS 6
#define MAX_ARCHS	 32

struct action_name {
	const char *name;
	uint32_t value;
	bool takes_errno; /* errnoRet goes into the low 16 bits */
	bool permissive;  /* lets syscalls through: no -ENOSYS stub when it is the default */
};

static const struct action_name actions[] = {
    /* As in runc, plain KILL kills the thread (libseccomp's SCMP_ACT_KILL). */
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true, false},
    /* A tracer should handle new syscalls itself, so TRACE counts as permissive. */
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true, true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, true},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false, true},
    /* The agent decides; as a rule only (see compile). */
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, false},
};

static const struct {
	const char *name;
	uint32_t token;
} archs_by_name[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} ops_by_name[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
	const char *name;
	unsigned int flag;
} flags_by_name[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

struct compiler {
	scmp_filter_ctx ctx;
	const char *fctx; /* "linux.seccomp" */
	uint32_t def_action;
	bool def_permissive;
	struct seccomp_arch_max archs[MAX_ARCHS];
	size_t n_archs;
	bool notify; /* some rule has SCMP_ACT_NOTIFY */
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static void filter_freep(struct seccomp_filter **f)
{
	seccomp_filter_free(*f);
}

/* o[key] as an action, with its errno from o[errno_key] (EPERM when absent). */
static int parse_action(const json_t *o, const char *key, const char *errno_key, const char *ctx,
			uint32_t *out, bool *permissive, struct err *e)
{
	const char *name = NULL;
	if (jx_str(o, key, ctx, &name, e) < 0)
		return -1;
	if (!name || !*name)
		return err_invalid(e, "%s.%s: missing", ctx, key);
	const struct action_name *a = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(actions) && !a; i++)
		if (!strcmp(actions[i].name, name))
			a = &actions[i];
	if (!a)
		return err_invalid(e, "%s.%s: unknown action '%s'", ctx, key, name);
	uint64_t errno_ret = EPERM;
	if (jx_u64(o, errno_key, ctx, &errno_ret, NULL, e) < 0)
		return -1;
	if (errno_ret > 0xffff)
		return err_invalid(e, "%s.%s: %llu is out of range", ctx, errno_key,
				   (unsigned long long)errno_ret);
	*out = a->takes_errno ? a->value | (uint32_t)errno_ret : a->value;
	if (permissive)
		*permissive = a->permissive;
	return 0;
}

static int parse_flags(const json_t *j, const char *ctx, unsigned int *flags, struct err *e)
{
	_cleanup_strv_ char **names = NULL;
	if (jx_strv(j, "flags", ctx, &names, e) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		size_t k = 0;
		while (k < ARRAY_SIZE(flags_by_name) && strcmp(flags_by_name[k].name, names[i]))
			k++;
		if (k == ARRAY_SIZE(flags_by_name))
			return err_invalid(e, "%s.flags[%zu]: unknown flag '%s'", ctx, i, names[i]);
		*flags |= flags_by_name[k].flag;
	}
	return 0;
}

static int arch_add(struct compiler *c, uint32_t token, struct err *e)
{
	for (size_t i = 0; i < c->n_archs; i++)
		if (c->archs[i].arch == token)
			return 0;
	if (c->n_archs == MAX_ARCHS)
		return err_invalid(e, "%s.architectures: too many architectures", c->fctx);
	int rc = seccomp_arch_add(c->ctx, token);
	if (rc < 0 && rc != -EEXIST)
		return err_errno(e, rc, "%s.architectures: adding architecture %#x", c->fctx,
				 token);
	c->archs[c->n_archs++] = (struct seccomp_arch_max){.arch = token};
	return 0;
}

static int parse_archs(const json_t *j, struct compiler *c, struct err *e)
{
	_cleanup_strv_ char **names = NULL;
	if (jx_strv(j, "architectures", c->fctx, &names, e) < 0)
		return -1;
	/* The native arch is always in a libseccomp filter; it also gets the -ENOSYS stub. */
	if (arch_add(c, seccomp_arch_native(), e) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		size_t k = 0;
		while (k < ARRAY_SIZE(archs_by_name) && strcmp(archs_by_name[k].name, names[i]))
			k++;
		if (k == ARRAY_SIZE(archs_by_name))
			return err_invalid(e, "%s.architectures[%zu]: unknown architecture '%s'",
					   c->fctx, i, names[i]);
		if (arch_add(c, archs_by_name[k].token, e) < 0)
			return -1;
	}
	return 0;
}

static int parse_arg(const json_t *a, const char *ctx, struct scmp_arg_cmp *cmp, struct err *e)
{
	if (!json_is_object(a))
		return err_invalid(e, "%s: expected object, got %s", ctx, jx_type_name(a));
	uint64_t index = 0, value = 0, value2 = 0;
	bool has_index = false;
	const char *op = NULL;
	if (jx_u64(a, "index", ctx, &index, &has_index, e) < 0 ||
	    jx_u64(a, "value", ctx, &value, NULL, e) < 0 ||
	    jx_u64(a, "valueTwo", ctx, &value2, NULL, e) < 0 || jx_str(a, "op", ctx, &op, e) < 0)
		return -1;
	if (!has_index)
		return err_invalid(e, "%s.index: missing", ctx);
	if (index >= SYSCALL_MAX_ARGS)
		return err_invalid(e, "%s.index: %llu is out of range (syscalls have %d arguments)",
				   ctx, (unsigned long long)index, SYSCALL_MAX_ARGS);
	if (!op)
		return err_invalid(e, "%s.op: missing", ctx);
	size_t k = 0;
	while (k < ARRAY_SIZE(ops_by_name) && strcmp(ops_by_name[k].name, op))
		k++;
	if (k == ARRAY_SIZE(ops_by_name))
		return err_invalid(e, "%s.op: unknown operator '%s'", ctx, op);
	*cmp = (struct scmp_arg_cmp){.arg = (unsigned int)index,
				     .op = ops_by_name[k].op,
				     .datum_a = value,
				     .datum_b = value2};
	return 0;
}

/* args[] into conds; *split tells that two conditions test the same argument, in which
 * case runc adds each condition as a rule of its own (OR) instead of one rule (AND). */
static int parse_args(const json_t *sc, const char *ctx, struct scmp_arg_cmp **conds, size_t *n,
		      bool *split, struct err *e)
{
	json_t *args = NULL;
	if (jx_arr(sc, "args", ctx, &args, e) < 0)
		return -1;
	*n = args ? json_array_size(args) : 0;
	*conds = xcalloc(*n ? *n : 1, sizeof(**conds));
	unsigned int count[SYSCALL_MAX_ARGS] = {0};
	*split = false;
	for (size_t i = 0; i < *n; i++) {
		_cleanup_free_ char *actx = str_printf("%s.args[%zu]", ctx, i);
		if (parse_arg(json_array_get(args, i), actx, &(*conds)[i], e) < 0)
			return -1;
		if (++count[(*conds)[i].arg] > 1)
			*split = true;
	}
	return 0;
}

static void note_max_nr(struct compiler *c, const char *name)
{
	for (size_t i = 0; i < c->n_archs; i++) {
		int nr = seccomp_syscall_resolve_name_arch(c->archs[i].arch, name);
		if (nr > c->archs[i].max_nr)
			c->archs[i].max_nr = nr;
	}
}

static int add_rules(struct compiler *c, const char *ctx, const char *name, uint32_t action,
		     const struct scmp_arg_cmp *conds, size_t n, bool split, struct err *e)
{
	int nr = seccomp_syscall_resolve_name(name);
	/* Profiles name syscalls this libseccomp or kernel may not know: skip them. */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	int rc = 0;
	if (split) {
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = seccomp_rule_add_array(c->ctx, action, nr, 1, &conds[i]);
	} else {
		rc = seccomp_rule_add_array(c->ctx, action, nr, (unsigned int)n, conds);
	}
	if (rc < 0)
		return err_errno(e, rc, "%s: adding a rule for syscall %s", ctx, name);
	return 0;
}

static int parse_syscall(struct compiler *c, const json_t *sc, const char *ctx, struct err *e)
{
	if (!json_is_object(sc))
		return err_invalid(e, "%s: expected object, got %s", ctx, jx_type_name(sc));
	uint32_t action = 0;
	_cleanup_strv_ char **names = NULL;
	_cleanup_free_ struct scmp_arg_cmp *conds = NULL;
	size_t n_conds = 0;
	bool split = false;
	if (parse_action(sc, "action", "errnoRet", ctx, &action, NULL, e) < 0 ||
	    jx_strv(sc, "names", ctx, &names, e) < 0 ||
	    parse_args(sc, ctx, &conds, &n_conds, &split, e) < 0)
		return -1;
	if (!names)
		return err_invalid(e, "%s.names: missing", ctx);
	c->notify |= action == SCMP_ACT_NOTIFY;
	for (size_t i = 0; names[i]; i++) {
		if (!*names[i])
			return err_invalid(e, "%s.names[%zu]: empty syscall name", ctx, i);
		/* The listener fd reaches the runtime by write(2): a notified write would wait
		 * for an agent that never gets the fd. */
		if (action == SCMP_ACT_NOTIFY && !strcmp(names[i], "write"))
			return err_invalid(e,
					   "%s.names[%zu]: SCMP_ACT_NOTIFY cannot be used for the "
					   "write syscall",
					   ctx, i);
		note_max_nr(c, names[i]);
		/* libseccomp refuses rules that repeat the default action; they change nothing. */
		if (action == c->def_action)
			continue;
		if (add_rules(c, ctx, names[i], action, conds, n_conds, split, e) < 0)
			return -1;
	}
	return 0;
}

static int parse_syscalls(struct compiler *c, const json_t *syscalls, struct err *e)
{
	for (size_t i = 0; syscalls && i < json_array_size(syscalls); i++) {
		_cleanup_free_ char *ctx = str_printf("%s.syscalls[%zu]", c->fctx, i);
		if (parse_syscall(c, json_array_get(syscalls, i), ctx, e) < 0)
			return -1;
	}
	return 0;
}

/* listenerPath and listenerMetadata; the path is needed when a rule notifies. */
static int parse_listener(const json_t *j, const struct compiler *c, struct seccomp_filter *f,
			  struct err *e)
{
	const char *path = NULL, *meta = NULL;
	if (jx_str(j, "listenerPath", c->fctx, &path, e) < 0 ||
	    jx_str(j, "listenerMetadata", c->fctx, &meta, e) < 0)
		return -1;
	if (!c->notify)
		return 0;
	if (!path || !*path)
		return err_invalid(e,
				   "%s.listenerPath: listenerPath is not set (needed for "
				   "SCMP_ACT_NOTIFY)",
				   c->fctx);
	f->notify = true;
	f->listener_path = str_dup(path);
	f->listener_metadata = meta ? str_dup(meta) : NULL;
	f->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	/* With TSYNC the kernel would return a thread id where the listener goes. */
	if (f->flags & SECCOMP_FILTER_FLAG_TSYNC)
		f->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	return 0;
}

static int finish(struct compiler *c, struct seccomp_filter *f, struct err *e)
{
	if (seccomp_bpf_export(c->ctx, &f->prog, &f->len, e) < 0)
		return err_wrap(e, "%s", c->fctx);
	bool want_stub = !c->def_permissive && c->def_action != SCMP_ACT_ERRNO(ENOSYS);
	if (want_stub && seccomp_bpf_prepend_enosys(&f->prog, &f->len, c->archs, c->n_archs, e) < 0)
		return err_wrap(e, "%s", c->fctx);
	if (f->len > BPF_MAXINSNS)
		return err_invalid(e, "%s: the filter has %zu instructions, the kernel takes %d",
				   c->fctx, f->len, BPF_MAXINSNS);
	return 0;
}

static int compile(const json_t *j, const char *ctx, struct seccomp_filter *f, struct err *e)
{
	const char *def = NULL;
	json_t *syscalls = NULL;
	if (jx_str(j, "defaultAction", ctx, &def, e) < 0 ||
	    jx_arr(j, "syscalls", ctx, &syscalls, e) < 0)
		return -1;
	/* As runc: no default action and no rules means seccomp is off. */
	if ((!def || !*def) && json_array_size(syscalls) == 0)
		return 0;
	struct compiler c = {.fctx = ctx};
	_cleanup_(ctx_releasep) scmp_filter_ctx sctx = NULL;
	if (parse_action(j, "defaultAction", "defaultErrnoRet", ctx, &c.def_action,
			 &c.def_permissive, e) < 0 ||
	    parse_flags(j, ctx, &f->flags, e) < 0)
		return -1;
	/* The default would apply to write(2) too (see parse_syscall). */
	if (c.def_action == SCMP_ACT_NOTIFY)
		return err_invalid(e,
				   "%s.defaultAction: SCMP_ACT_NOTIFY cannot be used as "
				   "default action",
				   ctx);
	sctx = c.ctx = seccomp_init(c.def_action);
	if (!sctx)
		return err_invalid(e, "%s: libseccomp refused default action %#x", ctx,
				   c.def_action);
	if (parse_archs(j, &c, e) < 0 || parse_syscalls(&c, syscalls, e) < 0 ||
	    parse_listener(j, &c, f, e) < 0)
		return -1;
	return finish(&c, f, e);
}

struct seccomp_filter *seccomp_filter_compile(const json_t *j, const char *ctx, struct err *e)
{
	if (!j)
		return NULL;
	if (!ctx || !*ctx)
		ctx = "linux.seccomp";
	_cleanup_(filter_freep) struct seccomp_filter *f = xcalloc(1, sizeof(*f));
	if (json_is_null(j))
		return TAKE_PTR(f);
	if (!json_is_object(j)) {
		err_invalid(e, "%s: expected object, got %s", ctx, jx_type_name(j));
		return NULL;
	}
	if (compile(j, ctx, f, e) < 0)
		return NULL;
	return TAKE_PTR(f);
}

int seccomp_filter_load(struct seccomp_filter *f, struct err *e)
{
	if (!f || !f->prog)
		return 0;
	struct sock_fprog prog = {.len = (unsigned short)f->len, .filter = f->prog};
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
	if (rc < 0 && errno == ENOSYS && f->flags == 0)
		rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	if (rc < 0 && errno == ESRCH && (f->flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		return err_sys(e, "loading seccomp filter: a thread could not be synchronized");
	if (rc < 0)
		return err_sys(e, "loading seccomp filter");
	if (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		int listener = (int)rc;
		if (f->listener_fn)
			return f->listener_fn(listener, f->listener_arg, e);
		close(listener);
		return 0;
	}
	/* With TSYNC a positive result is the id of a thread that could not be synced. */
	if (rc > 0)
		return err_set(e, ERR_INTERNAL, 0,
			       "loading seccomp filter: thread %ld could not be synchronized", rc);
	return 0;
}

bool seccomp_filter_notifies(const struct seccomp_filter *f)
{
	return f && f->notify;
}

void seccomp_filter_set_listener_fn(struct seccomp_filter *f, seccomp_listener_fn fn, void *arg)
{
	if (!f)
		return;
	f->listener_fn = fn;
	f->listener_arg = arg;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
	if (!f)
		return;
	free(f->prog);
	free(f->listener_path);
	free(f->listener_metadata);
	free(f);
}
