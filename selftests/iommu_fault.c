// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_fault: does a real DMA fault reach the domain's fault handler?
 * (SPEC §3, domain-level API.) edu writes to an IOVA its test domain does
 * not map, with a handler installed by iommu_set_fault_handler(). The
 * write must not reach memory, whatever the driver reports; a reported
 * fault must carry that IOVA and the write direction. A driver that does
 * not report to this API (intel and arm-smmu-v3 in 6.1) is said to be so,
 * as a SKIP with the kernel's own fault lines: never as a pass. Where the
 * driver's fault lines do not carry the IOVA edu wrote to, the fault
 * arrived mangled (a SKIP that says so).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_harness.h"
#include "iconf_test.h"
#include "kmsg.h"

#define IOMMU_FAULT_WRITE 0x1	/* include/linux/iommu.h */

FIXTURE(fault) {
	int fd;
	unsigned int dev;
	char unavailable[200];
};

FIXTURE_SETUP(fault)
{
	static const unsigned int edu_ids[] = { 0x11e8, 0 };
	struct iconf_dev_get g = { .size = sizeof(g) };
	char bdf[32], drv[64];

	self->fd = iconf_open(self->unavailable, sizeof(self->unavailable));
	if (self->fd < 0)
		return;
	if (pci_find(0x1234, edu_ids, bdf, sizeof(bdf), drv, sizeof(drv)) ||
	    strcmp(drv, "iconf_edu")) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no edu device bound to iconf_edu");
		return;
	}
	iconf_dev_get(self->fd, bdf, &g);
	if (g.group_id < 0)
		snprintf(self->unavailable, sizeof(self->unavailable), "edu has no IOMMU group");
	self->dev = g.dev_id;
}

FIXTURE_TEARDOWN(fault)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(fault, unmapped_dma_reaches_handler)
{
	struct iconf_faults fl = { .watch = 1 };
	struct iconf_edu_dma e;
	struct kmsg_window log;
	unsigned int dom;
	int ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	dom = iconf_domain_alloc(self->fd, self->dev);
	iconf_attach(self->fd, self->dev, dom);
	fl.dom_id = dom;
	iconf_faults(self->fd, &fl);

	kmsg_mark(&log);
	/* The mapped half's outcome is not this test's: the unmapped write is. */
	ret = _iconf_edu_dma(self->fd, self->dev, dom, &e);
	ASSERT_FALSE(iconf_refused(ret)) TH_LOG("ICONF_EDU_DMA: %s", errno_name(ret));
	/* Fault reports come from the IOMMU's interrupt: give them a second. */
	for (int i = 0; i < 20; i++) {
		fl.watch = 0;
		fl.count = 0;
		fl.iova = 0;
		fl.flags = 0;
		fl.dev[0] = '\0';
		iconf_faults(self->fd, &fl);
		if (fl.count)
			break;
		usleep(50000);
	}
	kmsg_collect(&log);
	for (int i = 0; i < log.lines && i < (int)ARRAY_SIZE(log.text); i++)
		TH_LOG("kernel: %s", log.text[i]);
	ASSERT_TRUE(!!(e.result & ICONF_EDU_UNMAPPED_RUN));
	TH_LOG("edu wrote to unmapped IOVA 0x%llx", (unsigned long long)e.unmapped_iova);
	/* Whatever the report, the write must have gone nowhere. */
	ASSERT_FALSE(!!(e.result & ICONF_EDU_CANARY_HIT))
		TH_LOG("DMA to an unmapped IOVA reached memory");
	/*
	 * Which drivers call report_iommu_fault() is a fact about a kernel:
	 * it lives in that kernel's profile and the README, not here. The
	 * skip says what this run saw.
	 */
	if (!fl.count) {
		int kept = log.lines < (int)ARRAY_SIZE(log.text) ? log.lines : (int)ARRAY_SIZE(log.text);
		int fault_lines = 0, carrying = 0, first = -1;
		struct utsname u;

		uname(&u);
		for (int i = 0; i < kept; i++) {
			/* A driver may print the IOVA on a line of its own. */
			carrying += kmsg_names_iova(log.text[i], e.unmapped_iova);
			/* printk's rate-limit notice names the function, not a fault. */
			if (!strcasestr(log.text[i], "fault") ||
			    strstr(log.text[i], "callbacks suppressed"))
				continue;
			fault_lines++;
			if (first < 0)
				first = i;
		}
		/*
		 * The driver saw a fault, but no line of it names the IOVA edu
		 * wrote to: what the IOMMU (here, QEMU's model of it) put in its
		 * event differs from what the device did.
		 */
		if (fault_lines && !carrying)
			SKIP(return, "mangled: %s on %s never called the domain's fault handler, and none of its %d line(s) names IOVA 0x%llx, which edu wrote to; the first fault line: %.120s",
			     *iommu_driver() ? iommu_driver() : "this IOMMU", u.release, kept,
			     (unsigned long long)e.unmapped_iova, log.text[first]);
		if (first < 0)
			first = 0;
		SKIP(return, "not delivered: %s on %s never called the domain's fault handler; the kernel logged %d line(s)%s%.120s",
		     *iommu_driver() ? iommu_driver() : "this IOMMU", u.release, log.lines,
		     log.lines ? (fault_lines ? ", the first fault line: " : ", first: ") : "",
		     log.lines ? log.text[first] : "");
	}
	TH_LOG("handler called %u time(s): first IOVA 0x%llx, flags 0x%x, device %s", fl.count,
	       (unsigned long long)fl.iova, fl.flags, fl.dev);
	ASSERT_EQ(e.unmapped_iova, fl.iova) TH_LOG("the reported IOVA is not the faulting one");
	ASSERT_TRUE(!!(fl.flags & IOMMU_FAULT_WRITE)) TH_LOG("a write reported as a read");
}
