// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_fail_nth: allocation failures injected at every depth of two
 * paths, as the kernel's iommufd_fail_nth does for iommufd: the module's
 * attach path (claim DMA ownership, allocate a domain, attach, map a page,
 * detach, free, release) and the sysfs type store. For N = 1, 2, ... the
 * Nth fault-injection point the test's thread reaches fails
 * (/proc/thread-self/fail-nth, with failslab and fail_page_alloc taking
 * sleeping allocations too), until an iteration runs with no failure left
 * to inject. Each iteration must end with a clean state: the operation
 * either succeeded or returned an error, and the device is back on its
 * default domain, with its old type, and its DMA works. WARNs, oopses and
 * leaks are the console scanner's and kmemleak's to report.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the gate's debug lane); SKIPs
 * elsewhere with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_client.h"
#include "iommu_sysfs.h"

#define MAX_DEPTH 5000U
#define DBG "/sys/kernel/debug"

/*
 * Arm the Nth injection point of this thread. The file is opened before
 * arming: the open's own allocations must not count.
 */
static int arm(int nth_fd, unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(nth_fd, buf, (size_t)len, 0) == len ? 0 : -errno;
}

/* Whatever is left of the count: 0 if the Nth point was reached. */
static long disarm(int nth_fd)
{
	char buf[16] = "";
	long left;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	left = strtol(buf, NULL, 10);
	pwrite(nth_fd, "0", 1, 0);
	return left;
}

FIXTURE(fail_nth) {
	char unavailable[256];
	char dev[32];
	char driver[64];
	char type_path[PATH_MAX];
	char boot_type[32];
	int nth_fd;
	bool is_pci;
};

FIXTURE_SETUP(fail_nth)
{
	static const unsigned int edu_ids[] = { 0x11e8, 0 };
	char why[256], link[PATH_MAX];
	int fd;

	self->nth_fd = -1;
	if (access("/proc/thread-self/fail-nth", W_OK) || access(DBG "/failslab", F_OK)) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no fail-nth or failslab: needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (make gate KERNEL=debug)");
		return;
	}
	fd = iconf_open(why, sizeof(why));
	if (fd < 0) {
		snprintf(self->unavailable, sizeof(self->unavailable), "%s", why);
		return;
	}
	close(fd);
	if (!pci_find(0x1234, edu_ids, self->dev, sizeof(self->dev), self->driver,
		      sizeof(self->driver))) {
		self->is_pci = true;
		snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group/type", self->dev);
	} else {
		snprintf(self->dev, sizeof(self->dev), ICONF_MOCK_PREFIX "0");
		snprintf(link, sizeof(link), "/sys/bus/platform/devices/%s/iommu_group/type",
			 self->dev);
	}
	if (access(link, R_OK)) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "neither edu nor the mock's device is in an IOMMU group");
		return;
	}
	snprintf(self->type_path, sizeof(self->type_path), "%s", link);
	ASSERT_LT(0, sysfs_read_str(self->type_path, self->boot_type, sizeof(self->boot_type)));
	/* Sleeping allocations (most of these paths') are fair game too. */
	ASSERT_EQ(0, sysfs_write(DBG "/failslab/ignore-gfp-wait", "N"));
	if (!access(DBG "/fail_page_alloc", F_OK)) {
		ASSERT_EQ(0, sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "N"));
		ASSERT_EQ(0, sysfs_write(DBG "/fail_page_alloc/min-order", "0"));
	}
	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
	TH_LOG("%s (driver %s), group type %s", self->dev,
	       self->driver[0] ? self->driver : "none", self->boot_type);
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->nth_fd >= 0) {
		pwrite(self->nth_fd, "0", 1, 0);
		close(self->nth_fd);
	}
	sysfs_write(DBG "/failslab/ignore-gfp-wait", "Y");
	if (!access(DBG "/fail_page_alloc", F_OK)) {
		sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "Y");
		sysfs_write(DBG "/fail_page_alloc/min-order", "1");
	}
}

/* The device is on its default domain, and its DMA works. 0 or a reason in @why. */
static int clean_state(const char *dev, char *why, size_t whylen)
{
	struct iconf_dev_get g = { .size = sizeof(g) };
	struct iconf_dev_domain w = { .size = sizeof(w) };
	struct iconf_edu_dma e;
	int fd = iconf_open(why, whylen), ret;

	if (fd < 0)
		return -1;
	snprintf(g.name, sizeof(g.name), "%s", dev);
	ret = iconf_call(fd, ICONF_DEV_GET, &g);
	w.dev_id = g.dev_id;
	if (!ret)
		ret = iconf_call(fd, ICONF_DEV_DOMAIN, &w);
	close(fd);
	if (ret || w.where != ICONF_ON_BOOT) {
		snprintf(why, whylen, "%s on %s, not its default domain (%s)", dev,
			 where_name(w.where), errno_name(ret));
		return -1;
	}
	if (dma_via_current_domain(dev, &e, why, whylen))
		return -1;
	if (!(e.result & ICONF_EDU_ARRIVED)) {
		snprintf(why, whylen, "%s's DMA broken (result 0x%x)", dev, e.result);
		return -1;
	}
	return 0;
}

