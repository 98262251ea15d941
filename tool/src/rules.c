// SPDX-License-Identifier: GPL-2.0
/*
 * The default-domain type rules by kernel version (SPEC §2). The kernel
 * is the judge in the end: these rules only avoid unbinding drivers for a
 * change that cannot succeed, and say why in words.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

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
		snprintf(path, sizeof(path), "%s/proc/sys/kernel/osrelease", sysroot);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
			return parse_kernel_release(buf, k);
		}
	}
	if (uname(&u))
		return -1;
	return parse_kernel_release(u.release, k);
}

static bool at_least(const struct kver *k, int major, int minor)
{
	return k->major > major || (k->major == major && k->minor >= minor);
}

void kernel_rules(const struct kver *k, const struct ia_group *g, enum group_type to,
		  struct rule_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = RULE_CHANGE;
	switch (g->type) {
	case TYPE_IDENTITY: case TYPE_DMA: case TYPE_DMA_FQ:
		break;
	case TYPE_BLOCKED:
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
		snprintf(r->why, sizeof(r->why), "group %d is already %s", g->id, type_name(to));
		return;
	}
	if (g->ndevs > 1 && !at_least(k, 6, 4)) {
		r->verdict = RULE_REFUSED;
		snprintf(r->why, sizeof(r->why), "kernel %s changes the type of single-device "
			 "groups only (it answers EINVAL); group %d has %d devices", k->release,
			 g->id, g->ndevs);
		snprintf(r->advice, sizeof(r->advice), "boot with iommu.passthrough=1 or "
			 "iommu.strict= for every group, or run a v6.4 or later kernel, which "
			 "changes multi-device groups");
		return;
	}
	if (g->type == TYPE_DMA && to == TYPE_DMA_FQ) {
		r->verdict = RULE_LIVE;
		snprintf(r->why, sizeof(r->why), "DMA to DMA-FQ is made with drivers bound: "
			 "nothing is unbound");
		return;
	}
	snprintf(r->why, sizeof(r->why), "the change needs every driver of the group unbound "
		 "(with one bound, kernel %s answers %s)", k->release,
		 at_least(k, 6, 4) ? "EPERM" : "EBUSY");
}
