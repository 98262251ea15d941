// SPDX-License-Identifier: GPL-2.0
/*
 * iconf_dma_check DEVICE [identity|translated]: one DMA round trip by
 * the device (edu, or a mock IOMMU device) through its current domain,
 * for scripts that change a group's type (tool/tests/e2e.sh). Prints the
 * bus and physical addresses; exit 0 if the data arrived and, when asked,
 * the bus address is (identity) or is not (translated) the physical one.
 * Loads the conformance module from $IOMMU_CONF_KO if it is not loaded.
 */
#include <stdio.h>
#include <string.h>

#include "iconf_client.h"

int main(int argc, char **argv)
{
	struct iconf_edu_dma e;
	char why[256];
	int ok;

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && strcmp(argv[2], "identity") && strcmp(argv[2], "translated"))) {
		fprintf(stderr, "usage: iconf_dma_check DEVICE [identity|translated]\n");
		return 2;
	}
	if (dma_via_current_domain(argv[1], &e, why, sizeof(why))) {
		printf("%s: %s\n", argv[1], why);
		return 1;
	}
	ok = !!(e.result & ICONF_EDU_ARRIVED);
	if (argc == 3 && !strcmp(argv[2], "identity"))
		ok = ok && e.dma_addr == e.phys_addr;
	if (argc == 3 && !strcmp(argv[2], "translated"))
		ok = ok && e.dma_addr != e.phys_addr;
	printf("%s: data %s, bus address 0x%llx, physical 0x%llx (result 0x%x)\n", argv[1],
	       e.result & ICONF_EDU_ARRIVED ? "arrived" : "did NOT arrive",
	       (unsigned long long)e.dma_addr, (unsigned long long)e.phys_addr, e.result);
	return ok ? 0 : 1;
}
