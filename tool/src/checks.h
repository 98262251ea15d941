/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Safety checks before a group's drivers are unbound: what each device
 * carries that an unbind would take away (addresses and routes, mounted
 * filesystems, swap, the root filesystem, a vfio user).
 */
#ifndef IA_CHECKS_H
#define IA_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

enum verdict {
	V_OK,		/* nothing in the way */
	V_INFO,		/* said, not judged (a check that cannot run here) */
	V_FORCE,	/* refused unless --force */
	V_REFUSED,	/* refused; --force does not override */
};

struct finding {
	char device[64];
	char check[16];		/* driver, network, block, root */
	enum verdict v;
	char text[480];
};

struct findings {
	struct finding *v;
	int n;
};

const char *verdict_name(enum verdict v);

/*
 * Check every device of @g. Live state (netlink, /proc) is read from the
 * running host when @sysroot is "/"; below another sysroot, from its
 * proc/self/mountinfo and proc/swaps if recorded, and the network is not
 * checked (said as V_INFO). @unbind: whether the change unbinds the
 * drivers (not for a change the kernel makes live).
 */
void check_group(const char *sysroot, const struct ia_group *g, bool unbind, struct findings *f);
void findings_free(struct findings *f);
/* The worst verdict of @f, counting V_FORCE as V_OK when @force. */
enum verdict findings_worst(const struct findings *f, int force);

/* CAP_SYS_ADMIN and CAP_SYS_RAWIO, both needed to write a group's type. 0 or -1 + @why. */
int check_privilege(char *why, size_t whylen);

#endif
