// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_mock - an IOMMU driver for devices that exist only in software,
 * so the suite can show it catches drivers that break the attach_dev
 * contract. Fake hardware: every finding it produces is about this mock
 * and the checks, never about a real driver.
 *
 * It registers on a kernel with no other IOMMU driver (v6.1 allows one
 * driver for all buses) and never unloads: iommu_device_unregister() in
 * v6.1 leaves the bus ops behind.
 *
 * Devices: iconf-mock.0 boots with the kernel's default type (DMA-FQ on
 * Debian), .1 asks for identity, .2 for strict DMA, .3 and .4 share a group.
 * The "hardware" translates each device's DMA with the domain the driver
 * last really attached (hw), which is what the DMA checks observe.
 *
 * knob= selects a historical bug (writable at run time): one of the names
 * in contracts/mock_knobs.def, which says what each imitates; "none" is
 * the correct driver. Any other name is refused.
 * width= is the IOVA width the hardware translates: a test domain with a
 * mapping at or above 2^width is incompatible.
 * replug=N hot-removes device N and adds it again (a new device, a new
 * group): the hot-plug the sysfs type races need.
 */
#include <linux/delay.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/stringify.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "include/uapi/iommu_conformance.h"
#include "mock.h"

#define MOCK_NDEV	5
#define MOCK_IDS	2	/* context ids, for leak_ids */
#define MOCK_BUF	256

/* Indexed by enum iconf_mock_knob: both follow the table's order. */
static const struct { const char *name; } knob_names[] = {
#define MOCK_KNOB(name, rules, imitates) { #name },
#include "mock_knobs.def"
};
static enum iconf_mock_knob knob = ICONF_MOCK_KNOB_none;
static_assert(ARRAY_SIZE(knob_names) == ICONF_MOCK_KNOBS);

static int knob_set(const char *val, const struct kernel_param *kp)
{
	for (int i = 0; i < ARRAY_SIZE(knob_names); i++) {
		if (sysfs_streq(val, knob_names[i].name)) {
			WRITE_ONCE(knob, i);
			return 0;
		}
	}
	return -EINVAL;	/* not a knob of contracts/mock_knobs.def */
}

static int knob_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", knob_names[READ_ONCE(knob)].name);
}

static const struct kernel_param_ops knob_ops = { .set = knob_set, .get = knob_get };
module_param_cb(knob, &knob_ops, NULL, 0644);
MODULE_PARM_DESC(knob, "which historical attach_dev bug to imitate (contracts/mock_knobs.def; none: correct)");
static uint width = 39;
module_param(width, uint, 0644);
MODULE_PARM_DESC(width, "IOVA width the mock hardware translates");

struct mock_domain {
	struct iommu_domain dom;
	struct xarray pt;	/* iova pfn -> xa_mk_value(pfn) */
	u64 end;		/* highest mapped address + 1 */
};

struct mock_dev {
	struct platform_device *pdev;
	struct mock_domain *hw;
	int ids_used;
	u8 buf[MOCK_BUF];
#if ICONF_HAVE_IOPF_HANDLE
	/*
	 * PRI: the device may send page requests while a domain with an
	 * iopf_handler is attached (pri_dom). Reporters hold prq_sem for
	 * reading; turning PRI off takes it for writing, which drains them.
	 */
	struct rw_semaphore prq_sem;
	bool pri_on;
	struct iommu_domain *pri_dom;
	iconf_mock_answer_fn answer;	/* sees every page response */
	void *answer_data;
#endif
};

static struct mock_dev mock_devs[MOCK_NDEV];
#if ICONF_HAVE_IOPF_HANDLE
static struct iopf_queue *mock_iopf;	/* NULL: no page requests at all */
#endif
static DEFINE_MUTEX(mock_plug_lock);	/* one replug at a time */
static struct iommu_device mock_iommu;
static struct iommu_group *mock_shared_group;
static DEFINE_MUTEX(mock_lock);	/* hw and buf of every device */

#define knob_is(name) (READ_ONCE(knob) == ICONF_MOCK_KNOB_##name)

static struct mock_domain *to_mock(struct iommu_domain *d)
{
	return container_of(d, struct mock_domain, dom);
}

