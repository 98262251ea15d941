/* SPDX-License-Identifier: GPL-2.0 */
/* Parsers of what sysfs and the command line give iommu-admin. */
#ifndef IA_PARSE_H
#define IA_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reserved regions and group types: lib/iommu_abi.h, shared with the selftests. */
#include "iommu_abi.h"

/*
 * A PCI address, short ("00:02.0") or full ("0000:00:02.0"), into the
 * full lower-case form. 0; -1 if @s is not one.
 */
int parse_pci_addr(const char *s, char out[13]);
/* Does @s look like an attempt at a PCI address (for the error message)? */
bool looks_like_pci_addr(const char *s);

/* A group number: 0..INT_MAX, digits only. 0 or -1. */
int parse_group_number(const char *s, int *out);

#endif
