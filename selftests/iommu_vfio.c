// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_vfio: the consumer the attach_dev contract exists for. VFIO type1
 * puts a second group into a container by trying the container's existing
 * domains first (an -EINVAL means "try the next one"), and allocates a new
 * domain only when none fits. Two single-device groups behind one IOMMU
 * should therefore share one domain; a driver returning the wrong code
 * makes VFIO fail, or allocate a domain per group.
 *
 * The devices (QEMU's NVMe and e1000e) are moved to vfio-pci for the test
 * and given back to their drivers at the end; that only happens with
 * IOMMU_ATTACH_UNBIND=1, as in iommu_attach.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_harness.h"
#include "iconf_test.h"
#include "iommu_sysfs.h"

#define NDEV 2
#define MAP_IOVA 0x100000UL
#define MAP_LEN (2UL << 20)

static const struct { unsigned int vendor, ids[2]; const char *what; } wanted[NDEV] = {
	{ 0x1b36, { 0x0010 }, "QEMU NVMe" },
	{ 0x8086, { 0x10d3 }, "e1000e" },
};

FIXTURE(vfio) {
	int conf;
	char bdf[NDEV][32];
	char driver[NDEV][64];
	bool moved[NDEV];
	int group[NDEV];
	int container;
	int groupfd[NDEV];
	void *buf;
	char unavailable[200];
};

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/* driver_override + drivers_probe: the device goes to @drv, or back. */
static int move_to(const char *bdf, const char *cur, const char *drv)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	ret = sysfs_write(path, drv ? drv : "\n");
	if (ret)
		return ret;
	if (cur && *cur) {
		ret = pci_unbind(bdf);
		if (ret)
			return ret;
	}
	ret = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	return ret ? ret : pci_settle(bdf);
}

FIXTURE_SETUP(vfio)
{
	const char *e = getenv("IOMMU_ATTACH_UNBIND");

	self->container = -1;
	for (int i = 0; i < NDEV; i++)
		self->groupfd[i] = -1;
	self->conf = iconf_open(self->unavailable, sizeof(self->unavailable));
	if (self->conf < 0)
		return;
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "vfio-pci is not loaded");
		return;
	}
	for (int i = 0; i < NDEV; i++) {
		if (pci_find(wanted[i].vendor, wanted[i].ids, self->bdf[i],
			     sizeof(self->bdf[i]), self->driver[i], sizeof(self->driver[i]))) {
			snprintf(self->unavailable, sizeof(self->unavailable),
				 "no %s device on this machine", wanted[i].what);
			return;
		}
		self->group[i] = group_of(self->bdf[i]);
		if (self->group[i] < 0) {
			snprintf(self->unavailable, sizeof(self->unavailable),
				 "%s has no IOMMU group", self->bdf[i]);
			return;
		}
	}
	if (!e || strcmp(e, "1")) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "moving devices to vfio-pci needs IOMMU_ATTACH_UNBIND=1");
		return;
	}
	for (int i = 0; i < NDEV; i++) {
		int ret = move_to(self->bdf[i], self->driver[i], "vfio-pci");

		self->moved[i] = true;
		ASSERT_EQ(0, ret) TH_LOG("binding %s to vfio-pci: %s", self->bdf[i],
					 strerror(-ret));
		TH_LOG("%s (%s, group %d) moved from %s to vfio-pci", self->bdf[i],
		       wanted[i].what, self->group[i],
		       self->driver[i][0] ? self->driver[i] : "no driver");
	}
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->buf)
		munmap(self->buf, MAP_LEN);
	for (int i = 0; i < NDEV; i++)
		if (self->groupfd[i] >= 0)
			close(self->groupfd[i]);
	if (self->container >= 0)
		close(self->container);
	for (int i = 0; i < NDEV; i++) {
		if (!self->moved[i])
			continue;
		/* Clear the override, then let the original driver probe. */
		if (move_to(self->bdf[i], "vfio-pci", NULL))
			TH_LOG("%s could not be given back to %s", self->bdf[i],
			       self->driver[i]);
	}
	if (self->conf >= 0)
		close(self->conf);
}

TEST_F(vfio, two_groups_one_container)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct iconf_dev_domain dd[NDEV];
	char path[64];

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	ASSERT_EQ(self->group[0] == self->group[1], false)
		TH_LOG("both devices are in group %d: the test needs two groups", self->group[0]);
	self->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->container) TH_LOG("/dev/vfio/vfio: %s", strerror(errno));
	ASSERT_EQ(VFIO_API_VERSION, sys_ioctl_val(self->container, VFIO_GET_API_VERSION, 0));
	ASSERT_EQ(1, sys_ioctl_val(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	for (int i = 0; i < NDEV; i++) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", self->group[i]);
		self->groupfd[i] = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->groupfd[i]) TH_LOG("%s: %s", path, strerror(errno));
		ASSERT_EQ(0, sys_ioctl(self->groupfd[i], VFIO_GROUP_GET_STATUS, &st));
		ASSERT_TRUE(!!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
			TH_LOG("group %d is not viable", self->group[i]);
		ASSERT_EQ(0, sys_ioctl(self->groupfd[i], VFIO_GROUP_SET_CONTAINER, &self->container))
			TH_LOG("group %d into the container: %s", self->group[i], strerror(errno));
		/* The IOMMU model is chosen once the first group is in. */
		if (i == 0)
			ASSERT_EQ(0, sys_ioctl_val(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
				TH_LOG("VFIO_SET_IOMMU: %s", strerror(errno));
		TH_LOG("group %d joined the container", self->group[i]);
	}
	self->buf = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	map.vaddr = (unsigned long)self->buf;
	map.iova = MAP_IOVA;
	map.size = MAP_LEN;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	ASSERT_EQ(0, sys_ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map))
		TH_LOG("VFIO_IOMMU_MAP_DMA: %s", strerror(errno));

	for (int i = 0; i < NDEV; i++) {
		struct iconf_dev_get g;

		iconf_dev_get(self->conf, self->bdf[i], &g);
		iconf_dev_domain(self->conf, g.dev_id, &dd[i]);
		TH_LOG("%s is on a domain of type %u, identity %016llx", self->bdf[i],
		       dd[i].type, (unsigned long long)dd[i].cookie);
		/* IOMMU_DOMAIN_UNMANAGED: a domain VFIO allocated, not the default. */
		ASSERT_EQ(1U, dd[i].type) TH_LOG("not on an unmanaged domain");
	}
	TH_LOG("VFIO %s", dd[0].cookie == dd[1].cookie ?
	       "reused one domain for both groups" : "needed a domain per group");
	ASSERT_EQ(dd[0].cookie, dd[1].cookie)
		TH_LOG("two groups behind one IOMMU did not share a domain: a compatible domain was refused");
	unmap.iova = MAP_IOVA;
	unmap.size = MAP_LEN;
	ASSERT_EQ(0, sys_ioctl(self->container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_EQ(MAP_LEN, unmap.size);
}
