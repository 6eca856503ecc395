/* spec_resources: "linux.resources" (also the body of `update -r`) into struct
 * spec_resources: memory, cpu, pids, blockIO, hugetlb, device rules, unified, network. */
#include <stdlib.h>
#include <string.h>

#include "runtime/spec.h"
#include "runtime/spec_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static int parse_memory(const json_t *r, const char *ctx, struct spec_resources *res, struct err *e)
{
	json_t *m = NULL;
	if (jx_obj(r, "memory", ctx, &m, e) < 0)
		return -1;
	_cleanup_free_ char *c = spec_field(ctx, "memory");
	if (jx_i64(m, "limit", c, &res->mem_limit, &res->has_mem_limit, e) < 0 ||
	    jx_i64(m, "reservation", c, &res->mem_reservation, &res->has_mem_reservation, e) < 0 ||
	    jx_i64(m, "swap", c, &res->mem_swap, &res->has_mem_swap, e) < 0 ||
	    jx_i64(m, "kernel", c, &res->mem_kernel, &res->has_mem_kernel, e) < 0 ||
	    jx_i64(m, "kernelTCP", c, &res->mem_kernel_tcp, &res->has_mem_kernel_tcp, e) < 0 ||
	    jx_u64(m, "swappiness", c, &res->mem_swappiness, &res->has_mem_swappiness, e) < 0)
		return -1;
	res->has_disable_oom_killer = json_object_get(m, "disableOOMKiller") &&
				      !json_is_null(json_object_get(m, "disableOOMKiller"));
	res->has_use_hierarchy =
	    json_object_get(m, "useHierarchy") && !json_is_null(json_object_get(m, "useHierarchy"));
	if (jx_bool(m, "disableOOMKiller", c, &res->disable_oom_killer, e) < 0 ||
	    jx_bool(m, "useHierarchy", c, &res->use_hierarchy, e) < 0)
		return -1;
	if (res->has_mem_swappiness && res->mem_swappiness > 100) {
		_cleanup_free_ char *f = spec_field(c, "swappiness");
		return err_invalid(e, "%s: %llu is out of range (0..100)", f,
				   (unsigned long long)res->mem_swappiness);
	}
	return 0;
}

static int parse_cpu(const json_t *r, const char *ctx, struct spec_resources *res, struct err *e)
{
	json_t *cpu = NULL;
	if (jx_obj(r, "cpu", ctx, &cpu, e) < 0)
		return -1;
	_cleanup_free_ char *c = spec_field(ctx, "cpu");
	const char *cpus = NULL, *mems = NULL;
	if (jx_u64(cpu, "shares", c, &res->cpu_shares, &res->has_cpu_shares, e) < 0 ||
	    jx_i64(cpu, "quota", c, &res->cpu_quota, &res->has_cpu_quota, e) < 0 ||
	    jx_u64(cpu, "period", c, &res->cpu_period, &res->has_cpu_period, e) < 0 ||
	    jx_i64(cpu, "realtimeRuntime", c, &res->cpu_rt_runtime, &res->has_cpu_rt_runtime, e) <
		0 ||
	    jx_u64(cpu, "realtimePeriod", c, &res->cpu_rt_period, &res->has_cpu_rt_period, e) < 0 ||
	    jx_i64(cpu, "idle", c, &res->cpu_idle, &res->has_cpu_idle, e) < 0 ||
	    jx_u64(cpu, "burst", c, &res->cpu_burst, &res->has_cpu_burst, e) < 0 ||
	    jx_str(cpu, "cpus", c, &cpus, e) < 0 || jx_str(cpu, "mems", c, &mems, e) < 0)
		return -1;
	res->cpu_cpus = cpus && *cpus ? str_dup(cpus) : NULL;
	res->cpu_mems = mems && *mems ? str_dup(mems) : NULL;
	return 0;
}

static int get_u16(const json_t *o, const char *key, const char *ctx, uint16_t *out, bool *present,
		   struct err *e)
{
	uint32_t v = 0;
	bool have = false;
	if (spec_get_u32(o, key, ctx, &v, &have, e) < 0)
		return -1;
	if (have && v > UINT16_MAX) {
		_cleanup_free_ char *f = spec_field(ctx, key);
		return err_invalid(e, "%s: %u is out of range (0..65535)", f, v);
	}
	if (have)
		*out = (uint16_t)v;
	if (present)
		*present = have;
	return 0;
}