static struct mock_dev *mock_dev_of(struct device *dev)
{
	int i;

	for (i = 0; i < MOCK_NDEV; i++)
		if (mock_devs[i].pdev && &mock_devs[i].pdev->dev == dev)
			return &mock_devs[i];
	return NULL;
}

#if ICONF_HAVE_IOPF_HANDLE
/*
 * PRI follows the attached domain, as intel's driver does on 7.2 (its
 * iopf_for_domain_replace()): on while a domain with an iopf_handler is
 * attached. Turning it off drains the requests in flight before the core
 * answers what is still pending (iopf_queue_remove_device()), so that no
 * request reaches a handler once its detach has returned.
 */
static int mock_pri_follow(struct mock_dev *m, struct device *dev,
			   struct iommu_domain *domain)
{
	bool want = domain && domain->iopf_handler, was = m->pri_on;
	int ret;

	if (want && !was) {
		if (!mock_iopf)
			return -ENODEV;
		ret = iopf_queue_add_device(mock_iopf, dev);
		if (ret)
			return ret;
	}
	down_write(&m->prq_sem);
	m->pri_on = want;
	m->pri_dom = want ? domain : NULL;
	up_write(&m->prq_sem);
	if (was && !want)
		iopf_queue_remove_device(mock_iopf, dev);
	return 0;
}
#else
static int mock_pri_follow(struct mock_dev *m, struct device *dev,
			   struct iommu_domain *domain)
{
	return 0;
}
#endif

static int mock_attach(struct iommu_domain *domain, struct device *dev)
{
	struct mock_domain *md = to_mock(domain);
	struct mock_dev *m = mock_dev_of(dev);
	bool test_domain = domain->type == IOMMU_DOMAIN_UNMANAGED;
	bool incompat = test_domain && md->end > (1ULL << width);
	int ret = 0;

	if (!m)
		return -ENODEV;
	mutex_lock(&mock_lock);
	if (test_domain && knob_is(zero_no_attach))
		goto out;		/* says yes, changes nothing */
	if (test_domain && knob_is(einval_devicewide)) {
		ret = -EINVAL;
		goto out;
	}
	if (test_domain && knob_is(einval_fresh) && xa_empty(&md->pt)) {
		ret = -EINVAL;
		goto out;
	}
	if (!knob_is(leak_ids))
		m->ids_used = 0;	/* a knob change starts the leak afresh */
	if (test_domain && knob_is(leak_ids) && m->ids_used++ >= MOCK_IDS) {
		ret = -ENOSPC;
		goto out;
	}
	if (!test_domain && knob_is(lose_on_fail) && !m->hw)
		goto out;		/* the restore "succeeds" on nothing */
	if (incompat) {
		if (knob_is(lose_on_fail))
			m->hw = NULL;
		if (knob_is(ebusy_incompat))
			ret = -EBUSY;
		else if (knob_is(eopnotsupp_incompat))
			ret = -EOPNOTSUPP;
		else if (knob_is(efault_incompat))
			ret = -EFAULT;
		else
			ret = -EINVAL;
		if (knob_is(print_einval))
			dev_err(dev, "iommu_mock: domain maps beyond %u bits\n", width);
		goto out;
	}
	ret = mock_pri_follow(m, dev, domain);
	if (!ret)
		m->hw = md;
out:
	mutex_unlock(&mock_lock);
	return ret;
}

#if ICONF_ATTACH_DEV_HAS_OLD
static int mock_attach_dev(struct iommu_domain *domain, struct device *dev,
			   struct iommu_domain *old)
{
	return mock_attach(domain, dev);
}
#else
static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	return mock_attach(domain, dev);
}
#endif

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_domain *md = to_mock(domain);
	size_t i;
	int ret;

	for (i = 0; i < pgcount; i++) {
		ret = xa_err(xa_store(&md->pt, (iova >> PAGE_SHIFT) + i,
				      xa_mk_value((paddr >> PAGE_SHIFT) + i), gfp));
		if (ret)
			return ret;
		*mapped += pgsize;
	}
	md->end = max_t(u64, md->end, iova + pgsize * pgcount);
	return 0;
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock(domain);
	size_t i, done = 0;

	for (i = 0; i < pgcount; i++)
		if (xa_erase(&md->pt, (iova >> PAGE_SHIFT) + i))
			done += pgsize;
	return done;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	void *e = xa_load(&to_mock(domain)->pt, iova >> PAGE_SHIFT);

	return e ? ((phys_addr_t)xa_to_value(e) << PAGE_SHIFT) | (iova & ~PAGE_MASK) : 0;
}

