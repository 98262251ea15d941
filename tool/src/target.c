// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "target.h"

int resolve_target(const struct ia_model *m, const char *t, char *why, size_t whylen)
{
	char addr[13];
	int id;

	if (!*t) {
		snprintf(why, whylen, "empty TARGET");
		return -1;
	}
	if (!parse_group_number(t, &id)) {
		for (int i = 0; i < m->ngroups; i++)
			if (m->groups[i].id == id)
				return i;
		snprintf(why, whylen, "no IOMMU group %d here", id);
		return -1;
	}
	if (!parse_pci_addr(t, addr)) {
		for (int i = 0; i < m->ngroups; i++)
			for (int j = 0; j < m->groups[i].ndevs; j++)
				if (!strcmp(m->groups[i].devs[j].addr, addr))
					return i;
		snprintf(why, whylen, "no device %s in any IOMMU group here", addr);
		return -1;
	}
	if (looks_like_pci_addr(t)) {
		snprintf(why, whylen, "'%s': malformed PCI address (want 00:02.0 or 0000:00:02.0)", t);
		return -1;
	}
	/* A device by its own name: the mock IOMMU's platform devices. */
	for (int i = 0; i < m->ngroups; i++)
		for (int j = 0; j < m->groups[i].ndevs; j++)
			if (!strcmp(m->groups[i].devs[j].addr, t))
				return i;
	if (!strncmp(t, "/dev/", 5))
		t += 5;
	for (int i = 0; i < m->ngroups; i++)
		for (int j = 0; j < m->groups[i].ndevs; j++) {
			const struct ia_device *d = &m->groups[i].devs[j];

			for (int k = 0; k < d->net.n; k++)
				if (!strcmp(d->net.v[k], t))
					return i;
			for (int k = 0; k < d->block.n; k++)
				if (!strcmp(d->block.v[k], t))
					return i;
		}
	snprintf(why, whylen,
		 "'%s': not a group number, PCI address, network interface or block device of an IOMMU group here",
		 t);
	return -1;
}
