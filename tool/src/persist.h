/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Persistence: the wished types in ROOT/etc/iommu-admin/types.conf, one
 * "DEVICE TYPE" line each, applied at boot by the shipped udev rule (on
 * the device's add event, before udev loads its driver) and systemd unit
 * (before udev's coldplug), both calling "iommu-admin apply".
 */
#ifndef IA_PERSIST_H
#define IA_PERSIST_H

#include <stddef.h>

#include "parse.h"

#define P_MAX 256

struct wish {
	char addr[64];
	enum group_type type;
};

struct wishes {
	struct wish v[P_MAX];
	int n;
};

/* 0, or -1 with @why naming the bad line. */
int wishes_parse(const char *buf, size_t len, struct wishes *w, char *why, size_t whylen);
/* Read ROOT/etc/iommu-admin/types.conf (none: empty). 0, or -1 + @why. */
int wishes_load(const char *root, struct wishes *w, char *why, size_t whylen);
/* Write @w back. 0, or -1 + @why. */
int wishes_save(const char *root, const struct wishes *w, char *why, size_t whylen);
/* The shipped boot hooks, as make install and the package name them. */
#define HOOK_RULE "70-iommu-admin.rules"
#define HOOK_UNIT "iommu-admin-apply.service"
/* Whether both are where udev and systemd read them, below @root. 0, or -1 + @why. */
int hooks_installed(const char *root, char *why, size_t whylen);
/* Set (0; -1 when P_MAX devices have one) or drop the wish for @addr. */
int wishes_set(struct wishes *w, const char *addr, enum group_type t);
int wishes_drop(struct wishes *w, const char *addr);

#endif
