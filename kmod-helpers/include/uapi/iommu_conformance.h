/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Control interface of the iommu_conformance test module.
 *
 * The selftests drive the module through ioctls on /dev/iommu_conformance.
 * Every argument struct starts with a __u32 size that the caller sets to
 * sizeof() of the struct it was built with, so the module can accept both
 * older and newer callers: a shorter size than the module's minimum is
 * -EINVAL, a longer one whose tail is not zero is -E2BIG (the rule of
 * copy_struct_from_user()).
 *
 * ABI history:
 *   1.0  ICONF_VERSION only.
 */
#ifndef _UAPI_IOMMU_CONFORMANCE_H
#define _UAPI_IOMMU_CONFORMANCE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ICONF_DEVICE_NAME	"iommu_conformance"
#define ICONF_ABI_MAJOR		1
#define ICONF_ABI_MINOR		0

/* Not in Documentation/userspace-api/ioctl/ioctl-number.rst: out of tree. */
#define ICONF_IOC_TYPE		0xCF

/*
 * ICONF_VERSION - which ABI the loaded module speaks.
 * @size:      in: sizeof(struct iconf_version) as the caller knows it.
 * @abi_major: out: ICONF_ABI_MAJOR of the module; callers refuse a mismatch.
 * @abi_minor: out: ICONF_ABI_MINOR of the module; additions only.
 * @features:  out: ICONF_FEAT_* bits the module implements.
 * @reserved:  must be zero.
 */
struct iconf_version {
	__u32 size;
	__u32 abi_major;
	__u32 abi_minor;
	__u32 reserved;
	__u64 features;
};

#define ICONF_VERSION		_IOWR(ICONF_IOC_TYPE, 0x00, struct iconf_version)

#endif /* _UAPI_IOMMU_CONFORMANCE_H */
