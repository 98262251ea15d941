/* SPDX-License-Identifier: GPL-2.0 */
/* Parsers of what sysfs and the command line give iommu-admin. */
#ifndef IA_PARSE_H
#define IA_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of /sys/kernel/iommu_groups/N/reserved_regions. */
struct resv_region {
	uint64_t start, end;
	char type[24];		/* direct, direct-relaxable, reserved, msi, ... */
};

/* "0x00000000fee00000 0x00000000feefffff msi": 0, or -1 if malformed. */
int parse_resv_line(const char *line, struct resv_region *r);

/* The types sysfs shows and accepts. */
enum group_type { TYPE_UNKNOWN, TYPE_IDENTITY, TYPE_DMA, TYPE_DMA_FQ, TYPE_BLOCKED, TYPE_AUTO };

/* The type file's text ("DMA-FQ\n"), or what a user typed (also "auto"). */
enum group_type parse_type(const char *s, bool user);
const char *type_name(enum group_type t);

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
