/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel accepts in /sys/kernel/iommu_groups/N/type
 * (SPEC §2), so that iommu-admin refuses up front what the kernel would
 * refuse, and unbinds nothing for a change the kernel makes live.
 */
#ifndef IA_RULES_H
#define IA_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct kver {
	int major, minor;
	char release[65];
};

/* "6.1.0-56-amd64" -> 6.1. 0, or -1 if it does not start "M.N". */
int parse_kernel_release(const char *s, struct kver *k);

/*
 * The release of the running kernel (uname), or below a @sysroot other
 * than "/" the tree's (proc/sys/kernel/osrelease; -1 when it has none).
 */
int kernel_release(const char *sysroot, struct kver *k);

enum rule_verdict {
	RULE_CHANGE,	/* allowed once every device is unbound */
	RULE_LIVE,	/* allowed with drivers bound (DMA -> DMA-FQ) */
	RULE_NOOP,	/* already that type */
	RULE_REFUSED,	/* the kernel would refuse it */
};

struct rule_result {
	enum rule_verdict verdict;
	char why[320];		/* the rule, in words */
	char advice[320];	/* what the user can do, "" if nothing */
};

/*
 * The IOMMU driver of the machine below @sysroot, as the selftests name it
 * for contracts/kernel_hazards.def: "virtio" when a virtio-iommu device is
 * bound, else "" (the hazards of the others are not iommu-admin's).
 */
const char *iommu_driver_at(const char *sysroot);

/* @driver: iommu_driver_at()'s, for the kernels a change would crash. */
void kernel_rules(const struct kver *k, const char *driver, const struct ia_group *g,
		  enum group_type to, struct rule_result *r);

#endif