/* One pass of the attach path; the first failure, named, in @step. */
static int attach_path(int fd, unsigned int dev, const char **step)
{
	struct iconf_own o = { .size = sizeof(o), .dev_id = dev, .own = 1 };
	struct iconf_domain_alloc a = { .size = sizeof(a), .dev_id = dev };
	struct iconf_map m = { .size = sizeof(m), .iova = 1ULL << 20, .length = 4096 };
	struct iconf_attach at = { .size = sizeof(at), .dev_id = dev };
	struct iconf_domain_free f = { .size = sizeof(f) };
	int ret;

	*step = "own";
	ret = iconf_call(fd, ICONF_OWN, &o);
	if (ret || o.api_ret)
		return ret ? ret : o.api_ret;
	*step = "domain_alloc";
	ret = iconf_call(fd, ICONF_DOMAIN_ALLOC, &a);
	if (ret || a.api_ret)
		return ret ? ret : a.api_ret;
	/*
	 * Attach, then map, as VFIO does: v6.1's virtio-iommu oopses on a map
	 * into a domain no device is attached to (the unwind of a refused map
	 * syncs the IOTLB of a NULL viommu: fixtures/console/).
	 */
	*step = "attach";
	at.dom_id = a.dom_id;
	ret = iconf_call(fd, ICONF_ATTACH, &at);
	if (ret || at.api_ret)
		return ret ? ret : at.api_ret;
	*step = "map";
	m.dom_id = a.dom_id;
	ret = iconf_call(fd, ICONF_MAP, &m);
	if (ret || m.api_ret)
		return ret ? ret : (int)m.api_ret;
	*step = "detach";
	ret = iconf_call(fd, ICONF_DETACH, &at);
	if (ret)
		return ret;
	*step = "domain_free";
	f.dom_id = a.dom_id;
	ret = iconf_call(fd, ICONF_DOMAIN_FREE, &f);
	if (ret)
		return ret;
	*step = "release";
	o.own = 0;
	o.api_ret = 0;
	ret = iconf_call(fd, ICONF_OWN, &o);
	return ret ? ret : o.api_ret;
}

TEST_F_TIMEOUT(fail_nth, attach_path, 1800)
{
	unsigned int nth, failed = 0;
	char why[256];

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	for (nth = 1; nth <= MAX_DEPTH; nth++) {
		struct iconf_dev_get g = { .size = sizeof(g) };
		const char *step = "";
		long left;
		int fd = iconf_open(why, sizeof(why)), ret;

		ASSERT_LE(0, fd) TH_LOG("%s", why);
		snprintf(g.name, sizeof(g.name), "%s", self->dev);
		ASSERT_EQ(0, iconf_call(fd, ICONF_DEV_GET, &g));
		ASSERT_EQ(0, arm(self->nth_fd, nth));
		ret = attach_path(fd, g.dev_id, &step);
		left = disarm(self->nth_fd);
		/* Closing undoes whatever the pass left (the module's contract). */
		close(fd);
		if (ret)
			failed++;
		ASSERT_EQ(0, clean_state(self->dev, why, sizeof(why)))
			TH_LOG("after failure %u (%s: %s): %s", nth, step, errno_name(ret), why);
		if (left > 0) {
			ASSERT_EQ(0, ret) TH_LOG("no failure injected, yet %s: %s", step,
						 errno_name(ret));
			TH_LOG("%u injection points; %u passes failed cleanly, one ran through",
			       nth - 1, failed);
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("still failing at depth %u", MAX_DEPTH);
}

TEST_F_TIMEOUT(fail_nth, type_store, 1800)
{
	const char *to = strcmp(self->boot_type, "identity") ? "identity" : "DMA";
	unsigned int nth, failed = 0;
	char why[256], now[32];
	int ret = 0;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	if (self->driver[0])
		ASSERT_EQ(0, pci_unbind(self->dev));
	for (nth = 1; nth <= MAX_DEPTH; nth++) {
		int tfd = open(self->type_path, O_WRONLY | O_CLOEXEC);
		long left;
		ssize_t n;

		ASSERT_LE(0, tfd);
		ASSERT_EQ(0, arm(self->nth_fd, nth));
		n = write(tfd, to, strlen(to));
		ret = n < 0 ? -errno : 0;
		left = disarm(self->nth_fd);
		close(tfd);
		ASSERT_LT(0, sysfs_read_str(self->type_path, now, sizeof(now)));
		if (ret) {
			failed++;
			/* A failed store keeps the old default domain (SPEC §2). */
			ASSERT_STREQ(self->boot_type, now)
				TH_LOG("failure %u: %s, yet the type is %s", nth, errno_name(ret), now);
		} else {
			ASSERT_STREQ(to, now);
			ASSERT_EQ(0, sysfs_write(self->type_path, self->boot_type));
		}
		if (left > 0)
			break;
	}
	if (self->driver[0])
		ASSERT_EQ(0, pci_bind(self->dev, self->driver));
	ASSERT_GE(MAX_DEPTH, nth) TH_LOG("still failing at depth %u", MAX_DEPTH);
	ASSERT_EQ(0, ret) TH_LOG("no failure injected, yet the store failed: %s", errno_name(ret));
	ASSERT_EQ(0, clean_state(self->dev, why, sizeof(why))) TH_LOG("%s", why);
	TH_LOG("%u injection points; %u stores failed cleanly, one went through", nth - 1, failed);
}

TEST_HARNESS_MAIN
