// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for iommu-admin's parsers: a reserved_regions line, a
 * type as sysfs prints it and as a user types it, a PCI address, a group
 * number, a TARGET resolved against a small machine, the set-type journal,
 * the persisted-types file and a kernel release. The first byte picks the
 * parser; each result is checked against what it must satisfy (a journal
 * or wishes file that parses prints back to text that parses the same).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "parse.h"
#include "persist.h"
#include "rules.h"
#include "target.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char eth0[] = "eth0", nvme0n1[] = "nvme0n1";
	static char *nets[] = { eth0 }, *blocks[] = { nvme0n1 };
	struct ia_device dev = { .addr = "0000:00:02.0", .net = { nets, 1 },
				 .block = { blocks, 1 } };
	struct ia_group grp = { .id = 7, .devs = &dev, .ndevs = 1 };
	struct ia_model m = { .groups = &grp, .ngroups = 1 };
	struct resv_region r;
	const char *bad;
	char *s, addr[13], why[256];
	int id;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0:
		if (!resv_region_parse(s, &r, &bad))
			check(r.start <= r.end && strlen(r.type) > 0 && strlen(r.type) < sizeof(r.type));
		break;
	case 1: {
		/* What a type parses to is the name it prints back. */
		enum group_type t = group_type_parse(s, false);

		check(t == GROUP_TYPE_UNKNOWN || !strncmp(s, group_type_name(t), strlen(group_type_name(t))));
		check(group_type_parse(s, true) != GROUP_TYPE_BLOCKED);
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
	case 5: {
		static struct journal j, j2;
		static char text[J_MAX_DEVS * 140 + 256];
		int n;

		if (journal_parse(s, size - 1, &j, why, sizeof(why))) {
			check(why[0] != '\0');
			break;
		}
		n = journal_format(&j, text, sizeof(text));
		check(n > 0);
		check(!journal_parse(text, (size_t)n, &j2, why, sizeof(why)));
		check(!memcmp(&j, &j2, sizeof(j)));
		break;
	}
	case 6: {
		static struct wishes w;

		if (wishes_parse(s, size - 1, &w, why, sizeof(why)))
			check(why[0] != '\0');
		else
			for (int i = 0; i < w.n; i++)
				check(w.v[i].type != GROUP_TYPE_UNKNOWN && w.v[i].addr[0] &&
				      !strchr(w.v[i].addr, '/'));
		break;
	}
	case 7: {
		struct kver k;

		if (!parse_kernel_release(s, &k))
			check(k.major >= 2 && k.minor >= 0 && strlen(k.release) < sizeof(k.release));
		break;
	}
	}
	free(s);
	return 0;
}
