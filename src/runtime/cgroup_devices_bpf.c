/* cgroup_devices_bpf: cgroup v2 device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program,
 * written instruction by instruction (no libbpf) and attached to the container's cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

struct bpf_prog {
	struct bpf_insn *insns;
	size_t n;
};

static void emit(struct bpf_prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		 int32_t imm)
{
	p->insns = xrealloc(p->insns, (p->n + 1) * sizeof(*p->insns));
	p->insns[p->n++] =
	    (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(p, dst, src, off)	 emit(p, BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_K(p, op, dst, imm) emit(p, BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_X(p, dst, src)	 emit(p, BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JNE_K(p, dst, imm, off)	 emit(p, BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JNE_X(p, dst, src, off)	 emit(p, BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define EXIT(p)			 emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int32_t bpf_access(unsigned perms)
{
	return (perms & CG_DEV_R ? BPF_DEVCG_ACC_READ : 0) |
	       (perms & CG_DEV_W ? BPF_DEVCG_ACC_WRITE : 0) |
	       (perms & CG_DEV_M ? BPF_DEVCG_ACC_MKNOD : 0);
}

/* One exception: if the device matches (type, access within perms, major, minor) the
 * answer is the opposite of the default; otherwise fall through to the next block. */
static void emit_exception(struct bpf_prog *p, const struct cg_dev_exc *x, bool allow)
{
	bool acc = x->perms != CG_DEV_RWM, maj = x->major >= 0, min = x->minor >= 0;
	int16_t len = (int16_t)(1 + (acc ? 3 : 0) + maj + min + 2), at = 0;
	/* Each jump lands on the instruction after this block. */
#define TO_NEXT() ((int16_t)(len - at - 1))
	JNE_K(p, BPF_REG_2, x->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, TO_NEXT());
	at++;
	if (acc) {
		MOV32_X(p, BPF_REG_1, BPF_REG_3);
		ALU32_K(p, BPF_AND, BPF_REG_1, bpf_access(x->perms));
		at += 2;
		JNE_X(p, BPF_REG_1, BPF_REG_3, TO_NEXT());
		at++;
	}
	if (maj) {
		JNE_K(p, BPF_REG_4, (int32_t)x->major, TO_NEXT());
		at++;
	}
	if (min) {
		JNE_K(p, BPF_REG_5, (int32_t)x->minor, TO_NEXT());
		at++;
	}
#undef TO_NEXT
	ALU32_K(p, BPF_MOV, BPF_REG_0, allow ? 1 : 0);
	EXIT(p);
}

static void prog_build(struct bpf_prog *p, const struct cg_dev_emu *m)
{
	/* r2 = device type, r3 = requested access, r4 = major, r5 = minor */
	LDX_W(p, BPF_REG_2, BPF_REG_1, 0);
	ALU32_K(p, BPF_AND, BPF_REG_2, 0xFFFF);
	LDX_W(p, BPF_REG_3, BPF_REG_1, 0);
	ALU32_K(p, BPF_RSH, BPF_REG_3, 16);
	LDX_W(p, BPF_REG_4, BPF_REG_1, 4);
	LDX_W(p, BPF_REG_5, BPF_REG_1, 8);
	for (size_t i = 0; i < m->n; i++)
		emit_exception(p, &m->exc[i], !m->default_allow);
	ALU32_K(p, BPF_MOV, BPF_REG_0, m->default_allow ? 1 : 0);
	EXIT(p);
}

static int bpf_call(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int prog_load_once(const struct bpf_prog *p, char *log, size_t log_len)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)p->insns;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t) "Apache";
	if (log) {
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_len;
		a.log_level = 1;
	}
	return bpf_call(BPF_PROG_LOAD, &a);
}

static int prog_load(const struct bpf_prog *p, struct err *e)
{
	int fd = prog_load_once(p, NULL, 0);
	/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK (runc raises it too). */
	if (fd < 0 && errno == EPERM) {
		struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
		if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0)
			fd = prog_load_once(p, NULL, 0);
	}
	if (fd >= 0)
		return fd;
	int saved = errno;
	_cleanup_free_ char *log = xcalloc(1, 65536);
	if (saved == EINVAL && prog_load_once(p, log, 65536) < 0 && *log)
		return err_errno(e, saved, "load device cgroup BPF program (%.200s)", log);
	return err_errno(e, saved, "load device cgroup BPF program");
}

/* Ids of the device programs attached to this very cgroup; *n in/out. */
static int prog_query(int dirfd, uint32_t *ids, uint32_t *n, struct err *e)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)dirfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = *n;
	if (bpf_call(BPF_PROG_QUERY, &a) < 0)
		return err_sys(e, "bpf_prog_query(BPF_CGROUP_DEVICE)");
	*n = a.query.prog_cnt;
	return 0;
}

static int prog_fd_by_id(uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	return bpf_call(BPF_PROG_GET_FD_BY_ID, &a);
}

static int prog_attach(int dirfd, int prog, int replace)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)dirfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI | (replace >= 0 ? BPF_F_REPLACE : 0);
	a.replace_bpf_fd = replace >= 0 ? (uint32_t)replace : 0;
	return bpf_call(BPF_PROG_ATTACH, &a);
}

static int prog_detach(int dirfd, int prog)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)dirfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	return bpf_call(BPF_PROG_DETACH, &a);
}

/* Swaps the new program in: atomically when exactly one old one is there, otherwise
 * attach first and detach the old ones after, so there is never a gap with no filter. */
static int prog_install(int dirfd, const char *dir, int prog, struct err *e)
{
	uint32_t ids[64], n = ARRAY_SIZE(ids);
	if (prog_query(dirfd, ids, &n, e) < 0)
		return -1;
	if (n == 1) {
		_cleanup_close_ int old = prog_fd_by_id(ids[0]);
		if (old >= 0 && prog_attach(dirfd, prog, old) == 0)
			return 0;
	}
	if (prog_attach(dirfd, prog, -1) < 0)
		return err_sys(e, "attach device cgroup BPF program to %s", dir);
	for (uint32_t i = 0; i < n && i < ARRAY_SIZE(ids); i++) {
		_cleanup_close_ int old = prog_fd_by_id(ids[i]);
		/* Programs an LSM hides from us can only restrict further: leave them. */
		if (old < 0 && (errno == EPERM || errno == EACCES))
			continue;
		if (old < 0 || prog_detach(dirfd, old) < 0)
			return err_sys(e, "detach old device cgroup BPF program from %s", dir);
	}
	return 0;
}

/* runc lets "allow everything" rule sets pass when BPF can't be used at all. */
static bool all_allow_rwm(const struct spec_device_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!rules[i].allow || cg_dev_perms(rules[i].access) != CG_DEV_RWM)
			return false;
	return true;
}

int cg_v2_devices_apply(const char *dir, const struct spec_device_rule *rules, size_t n,
			struct err *e)
{
	struct cg_dev_emu m;
	if (cg_dev_emu_build(&m, rules, n, e) < 0)
		return -1;
	struct bpf_prog p = {0};
	prog_build(&p, &m);
	cg_dev_emu_release(&m);
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		free(p.insns);
		return err_sys(e, "open %s", dir);
	}
	struct err tmp = ERR_INIT;
	_cleanup_close_ int prog = prog_load(&p, &tmp);
	free(p.insns);
	if (prog >= 0 && prog_install(dirfd, dir, prog, &tmp) == 0)
		return 0;
	if (all_allow_rwm(rules, n))
		return 0;
	if (e)
		*e = tmp;
	return -1;
}