static void mock_flush(struct iommu_domain *domain)
{
}

static void mock_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *g)
{
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock(domain);
	int i;

	/* Freed while "hardware" still used it would be a core bug: forget it. */
	mutex_lock(&mock_lock);
	for (i = 0; i < MOCK_NDEV; i++)
		if (mock_devs[i].hw == md)
			mock_devs[i].hw = NULL;
	mutex_unlock(&mock_lock);
	xa_destroy(&md->pt);
	kfree(md);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_attach_dev,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.flush_iotlb_all = mock_flush,
	.iotlb_sync = mock_sync,
	.free = mock_domain_free,
};

static struct mock_domain *mock_domain_new(void)
{
	struct mock_domain *md = kzalloc(sizeof(*md), GFP_KERNEL);

	if (!md)
		return NULL;
	xa_init(&md->pt);
	md->dom.geometry.aperture_end = (1ULL << 48) - 1;
	md->dom.geometry.force_aperture = true;
	return md;
}

#if ICONF_DRIVER_ALLOCS_PAGING
/*
 * The core asks for paging domains by device, not by type, so alloc_fail
 * fails every one of them while it is set (identity is static and cannot
 * fail): a type store to DMA then meets a failed allocation.
 */
static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct mock_domain *md;

	if (knob_is(alloc_fail))
		return NULL;
	md = mock_domain_new();
	if (!md)
		return NULL;
	md->dom.pgsize_bitmap = PAGE_SIZE;
	return &md->dom;
}

/*
 * Passthrough: the "hardware" reads an identity domain as bus == physical.
 * Static, so its ops have no .free (the core frees what has one) and no
 * page table.
 */
static const struct iommu_domain_ops mock_identity_ops = {
	.attach_dev = mock_attach_dev,
};

static struct mock_domain mock_identity = {
	.dom = { .type = IOMMU_DOMAIN_IDENTITY, .ops = &mock_identity_ops },
};
#else
static struct iommu_domain *mock_domain_alloc(unsigned int type)
{
	struct mock_domain *md;

	if (knob_is(alloc_fail) && type != IOMMU_DOMAIN_UNMANAGED &&
	    type != IOMMU_DOMAIN_BLOCKED)
		return NULL;
	md = mock_domain_new();
	return md ? &md->dom : NULL;
}
#endif

static struct iommu_device *mock_probe_device(struct device *dev)
{
	return mock_dev_of(dev) ? &mock_iommu : ERR_PTR(-ENODEV);
}

static void mock_release_device(struct device *dev)
{
	struct mock_dev *m = mock_dev_of(dev);

	/* Gone with its domain still attached: PRI goes off with it. */
	if (m && IS_ENABLED(CONFIG_IOMMU_IOPF))
		mock_pri_follow(m, dev, NULL);
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct mock_dev *m = mock_dev_of(dev);

	if (m - mock_devs < 3)
		return generic_device_group(dev);
	if (mock_shared_group)
		return iommu_group_ref_get(mock_shared_group);
	mock_shared_group = iommu_group_alloc();
	return mock_shared_group;
}

static int mock_def_domain_type(struct device *dev)
{
	switch (mock_dev_of(dev) - mock_devs) {
	case 1:
		return IOMMU_DOMAIN_IDENTITY;
	case 2:
		return IOMMU_DOMAIN_DMA;
	default:
		return 0;	/* the kernel's default */
	}
}

#if ICONF_HAVE_IOPF_HANDLE
/* The "hardware" takes every page response, and shows it to the hook. */
static void mock_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
	struct mock_dev *m = mock_dev_of(dev);
	/* Pairs with the release in iconf_mock_set_answer_hook(): data first. */
	iconf_mock_answer_fn fn = m ? smp_load_acquire(&m->answer) : NULL;

	if (fn)
		fn(m->answer_data, msg);
}

