// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_conformance - the test module the selftests drive.
 *
 * It exposes /dev/iommu_conformance; the selftests issue ioctls there and
 * the module turns them into IOMMU API calls, so that the checks run in
 * the kernel against the real drivers while their verdicts are reached in
 * userspace. The ABI is in include/uapi/iommu_conformance.h.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "include/uapi/iommu_conformance.h"

/*
 * Copy an argument struct in, honouring its leading size field: a caller
 * built against an older header passes less, a newer one more.
 */
static int iconf_copy_in(void *dst, size_t ksize, size_t minsize,
			 const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < minsize)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, uarg, usize);
}

static int iconf_copy_out(void __user *uarg, const void *src, size_t ksize,
			  u32 usize)
{
	if (copy_to_user(uarg, src, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}

static long iconf_version(void __user *uarg)
{
	struct iconf_version v;
	u32 usize;
	int ret;

	ret = iconf_copy_in(&v, sizeof(v),
			    offsetofend(struct iconf_version, features), uarg);
	if (ret)
		return ret;
	if (v.reserved || v.abi_major || v.abi_minor || v.features)
		return -EINVAL;
	usize = v.size;
	v.abi_major = ICONF_ABI_MAJOR;
	v.abi_minor = ICONF_ABI_MINOR;
	v.features = 0;
	return iconf_copy_out(uarg, &v, sizeof(v), usize);
}

static long iconf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ICONF_VERSION:
		return iconf_version(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations iconf_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = iconf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice iconf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = ICONF_DEVICE_NAME,
	.fops = &iconf_fops,
	.mode = 0600,
};

static int __init iconf_init(void)
{
	return misc_register(&iconf_misc);
}

static void __exit iconf_exit(void)
{
	misc_deregister(&iconf_misc);
}

module_init(iconf_init);
module_exit(iconf_exit);
MODULE_DESCRIPTION("IOMMU API conformance test driver (selftest helper)");
MODULE_LICENSE("GPL");
