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
#include <linux/stringify.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "iconf.h"

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

static long iconf_version(struct iconf_file *f, void *arg)
{
	struct iconf_version *v = arg;

	if (v->reserved || v->abi_major || v->abi_minor || v->features)
		return -EINVAL;
	v->abi_major = ICONF_ABI_MAJOR;
	v->abi_minor = ICONF_ABI_MINOR;
	v->features = ICONF_FEAT_ATTACH | ICONF_FEAT_EDU;
	if (ICONF_HAVE_DEV_FAULT_API)
		v->features |= ICONF_FEAT_DEV_FAULT;
	if (ICONF_HAVE_IOPF_HANDLE)
		v->features |= ICONF_FEAT_IOPF;
	return 0;
}

struct iconf_op {
	unsigned int cmd;
	size_t size;	/* the struct as this module knows it */
	size_t min;	/* the struct as the first ABI that had it knew it */
	long (*fn)(struct iconf_file *f, void *arg);
};

#define OP(c, type, last, f) \
	{ c, sizeof(struct type), offsetofend(struct type, last), f }

static const struct iconf_op iconf_ops[] = {
	OP(ICONF_VERSION, iconf_version, features, iconf_version),
	OP(ICONF_DEV_GET, iconf_dev_get, flags, iconf_dev_get),
	OP(ICONF_DEV_DOMAIN, iconf_dev_domain, reserved, iconf_dev_domain),
	OP(ICONF_DOMAIN_ALLOC, iconf_domain_alloc, api_ret, iconf_domain_alloc),
	OP(ICONF_DOMAIN_FREE, iconf_domain_free, dom_id, iconf_domain_free),
	OP(ICONF_MAP, iconf_map, api_ret, iconf_map),
	OP(ICONF_UNMAP, iconf_map, api_ret, iconf_unmap),
	OP(ICONF_COHERENT, iconf_coherent, reserved, iconf_coherent),
	OP(ICONF_ATTACH, iconf_attach, reserved, iconf_attach),
	OP(ICONF_DETACH, iconf_attach, reserved, iconf_detach),
	OP(ICONF_OWN, iconf_own, api_ret, iconf_own),
	OP(ICONF_EDU_DMA, iconf_edu_dma, reserved, iconf_edu_dma),
	OP(ICONF_AMD_V2, iconf_amd_v2, api_ret, iconf_amd_v2),
	OP(ICONF_FAULTS, iconf_faults, dev, iconf_faults),
	OP(ICONF_RACE, iconf_race, detail, iconf_race),
};

/* Every argument struct fits here; iconf_race, the largest, is ~300 bytes. */
#define ICONF_ARG_MAX 320

static long iconf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct iconf_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	u64 buf[ICONF_ARG_MAX / sizeof(u64)];
	size_t ksize;
	u32 usize;
	long ret;
	int i;

	for (i = 0; i < ARRAY_SIZE(iconf_ops); i++)
		if (iconf_ops[i].cmd == cmd)
			break;
	if (i == ARRAY_SIZE(iconf_ops))
		return -ENOTTY;
	ksize = iconf_ops[i].size;
	BUILD_BUG_ON(sizeof(struct iconf_edu_dma) > sizeof(buf));
	BUILD_BUG_ON(sizeof(struct iconf_dev_get) > sizeof(buf));
	BUILD_BUG_ON(sizeof(struct iconf_faults) > sizeof(buf));
	BUILD_BUG_ON(sizeof(struct iconf_race) > sizeof(buf));
	ret = iconf_copy_in(buf, ksize, iconf_ops[i].min, uarg);
	if (ret)
		return ret;
	usize = *(u32 *)buf;
	mutex_lock(&f->lock);
	ret = iconf_ops[i].fn(f, buf);
	mutex_unlock(&f->lock);
	if (ret)
		return ret;
	if (copy_to_user(uarg, buf, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}

static int iconf_open(struct inode *inode, struct file *file)
{
	struct iconf_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int iconf_release(struct inode *inode, struct file *file)
{
	struct iconf_file *f = file->private_data;

	iconf_release_all(f);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations iconf_fops = {
	.owner = THIS_MODULE,
	.open = iconf_open,
	.release = iconf_release,
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
	int ret;

	iconf_attach_init();
	ret = iconf_edu_register();

	if (ret)
		return ret;
	ret = misc_register(&iconf_misc);
	if (ret)
		iconf_edu_unregister();
	return ret;
}

static void __exit iconf_exit(void)
{
	misc_deregister(&iconf_misc);
	iconf_edu_unregister();
}

module_init(iconf_init);
module_exit(iconf_exit);
MODULE_DESCRIPTION("IOMMU API conformance test driver (selftest helper)");
MODULE_LICENSE("GPL");
/* The uapi version: what a selftest must match (ICONF_VERSION). */
MODULE_VERSION(__stringify(ICONF_ABI_MAJOR) "." __stringify(ICONF_ABI_MINOR));
