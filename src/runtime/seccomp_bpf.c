/* seccomp_bpf: libseccomp's program exported to memory, and the -ENOSYS stub put in front
 * of it (the idea of runc's patchbpf, written anew: a small label-based assembler). */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/seccomp_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

/* x32 syscalls are x86_64 ones with this bit set in the number. */
#define X32_SYSCALL_BIT 0x40000000U
#define STUB_MAX	512
#define MAX_GROUPS	32

int seccomp_bpf_export(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *len, struct err *e)
{
	/* libseccomp 2.5 exports only to an fd; a memfd has no size limit, unlike a pipe. */
	_cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return err_sys(e, "memfd_create");
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return err_errno(e, rc, "exporting the seccomp filter");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_sys(e, "fstat of the exported seccomp filter");
	size_t size = (size_t)st.st_size;
	if (size == 0 || size % sizeof(struct sock_filter))
		return err_set(e, ERR_INTERNAL, 0, "exported seccomp filter has a bad size %zu",
			       size);
	_cleanup_free_ struct sock_filter *buf = xmalloc(size);
	for (size_t off = 0; off < size;) {
		ssize_t n = pread(fd, (char *)buf + off, size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_sys(e, "reading the exported seccomp filter");
		off += (size_t)n;
	}
	*prog = TAKE_PTR(buf);
	*len = size / sizeof(struct sock_filter);
	return 0;
}

/* One audit architecture; x86_64 carries x32 as a second ABI told apart by a number bit. */
struct group {
	uint32_t audit;
	bool has_main, has_x32;
	uint32_t max_main, max_x32;
};

enum { L_FILTER, L_ENOSYS, L_SECTION0 };

struct stub {
	struct sock_filter ins[STUB_MAX];
	int jump_to[STUB_MAX]; /* label of a BPF_JA, -1 for other instructions */
	size_t label[L_SECTION0 + MAX_GROUPS];
	size_t n;
};

static void put(struct stub *s, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k, int to)
{
	if (s->n == STUB_MAX)
		abort(); /* bounded by MAX_GROUPS sections of a few instructions */
	s->ins[s->n] = (struct sock_filter){code, jt, jf, k};
	s->jump_to[s->n++] = to;
}

static void jump(struct stub *s, int label)
{
	put(s, BPF_JMP | BPF_JA, 0, 0, 0, label);
}

/* A > max -> ENOSYS, otherwise into the real filter. */
static void emit_limit(struct stub *s, bool present, uint32_t max)
{
	if (!present) {
		jump(s, L_FILTER);
		return;
	}
	put(s, BPF_JMP | BPF_JGT | BPF_K, 0, 1, max, -1);
	jump(s, L_ENOSYS);
	jump(s, L_FILTER);
}

static void emit_section(struct stub *s, const struct group *g)
{
	put(s, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr), -1);
	/* s390 sends unknown large syscall numbers through setup(2), number 0. */
	if (g->audit == SCMP_ARCH_S390 || g->audit == SCMP_ARCH_S390X) {
		put(s, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0, -1);
		jump(s, L_ENOSYS);
	}
	if (g->audit == SCMP_ARCH_X86_64) {
		put(s, BPF_JMP | BPF_JSET | BPF_K, 0, g->has_x32 ? 3 : 1, X32_SYSCALL_BIT, -1);
		emit_limit(s, g->has_x32, g->max_x32);
	}
	emit_limit(s, g->has_main, g->max_main);
}

static size_t group_archs(const struct seccomp_arch_max *archs, size_t n, struct group *groups)
{
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		if (archs[i].max_nr <= 0)
			continue;
		bool x32 = archs[i].arch == SCMP_ARCH_X32;
		uint32_t audit = x32 ? SCMP_ARCH_X86_64 : archs[i].arch;
		size_t g = 0;
		while (g < ng && groups[g].audit != audit)
			g++;
		if (g == ng) {
			if (ng == MAX_GROUPS)
				break;
			groups[ng++] = (struct group){.audit = audit};
		}
		if (x32) {
			groups[g].has_x32 = true;
			groups[g].max_x32 = (uint32_t)archs[i].max_nr;
		} else {
			groups[g].has_main = true;
			groups[g].max_main = (uint32_t)archs[i].max_nr;
		}
	}
	return ng;
}

static void assemble(struct stub *s, const struct group *groups, size_t ng)
{
	put(s, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch), -1);
	for (size_t g = 0; g < ng; g++) {
		put(s, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, groups[g].audit, -1);
		jump(s, L_SECTION0 + (int)g);
	}
	/* Other architectures: libseccomp's filter decides (its bad-arch action). */
	jump(s, L_FILTER);
	for (size_t g = 0; g < ng; g++) {
		s->label[L_SECTION0 + g] = s->n;
		emit_section(s, &groups[g]);
	}
	s->label[L_ENOSYS] = s->n;
	put(s, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS, -1);
	s->label[L_FILTER] = s->n;
	for (size_t i = 0; i < s->n; i++)
		if (s->jump_to[i] >= 0)
			s->ins[i].k = (uint32_t)(s->label[s->jump_to[i]] - (i + 1));
}

int seccomp_bpf_prepend_enosys(struct sock_filter **prog, size_t *len,
			       const struct seccomp_arch_max *archs, size_t n, struct err *e)
{
	struct group groups[MAX_GROUPS];
	size_t ng = group_archs(archs, n, groups);
	if (ng == 0)
		return 0;
	_cleanup_free_ struct stub *s = xcalloc(1, sizeof(*s));
	assemble(s, groups, ng);
	struct sock_filter *out = xcalloc(s->n + *len, sizeof(*out));
	memcpy(out, s->ins, s->n * sizeof(*out));
	memcpy(out + s->n, *prog, *len * sizeof(*out));
	free(*prog);
	*prog = out;
	*len += s->n;
	return 0;
}