int iconf_mock_set_answer_hook(struct device *dev, iconf_mock_answer_fn fn, void *data)
{
	struct mock_dev *m = mock_dev_of(dev);

	if (!m)
		return -ENODEV;
	WRITE_ONCE(m->answer, NULL);
	m->answer_data = data;
	/* The data is visible before the hook that reads it. */
	smp_store_release(&m->answer, fn);
	return 0;
}
EXPORT_SYMBOL_GPL(iconf_mock_set_answer_hook);

/*
 * The mock's page-request thread: the request is read and reported under
 * prq_sem, so turning PRI off waits for it. With stale_handler the thread
 * is preempted between reading the request and reporting it, and then
 * checks only that PRI is on: the attachment may have changed meanwhile.
 */
int iconf_mock_page_request(struct device *dev, struct iopf_fault *evt)
{
	struct mock_dev *m = mock_dev_of(dev);
	int ret = -ENODEV;

	if (!m)
		return -ENODEV;
	down_read(&m->prq_sem);
	if (!m->pri_on)
		goto out;
	evt->fault.prm.private_data[0] = (uintptr_t)m->pri_dom;
	if (knob_is(stale_handler)) {
		up_read(&m->prq_sem);
		usleep_range(100, 300);
		down_read(&m->prq_sem);
		if (!m->pri_on)
			goto out;
	}
	ret = iommu_report_device_fault(dev, evt);
out:
	up_read(&m->prq_sem);
	return ret;
}
EXPORT_SYMBOL_GPL(iconf_mock_page_request);
#endif

#if ICONF_HAVE_DEV_FAULT_API
/* The "hardware" takes every page response; the core has matched it. */
static int mock_page_response(struct device *dev, struct iommu_fault_event *evt,
			      struct iommu_page_response *msg)
{
	return 0;
}

/*
 * The mock's fault interrupt thread: it reports through the core, which
 * calls the handler under dev->iommu->lock. With stale_handler it keeps
 * only the lookup under the lock, as a driver caching the handler would;
 * the delay stands for the thread being preempted there.
 */
int iconf_mock_report(struct device *dev, struct iommu_fault_event *evt)
{
	struct dev_iommu *param = dev->iommu;
	iommu_dev_fault_handler_t handler;
	void *data;

	if (!mock_dev_of(dev))
		return -ENODEV;
	if (!knob_is(stale_handler) || evt->fault.type != IOMMU_FAULT_DMA_UNRECOV)
		return iommu_report_device_fault(dev, evt);
	mutex_lock(&param->lock);
	if (!param->fault_param) {
		mutex_unlock(&param->lock);
		return -EINVAL;
	}
	handler = param->fault_param->handler;
	data = param->fault_param->data;
	mutex_unlock(&param->lock);
	udelay(20);
	return handler(&evt->fault, data);
}
EXPORT_SYMBOL_GPL(iconf_mock_report);
#endif

static const struct iommu_ops mock_ops = {
#if ICONF_DRIVER_ALLOCS_PAGING
	.domain_alloc_paging = mock_domain_alloc_paging,
	.identity_domain = &mock_identity.dom,
#else
	.domain_alloc = mock_domain_alloc,
	.pgsize_bitmap = PAGE_SIZE,
#endif
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
	.def_domain_type = mock_def_domain_type,
#if ICONF_HAVE_DEV_FAULT_API || ICONF_HAVE_IOPF_HANDLE
	.page_response = mock_page_response,
#endif
	.owner = THIS_MODULE,
	.default_domain_ops = &mock_domain_ops,
};

