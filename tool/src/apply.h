/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IA_APPLY_H
#define IA_APPLY_H

#include "change.h"

/* Apply the persisted types (only @only's, if not NULL). */
int cmd_apply(const struct set_opts *o, const char *only);
int cmd_unpersist(const struct set_opts *o, const char *target);
int cmd_list_persisted(const struct set_opts *o);

#endif
