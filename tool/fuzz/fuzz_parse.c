// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for iommu-admin's parsers: a reserved_regions line, a
 * type as sysfs prints it and as a user types it, a PCI address, a group
 * number, and a TARGET resolved against a small machine. The first byte
 * picks the parser; each result is checked against what it must satisfy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "target.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char names[2][32] = { "eth0", "nvme0n1" };
	struct ia_device dev = { .addr = "0000:00:02.0", .nnet = 1, .nblock = 1 };
	struct ia_group grp = { .id = 7, .devs = &dev, .ndevs = 1 };
	struct ia_model m = { .groups = &grp, .ngroups = 1 };
	struct resv_region r;
	char *s, addr[13], why[256];
	int id;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	memcpy(dev.net[0], names[0], sizeof(names[0]));
	memcpy(dev.block[0], names[1], sizeof(names[1]));
	switch (data[0] % 5) {
	case 0:
		if (!parse_resv_line(s, &r))
			check(r.start <= r.end && strlen(r.type) > 0 && strlen(r.type) < sizeof(r.type));
		break;
	case 1: {
		/* What a type parses to is the name it prints back. */
		enum group_type t = parse_type(s, false);

		check(t == TYPE_UNKNOWN || !strncmp(s, type_name(t), strlen(type_name(t))));
		check(parse_type(s, true) != TYPE_BLOCKED);
		break;
	}
	case 2:
		if (!parse_pci_addr(s, addr))
			check(strlen(addr) == 12 && addr[4] == ':' && addr[7] == ':' && addr[10] == '.');
		break;
	case 3:
		if (!parse_group_number(s, &id))
			check(id >= 0);
		break;
	case 4:
		id = resolve_target(&m, s, why, sizeof(why));
		check(id == 0 || (id == -1 && why[0]));
		break;
	}
	free(s);
	return 0;
}
