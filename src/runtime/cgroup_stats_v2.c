/* cgroup_stats_v2: `events --stats` data from a cgroup v2 directory, and block I/O stats in
 * runc's v1 layout from both blkio (v1) and io.stat (v2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

/* runc's Blkio fields, in encoding order. */
enum { IO_BYTES, IO_SERVICED, IO_QUEUED, IO_SVCTIME, IO_WAIT, IO_MERGED, IO_TIME, IO_SECTORS };
static const char *const blkio_keys[] = {
    "ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive", "ioServiceTimeRecursive",
    "ioWaitTimeRecursive",     "ioMergedRecursive",   "ioTimeRecursive",  "sectorsRecursive"};

struct blkio_src {
	const char *file;
	int field;
};

static json_t *blkio_entry(unsigned long long maj, unsigned long long min, const char *op,
			   unsigned long long v)
{
	json_t *o = json_object();
	cg_json_put(o, "major", maj, true);
	cg_json_put(o, "minor", min, true);
	if (op && *op)
		json_object_set_new(o, "op", json_string(op));
	cg_json_put(o, "value", v, true);
	return o;
}

/* "8:0 Read 1282048" or "8:0 6792"; "Total N" lines are skipped. NULL if no file. */
static json_t *blkio_file(const char *dir, const char *file)
{
	_cleanup_strv_ char **lines = cg_read_lines(dir, file, NULL);
	if (!lines)
		return NULL;
	json_t *a = json_array();
	for (char **l = lines; *l; l++) {
		unsigned long long maj, min, v;
		char op[32];
		if (sscanf(*l, "%llu:%llu %31s %llu", &maj, &min, op, &v) == 4)
			json_array_append_new(a, blkio_entry(maj, min, op, v));
		else if (sscanf(*l, "%llu:%llu %llu", &maj, &min, &v) == 3)
			json_array_append_new(a, blkio_entry(maj, min, NULL, v));
	}
	return a;
}

#define BFQ(x) "blkio.bfq." x
#define CFQ(x) "blkio." x
#define THR(x) "blkio.throttle." x

static const struct blkio_src bfq_debug[] = {{BFQ("sectors_recursive"), IO_SECTORS},
					     {BFQ("io_service_time_recursive"), IO_SVCTIME},
					     {BFQ("io_wait_time_recursive"), IO_WAIT},
					     {BFQ("io_merged_recursive"), IO_MERGED},
					     {BFQ("io_queued_recursive"), IO_QUEUED},
					     {BFQ("time_recursive"), IO_TIME},
					     {BFQ("io_serviced_recursive"), IO_SERVICED},
					     {BFQ("io_service_bytes_recursive"), IO_BYTES},
					     {NULL, 0}};
static const struct blkio_src cfq[] = {{CFQ("sectors_recursive"), IO_SECTORS},
				       {CFQ("io_service_time_recursive"), IO_SVCTIME},
				       {CFQ("io_wait_time_recursive"), IO_WAIT},
				       {CFQ("io_merged_recursive"), IO_MERGED},
				       {CFQ("io_queued_recursive"), IO_QUEUED},
				       {CFQ("time_recursive"), IO_TIME},
				       {CFQ("io_serviced_recursive"), IO_SERVICED},
				       {CFQ("io_service_bytes_recursive"), IO_BYTES},
				       {NULL, 0}};
static const struct blkio_src bfq[] = {{BFQ("io_serviced_recursive"), IO_SERVICED},
				       {BFQ("io_service_bytes_recursive"), IO_BYTES},
				       {NULL, 0}};
static const struct blkio_src thr_rec[] = {{THR("io_serviced_recursive"), IO_SERVICED},
					   {THR("io_service_bytes_recursive"), IO_BYTES},
					   {NULL, 0}};
static const struct blkio_src thr[] = {
    {THR("io_serviced"), IO_SERVICED}, {THR("io_service_bytes"), IO_BYTES}, {NULL, 0}};

/* runc reads the first family whose leading file has data: BFQ with debug stats, BFQ,
 * CFQ, throttle (recursive), throttle. */