/* The mock hardware's DMA: through hw, as a real IOMMU would translate. */
int iconf_mock_xfer(struct device *dev, u64 addr, bool to_ram, size_t len)
{
	struct mock_dev *m = mock_dev_of(dev);
	phys_addr_t phys;
	int ret = 0;

	if (!m || len > MOCK_BUF || (addr & ~PAGE_MASK) + len > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&mock_lock);
	if (!m->hw) {
		ret = -EIO;		/* on no domain: DMA goes nowhere */
		goto out;
	}
	if (m->hw->dom.type == IOMMU_DOMAIN_IDENTITY) {
		phys = addr;
	} else {
		phys = mock_iova_to_phys(&m->hw->dom, addr);
		if (!phys) {
			ret = -EFAULT;	/* a translation fault: nothing moves */
			goto out;
		}
	}
	if (to_ram)
		memcpy(phys_to_virt(phys), m->buf, len);
	else
		memcpy(m->buf, phys_to_virt(phys), len);
out:
	mutex_unlock(&mock_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(iconf_mock_xfer);

struct iommu_domain *iconf_mock_hw_domain(struct device *dev)
{
	struct mock_dev *m = mock_dev_of(dev);

	return m && m->hw ? &m->hw->dom : NULL;
}
EXPORT_SYMBOL_GPL(iconf_mock_hw_domain);

static int __init mock_init(void)
{
	int i, ret;

#if ICONF_HAVE_IOPF_HANDLE
	for (i = 0; i < MOCK_NDEV; i++)
		init_rwsem(&mock_devs[i].prq_sem);
	/* Without a queue the mock still loads: its devices send no requests. */
	mock_iopf = iopf_queue_alloc("iconf-mock");
#endif
	/* v6.1 links each probed device under the IOMMU's sysfs node. */
	ret = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "iconf-mock");
	if (ret)
		return ret;
	ret = iommu_device_register(&mock_iommu, &mock_ops, NULL);
	if (ret) {
		iommu_device_sysfs_remove(&mock_iommu);
		pr_err("iommu_mock: cannot register (%d): another IOMMU driver owns the buses\n",
		       ret);
		return ret;
	}
	/*
	 * Devices come after the driver, so the bus notifier probes them; the
	 * slot is filled before the device is added, so probe recognises it.
	 */
	for (i = 0; i < MOCK_NDEV; i++) {
		struct platform_device *p = platform_device_alloc("iconf-mock", i);

		/*
		 * Past iommu_device_register() a failed load would leave the buses
		 * calling freed code: stay loaded with fewer devices instead.
		 */
		if (!p) {
			pr_err("iommu_mock: no memory for device %d\n", i);
			break;
		}
		mock_devs[i].pdev = p;
		ret = platform_device_add(p);
		if (ret) {
			pr_err("iommu_mock: device %d: %d\n", i, ret);
			mock_devs[i].pdev = NULL;
			platform_device_put(p);
			break;
		}
	}
	return 0;
}

static int mock_replug(const char *val, const struct kernel_param *kp)
{
	struct platform_device *p;
	unsigned int i;
	int ret;

	ret = kstrtouint(val, 0, &i);
	if (ret)
		return ret;
	if (i >= MOCK_NDEV)
		return -EINVAL;
	mutex_lock(&mock_plug_lock);
	if (!mock_devs[i].pdev) {
		ret = -ENODEV;
		goto out;
	}
	platform_device_unregister(mock_devs[i].pdev);
	mutex_lock(&mock_lock);
	mock_devs[i].hw = NULL;
	mutex_unlock(&mock_lock);
	p = platform_device_alloc("iconf-mock", i);
	mock_devs[i].pdev = p;	/* before the add: probe must know it */
	ret = p ? platform_device_add(p) : -ENOMEM;
	if (ret && p) {
		mock_devs[i].pdev = NULL;
		platform_device_put(p);
	}
out:
	mutex_unlock(&mock_plug_lock);
	return ret;
}

static const struct kernel_param_ops mock_replug_ops = {
	.set = mock_replug,
};
module_param_cb(replug, &mock_replug_ops, NULL, 0200);
MODULE_PARM_DESC(replug, "write N: hot-remove device N and add it again");

/* No module_exit: v6.1 cannot take an IOMMU driver's ops off the buses. */
module_init(mock_init);
MODULE_DESCRIPTION("Mock IOMMU with attach_dev bug knobs (selftest helper; fake hardware)");
MODULE_LICENSE("GPL");
/* The uapi version: what a selftest must match (ICONF_VERSION). */
MODULE_VERSION(__stringify(ICONF_ABI_MAJOR) "." __stringify(ICONF_ABI_MINOR));
