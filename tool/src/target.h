/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IA_TARGET_H
#define IA_TARGET_H

#include <stddef.h>

#include "model.h"

/*
 * The group a TARGET names: a group number, a PCI address (short or full),
 * a network interface or a block device ("/dev/" allowed). Its index in
 * @m, or -1 with @why naming what is wrong.
 */
int resolve_target(const struct ia_model *m, const char *target, char *why, size_t whylen);

#endif
