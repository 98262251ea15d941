/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace side of the conformance module: opening it, finding test
 * devices, and the facts a test reports (errno names, kernel lines).
 */
#ifndef ICONF_CLIENT_H
#define ICONF_CLIENT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include "uapi/iommu_conformance.h"

/* Open /dev/iommu_conformance, loading the module if needed (iconf_client.c says how). */
int iconf_open(char *why, size_t whylen);
/*
 * The one place the selftests make an ioctl of the module: 0, or -errno
 * of the request itself (a refused id or size). What the IOMMU API
 * answered is in the argument's api_ret.
 */
static inline int iconf_call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * A request the module refused itself (-@e: an unknown id, a bad size),
 * as iconf_test.h's _iconf_<op>() return it: outside the errno range, so
 * it never equals what the IOMMU API answers. errno_name() names it.
 */
#define ICONF_REFUSED_BASE	0x10000
#define ICONF_REFUSED(e)	(-(ICONF_REFUSED_BASE + (e)))

static inline bool iconf_refused(int ret)
{
	return ret <= -ICONF_REFUSED_BASE;
}

/*
 * Another subsystem's ioctl (VFIO's, a socket's), with a pointer or a
 * value: what it returned, or -errno, so a failed assertion names why.
 */
static inline int sys_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static inline int sys_ioctl_val(int fd, unsigned long req, unsigned long val)
{
	int ret = ioctl(fd, req, val);

	return ret < 0 ? -errno : ret;
}

/*
 * Find a PCI device by vendor and one of the device ids (0-terminated).
 * Fills @bdf ("0000:00:03.0") and @driver ("" if none). 0 or -ENOENT.
 */
int pci_find(unsigned int vendor, const unsigned int *devices, char *bdf,
	     size_t bdflen, char *driver, size_t drvlen);
/*
 * An edu device behind another IOMMU instance than @bdf (their sysfs
 * "iommu" links lead to different IOMMUs). 0 and @other filled, or -ENOENT.
 */
int pci_edu_behind_other_iommu(const char *bdf, char *other, size_t len);
/* Unbind @bdf from its driver / bind it to @driver. 0 or -errno. */
int pci_unbind(const char *bdf);
int pci_bind(const char *bdf, const char *driver);
/*
 * Wait until a just-bound @bdf has finished probing (nvme: controller live,
 * first namespace scanned). 0; -ENODEV if its driver let go of it meanwhile;
 * -ETIMEDOUT. pci_bind() calls it.
 */
int pci_settle(const char *bdf);

/* "EINVAL", "EFAULT"... for a negative errno; "0" for 0. */
const char *errno_name(int neg);
/* The mock IOMMU's knob parameter, and setting it by its enum (uapi). */
#define ICONF_MOCK_KNOB_PATH "/sys/module/iommu_mock/parameters/knob"
int mock_knob_set(enum iconf_mock_knob knob);

/*
 * Which IOMMU driver runs the machine: "intel", "amd", "arm-smmu-v3",
 * "virtio", "mock" or "".
 */
const char *iommu_driver(void);
/*
 * Why a test must not run on this kernel (contracts/kernel_hazards.def:
 * its version, as uname says, and iommu_driver()), naming the variable
 * that runs it anyway; NULL when it may run (or that variable is 1).
 */
const char *hazard_skip(int kernel_hazard_id);
/* The mock IOMMU's translated IOVA width (its width= parameter), or -1. */
int mock_width(void);
/*
 * intel only: the IOMMU's address width (MGAW from the cap register) and
 * whether it has snoop control (ecap SC). -1 when it cannot be read.
 */
int intel_width(void);
int intel_snoop_control(void);

/* Kernel lines logged since kmsg_mark(): the count, each one TH_LOG'd by caller. */
struct kmsg_window {
	int fd;
	int lines;
	char text[8][256];
};
void kmsg_mark(struct kmsg_window *w);
void kmsg_collect(struct kmsg_window *w);

const char *where_name(unsigned int where);

/*
 * The first IOMMU group of several devices, none bound to a driver: its
 * number, with up to @max device names in @names (may be NULL) and their
 * count in @n; -1 if the machine has none.
 */
int multi_device_group(char names[][32], unsigned int max, unsigned int *n);

/*
 * Device DMA through the domain @name is on now (edu's DMA API, the mock's
 * current domain), with a fresh handle on the module. 0 or -errno.
 */
int dma_via_current_domain(const char *name, struct iconf_edu_dma *e,
			   char *why, size_t whylen);

#endif