static int parse_major_minor(const json_t *o, const char *ctx, int64_t *major, int64_t *minor,
			     struct err *e)
{
	bool has_major = false, has_minor = false;
	if (jx_i64(o, "major", ctx, major, &has_major, e) < 0 ||
	    jx_i64(o, "minor", ctx, minor, &has_minor, e) < 0)
		return -1;
	if (!has_major || !has_minor) {
		_cleanup_free_ char *f = spec_field(ctx, has_major ? "minor" : "major");
		return err_invalid(e, "%s: missing", f);
	}
	return 0;
}

static int parse_weight_devices(const json_t *b, const char *ctx, struct spec_resources *res,
				struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(b, "weightDevice", ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	res->blkio_weight_devices =
	    xcalloc(json_array_size(a) + 1, sizeof(struct spec_weight_device));
	for (size_t i = 0; i < json_array_size(a); i++) {
		struct spec_weight_device *d = &res->blkio_weight_devices[i];
		json_t *o = spec_array_obj(a, i, ctx, "weightDevice", e);
		_cleanup_free_ char *c = spec_field_index(ctx, "weightDevice", i);
		if (!o || parse_major_minor(o, c, &d->major, &d->minor, e) < 0 ||
		    get_u16(o, "weight", c, &d->weight, &d->has_weight, e) < 0 ||
		    get_u16(o, "leafWeight", c, &d->leaf_weight, &d->has_leaf_weight, e) < 0)
			return -1;
		res->n_blkio_weight_devices++;
	}
	return 0;
}

static int parse_throttle(const json_t *b, const char *key, const char *ctx,
			  struct spec_throttle_device **out, size_t *n, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(b, key, ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	*out = xcalloc(json_array_size(a) + 1, sizeof(**out));
	for (size_t i = 0; i < json_array_size(a); i++) {
		struct spec_throttle_device *d = &(*out)[i];
		json_t *o = spec_array_obj(a, i, ctx, key, e);
		_cleanup_free_ char *c = spec_field_index(ctx, key, i);
		if (!o || parse_major_minor(o, c, &d->major, &d->minor, e) < 0 ||
		    jx_u64(o, "rate", c, &d->rate, NULL, e) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int parse_blkio(const json_t *r, const char *ctx, struct spec_resources *res, struct err *e)
{
	json_t *b = NULL;
	if (jx_obj(r, "blockIO", ctx, &b, e) < 0)
		return -1;
	if (!b)
		return 0;
	_cleanup_free_ char *c = spec_field(ctx, "blockIO");
	if (get_u16(b, "weight", c, &res->blkio_weight, &res->has_blkio_weight, e) < 0 ||
	    get_u16(b, "leafWeight", c, &res->blkio_leaf_weight, &res->has_blkio_leaf_weight, e) <
		0 ||
	    parse_weight_devices(b, c, res, e) < 0 ||
	    parse_throttle(b, "throttleReadBpsDevice", c, &res->throttle_read_bps,
			   &res->n_throttle_read_bps, e) < 0 ||
	    parse_throttle(b, "throttleWriteBpsDevice", c, &res->throttle_write_bps,
			   &res->n_throttle_write_bps, e) < 0 ||
	    parse_throttle(b, "throttleReadIOPSDevice", c, &res->throttle_read_iops,
			   &res->n_throttle_read_iops, e) < 0 ||
	    parse_throttle(b, "throttleWriteIOPSDevice", c, &res->throttle_write_iops,
			   &res->n_throttle_write_iops, e) < 0)
		return -1;
	return 0;
}

static int parse_hugepages(const json_t *r, const char *ctx, struct spec_resources *res,
			   struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(r, "hugepageLimits", ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	res->hugepage_limits = xcalloc(json_array_size(a) + 1, sizeof(*res->hugepage_limits));
	for (size_t i = 0; i < json_array_size(a); i++) {
		struct spec_hugepage_limit *h = &res->hugepage_limits[i];
		json_t *o = spec_array_obj(a, i, ctx, "hugepageLimits", e);
		_cleanup_free_ char *c = spec_field_index(ctx, "hugepageLimits", i);
		const char *size = NULL;
		if (!o || spec_get_str_req(o, "pageSize", c, &size, e) < 0 ||
		    jx_u64(o, "limit", c, &h->limit, NULL, e) < 0)
			return -1;
		h->page_size = str_dup(size);
		res->n_hugepage_limits++;
	}
	return 0;
}

/* A device cgroup rule; absent type/major/minor are wildcards, as in runc. */
static int parse_device_rule(const json_t *o, const char *ctx, struct spec_device_rule *d,
			     struct err *e)
{
	const char *type = NULL, *access = NULL;
	d->major = d->minor = -1;
	if (jx_bool(o, "allow", ctx, &d->allow, e) < 0 || jx_str(o, "type", ctx, &type, e) < 0 ||
	    jx_i64(o, "major", ctx, &d->major, NULL, e) < 0 ||
	    jx_i64(o, "minor", ctx, &d->minor, NULL, e) < 0 ||
	    jx_str(o, "access", ctx, &access, e) < 0)
		return -1;
	if (!type || !*type)
		type = "a";
	if (strlen(type) != 1 || !strchr("abc", type[0]))
		return err_invalid(e, "%s.type: unknown device type '%s' (want a, b or c)", ctx,
				   type);
	d->type = type[0];
	if (!access || !*access)
		return err_invalid(e, "%s.access: must not be empty", ctx);
	/* runc takes any letters and only r, w and m mean something (runc's own tests use
	 * "rwa"); keep those, once each, in canonical order. */
	size_t n = 0;
	for (const char *c = "rwm"; *c; c++)
		if (strchr(access, *c))
			d->access[n++] = *c;
	d->access[n] = '\0';
	if (n == 0)
		return err_invalid(e, "%s.access: '%s' has none of r, w, m", ctx, access);
	return 0;
}

static int parse_device_rules(const json_t *r, const char *ctx, struct spec_resources *res,
			      struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(r, "devices", ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	res->devices = xcalloc(json_array_size(a) + 1, sizeof(*res->devices));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = spec_array_obj(a, i, ctx, "devices", e);
		_cleanup_free_ char *c = spec_field_index(ctx, "devices", i);
		if (!o || parse_device_rule(o, c, &res->devices[i], e) < 0)
			return -1;
		res->n_devices++;
	}
	return 0;
}

static int parse_misc(const json_t *r, const char *ctx, struct spec_resources *res, struct err *e)
{
	json_t *pids = NULL, *net = NULL;
	_cleanup_free_ char *pctx = spec_field(ctx, "pids");
	_cleanup_free_ char *nctx = spec_field(ctx, "network");
	_cleanup_free_ char *uctx = spec_field(ctx, "unified");
	if (jx_obj(r, "pids", ctx, &pids, e) < 0 ||
	    jx_i64(pids, "limit", pctx, &res->pids_limit, &res->has_pids_limit, e) < 0 ||
	    jx_obj(r, "network", ctx, &net, e) < 0 ||
	    spec_get_u32(net, "classID", nctx, &res->network_class_id, &res->has_network_class_id,
			 e) < 0 ||
	    jx_obj(r, "unified", ctx, &res->unified, e) < 0 ||
	    spec_check_str_map(res->unified, uctx, e) < 0)
		return -1;
	return 0;
}

int spec_resources_parse(const json_t *j, const char *ctx, struct spec_resources *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return err_invalid(e, "%s: expected object, got %s",
				   ctx && *ctx ? ctx : "resources",
				   j ? jx_type_name(j) : "nothing");
	if (parse_memory(j, ctx, r, e) < 0 || parse_cpu(j, ctx, r, e) < 0 ||
	    parse_blkio(j, ctx, r, e) < 0 || parse_hugepages(j, ctx, r, e) < 0 ||
	    parse_device_rules(j, ctx, r, e) < 0 || parse_misc(j, ctx, r, e) < 0) {
		spec_resources_release(r);
		return -1;
	}
	return 0;
}

void spec_resources_release(struct spec_resources *r)
{
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->blkio_weight_devices);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	free(r->devices);
	memset(r, 0, sizeof(*r));
}
