// SPDX-License-Identifier: GPL-2.0
/*
 * The default-domain type rules by kernel version (SPEC §2), as
 * contracts/type_rules.def gives them (the table the selftests check the
 * kernels against). The kernel is the judge in the end: these rules only
 * avoid unbinding drivers for a change that cannot succeed, and say why in
 * words.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "contracts.h"
#include "iommu_abi.h"
#include "rules.h"

int parse_kernel_release(const char *s, struct kver *k)
{
	int n = 0;

	memset(k, 0, sizeof(*k));
	if (sscanf(s, "%4d.%4d%n", &k->major, &k->minor, &n) != 2 || k->major < 2 ||
	    k->minor < 0 || (s[n] && s[n] != '.' && s[n] != '-' && s[n] != '+' && s[n] != '\n'))
		return -1;
	snprintf(k->release, sizeof(k->release), "%.*s", (int)strcspn(s, "\n"), s);
	return 0;
}

int kernel_release(const char *sysroot, struct kver *k)
{
	char path[4096], buf[128] = "";
	struct utsname u;
	FILE *f;

	if (strcmp(sysroot, "/")) {
		/* A tree's kernel is its own: this machine's rules would be a guess. */
		snprintf(path, sizeof(path), "%s/proc/sys/kernel/osrelease", sysroot);
		f = fopen(path, "re");
		if (!f)
			return -1;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		return parse_kernel_release(buf, k);
	}
	if (uname(&u))
		return -1;
	return parse_kernel_release(u.release, k);
}

/* What kernel @k answers to a write of @row: 0 or -errno (or unverified). */
static int answer(const struct kver *k, const char *row)
{
	return type_answer(row, type_profile_of(k->major, k->minor));
}

static const char *answer_name(int a)
{
	return a == 0 ? "0" : a < 0 && strerrorname_np(-a) ? strerrorname_np(-a) : "an unverified answer";
}

/* The first kernel column whose answer to @row is 0 ("v6.4"), or NULL. */
static const char *first_allowing(const char *row)
{
	for (int p = 0; p < TYPE_PROFILES; p++)
		if (type_answer(row, p) == 0)
			return type_profile_name(p);
	return NULL;
}

const char *iommu_driver_at(const char *sysroot)
{
	char path[4096];
	struct dirent *e;
	bool bound = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/bus/virtio/drivers/virtio_iommu",
		 sysroot_prefix(sysroot));
	d = opendir(path);
	while (d && !bound && (e = readdir(d)))
		bound = !strncmp(e->d_name, "virtio", 6);
	if (d)
		closedir(d);
	return bound ? "virtio" : "";
}

void kernel_rules(const struct kver *k, const char *driver, const struct ia_group *g,
		  enum group_type to, struct rule_result *r)
{
	const struct kernel_hazard *h;

	memset(r, 0, sizeof(*r));
	r->verdict = RULE_CHANGE;
	switch (g->type) {
	case GROUP_TYPE_IDENTITY: case GROUP_TYPE_DMA: case GROUP_TYPE_DMA_FQ:
		break;
	case GROUP_TYPE_BLOCKED:
		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "group %d has no default domain the kernel can "
			 "replace (type '%s')", g->id, g->type_text);
		return;
	default:
		/* "unmanaged" and the like: a user of the IOMMU API owns it. */
		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "group %d is of type '%s': its default domain "
			 "is not in use, the kernel refuses any change", g->id, g->type_text);
		snprintf(r->advice, sizeof(r->advice), "release the group from whatever owns "
			 "it (a VM through vfio, a userspace driver) first");
		return;
	}
	if (to == g->type) {
		r->verdict = RULE_NOOP;
		snprintf(r->why, sizeof(r->why), "group %d is already %s", g->id, group_type_name(to));
		return;
	}
	/* Before the kernels this project runs, what their sysfs allowed at all. */
	if (k->major < 5 || (k->major == 5 && k->minor < 11)) {
		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "kernel %s's type file is read-only (v5.11 made "
			 "it writable)", k->release);
		snprintf(r->advice, sizeof(r->advice), "choose at boot for every group "
			 "(iommu.passthrough=, iommu.strict=), or run v5.11 or later");
		return;
	}
	if (to == GROUP_TYPE_DMA_FQ && k->major == 5 && k->minor < 15) {
		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "kernel %s has no DMA-FQ type (v5.15 added it)",
			 k->release);
		snprintf(r->advice, sizeof(r->advice), "DMA with iommu.strict=0 at boot gives "
			 "every group lazy invalidation");
		return;
	}
	h = kernel_hazard_at(HAZARD_fq_flush_iotlb_null, driver, k->major, k->minor);
	if (to == GROUP_TYPE_DMA_FQ && h) {
		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "kernel %s: %s", k->release, h->why);
		snprintf(r->advice, sizeof(r->advice), "keep DMA (strict) on this kernel; v6.4 "
			 "and later refuse a flush queue the driver cannot flush");
		return;
	}
	if (g->ndevs > 1 && answer(k, "multi_device") != 0) {
		const char *from = first_allowing("multi_device");

		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "kernel %s changes the type of single-device "
			 "groups only (it answers %s); group %d has %d devices", k->release,
			 answer_name(answer(k, "multi_device")), g->id, g->ndevs);
		snprintf(r->advice, sizeof(r->advice), "boot with iommu.passthrough=1 or "
			 "iommu.strict= for every group%s%s%s", from ? ", or run a " : "",
			 from ? from : "", from ? " or later kernel, which changes multi-device "
			 "groups" : "");
		return;
	}
	if (g->type == GROUP_TYPE_DMA && to == GROUP_TYPE_DMA_FQ && answer(k, "bound_dma_to_fq") == 0) {
		r->verdict = RULE_LIVE;
		snprintf(r->why, sizeof(r->why), "DMA to DMA-FQ is made with drivers bound: "
			 "nothing is unbound");
		return;
	}
	snprintf(r->why, sizeof(r->why), "the change needs every driver of the group unbound "
		 "(with one bound, kernel %s answers %s)", k->release,
		 answer_name(answer(k, "bound_change")));
}