void cg_stats_blkio_v1(json_t *o, const char *dir)
{
	const struct blkio_src *const families[] = {bfq_debug, bfq, cfq, thr_rec, thr};
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		json_t *lead = blkio_file(dir, families[f][0].file);
		if (!lead || !json_array_size(lead)) {
			json_decref(lead);
			continue;
		}
		json_t *got[ARRAY_SIZE(blkio_keys)] = {0};
		got[families[f][0].field] = lead;
		for (const struct blkio_src *src = families[f] + 1; src->file; src++)
			got[src->field] = blkio_file(dir, src->file);
		for (size_t i = 0; i < ARRAY_SIZE(blkio_keys); i++) {
			if (got[i] && json_array_size(got[i]))
				json_object_set(o, blkio_keys[i], got[i]);
			json_decref(got[i]);
		}
		return;
	}
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." into the v1 layout. */
static void v2_io(json_t *o, const char *dir)
{
	_cleanup_strv_ char **lines = cg_read_lines(dir, "io.stat", NULL);
	json_t *bytes = json_array(), *ios = json_array();
	for (char **l = lines; l && *l; l++) {
		_cleanup_strv_ char **f = strv_split(*l, " ");
		unsigned long long maj, min, v;
		if (!f || !f[0] || sscanf(f[0], "%llu:%llu", &maj, &min) != 2)
			continue;
		for (char **kv = f + 1; *kv; kv++) {
			char key[16];
			if (sscanf(*kv, "%15[^=]=%llu", key, &v) != 2)
				continue;
			bool rd = key[0] == 'r';
			if (!strcmp(key + 1, "bytes"))
				json_array_append_new(
				    bytes, blkio_entry(maj, min, rd ? "Read" : "Write", v));
			else if (!strcmp(key + 1, "ios"))
				json_array_append_new(
				    ios, blkio_entry(maj, min, rd ? "Read" : "Write", v));
		}
	}
	if (json_array_size(bytes))
		json_object_set(o, "ioServiceBytesRecursive", bytes);
	if (json_array_size(ios))
		json_object_set(o, "ioServicedRecursive", ios);
	json_decref(bytes);
	json_decref(ios);
}

static void v2_cpu(json_t *cpu, const char *dir)
{
	json_t *st = cg_json_flat_keyed(dir, "cpu.stat");
	json_t *usage = json_object_get(cpu, "usage");
	uint64_t total = (uint64_t)json_integer_value(json_object_get(st, "usage_usec"));
	uint64_t user = (uint64_t)json_integer_value(json_object_get(st, "user_usec"));
	uint64_t sys = (uint64_t)json_integer_value(json_object_get(st, "system_usec"));
	json_object_clear(usage);
	cg_json_put(usage, "total", total * 1000, true);
	cg_json_put(usage, "kernel", sys * 1000, false);
	cg_json_put(usage, "user", user * 1000, false);
	json_decref(st);
	cg_stats_throttling(json_object_get(cpu, "throttling"), dir, true);
}

/* v2 has no max usage or failcnt; swap is reported as memory+swap like v1's memsw. */
static void v2_memory(json_t *mem, const char *dir)
{
	json_t *raw = cg_json_flat_keyed(dir, "memory.stat");
	uint64_t usage = cg_u64_or0(dir, "memory.current");
	uint64_t limit = cg_u64_or0(dir, "memory.max");
	cg_json_put(mem, "cache", (uint64_t)json_integer_value(json_object_get(raw, "file")), true);
	json_object_set_new(mem, "usage", cg_json_mem_entry(limit, usage, 0, 0));
	if (cg_exists(dir, "memory.swap.current")) {
		uint64_t su = cg_u64_or0(dir, "memory.swap.current") + usage;
		uint64_t sl = cg_u64_or0(dir, "memory.swap.max");
		if (sl != UINT64_MAX)
			sl = limit == UINT64_MAX ? UINT64_MAX : sl + limit;
		json_object_set_new(mem, "swap", cg_json_mem_entry(sl, su, 0, 0));
	}
	if (json_object_size(raw))
		json_object_set_new(mem, "raw", raw);
	else
		json_decref(raw);
	static const char *const order[] = {"cache",	 "usage", "swap", "kernel",
					    "kernelTCP", "raw",	  NULL};
	cg_json_order(mem, order);
}

/* Without the pids controller, count cgroup.procs lines as runc does. */
static void v2_pids(json_t *o, const char *dir)
{
	if (cg_exists(dir, "pids.current")) {
		cg_stats_pids(o, dir);
		return;
	}
	_cleanup_strv_ char **procs = cg_read_lines(dir, "cgroup.procs", NULL);
	cg_json_put(o, "current", strv_len(procs), true);
}

static void v2_hugetlb(json_t *o, const char *dir)
{
	_cleanup_strv_ char **sizes = cg_hugepage_sizes();
	for (char **s = sizes; s && *s; s++) {
		_cleanup_free_ char *cur = str_printf("hugetlb.%s.current", *s);
		_cleanup_free_ char *ev = str_printf("hugetlb.%s.events", *s);
		if (!cg_exists(dir, cur))
			continue;
		uint64_t fail = 0;
		cg_read_key(dir, ev, "max", &fail, NULL);
		json_t *h = json_object();
		cg_json_put(h, "usage", cg_u64_or0(dir, cur), true);
		cg_json_put(h, "failcnt", fail, false);
		json_object_set_new(o, *s, h);
	}
}

json_t *cg_stats_v2(const char *dir)
{
	json_t *s = cg_stats_skeleton();
	v2_cpu(json_object_get(s, "cpu"), dir);
	v2_memory(json_object_get(s, "memory"), dir);
	v2_pids(json_object_get(s, "pids"), dir);
	v2_io(json_object_get(s, "blkio"), dir);
	v2_hugetlb(json_object_get(s, "hugetlb"), dir);
	return s;
}
