// SPDX-License-Identifier: GPL-2.0
/*
 * Devices, domains and attach/detach for the selftests. The module keeps
 * its own record of what it attached, so that it never asks the core to
 * detach what is not attached (v6.1 WARNs on that) and can undo it all
 * when the file closes.
 */
#include <linux/ctype.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/random.h>
#include <linux/siphash.h>

#include "compat.h"
#include "iconf.h"

static siphash_key_t iconf_cookie_key;

void iconf_attach_init(void)
{
	get_random_bytes(&iconf_cookie_key, sizeof(iconf_cookie_key));
}

struct iconf_dev *iconf_dev_lookup(struct iconf_file *f, u32 id)
{
	if (id == 0 || id > ICONF_MAX_DEVS || !f->devs[id - 1].dev)
		return NULL;
	return &f->devs[id - 1];
}

struct iconf_dom *iconf_dom_lookup(struct iconf_file *f, u32 id)
{
	if (id == 0 || id > ICONF_MAX_DOMAINS || !f->doms[id - 1].domain)
		return NULL;
	return &f->doms[id - 1];
}

/*
 * "dddd:bb:ss.f" exactly: the kernel's sscanf() would take "0x" prefixes
 * and trailing junk, and a test must not reach a device it did not name.
 */
static bool iconf_bdf_valid(const char *s, size_t max)
{
	static const char shape[] = "hhhh:hh:hh.h";
	size_t i;

	if (strnlen(s, max) != sizeof(shape) - 1)
		return false;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'h' ? !isxdigit(s[i]) : s[i] != shape[i])
			return false;
	return true;
}

static int iconf_group_count_one(struct device *dev, void *data)
{
	(*(u32 *)data)++;
	return 0;
}

bool iconf_is_mock(struct device *dev)
{
	return dev->bus == &platform_bus_type &&
	       !strncmp(dev_name(dev), ICONF_MOCK_PREFIX, strlen(ICONF_MOCK_PREFIX));
}

/* A PCI address, or the name of one of the mock IOMMU's platform devices. */
static struct device *iconf_find_device(const char *name, size_t max)
{
	unsigned int dom, bus, slot, fn;
	struct pci_dev *pdev;

	if (!strncmp(name, ICONF_MOCK_PREFIX, strlen(ICONF_MOCK_PREFIX)))
		return bus_find_device_by_name(&platform_bus_type, NULL, name);
	if (!iconf_bdf_valid(name, max) ||
	    sscanf(name, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4 ||
	    slot > 0x1f || fn > 7)
		return ERR_PTR(-EINVAL);
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	return pdev ? &pdev->dev : NULL;
}

long iconf_dev_get(struct iconf_file *f, void *arg)
{
	struct iconf_dev_get *a = arg;
	struct iconf_dev *d;
	struct device *dev;
	int i;

	if (a->dev_id || a->group_id || a->group_devices || a->flags)
		return -EINVAL;
	if (strnlen(a->name, sizeof(a->name)) == sizeof(a->name))
		return -EINVAL;
	for (i = 0; i < ICONF_MAX_DEVS && f->devs[i].dev; i++)
		;
	if (i == ICONF_MAX_DEVS)
		return -ENOSPC;
	dev = iconf_find_device(a->name, sizeof(a->name));
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	if (!dev)
		return -ENODEV;
	d = &f->devs[i];
	d->dev = dev;
	d->pdev = dev_is_pci(dev) ? to_pci_dev(dev) : NULL;
	d->group = iommu_group_get(dev);
	d->boot = iommu_get_domain_for_dev(dev);
	a->dev_id = i + 1;
	a->group_id = d->group ? iommu_group_id(d->group) : -1;
	if (d->group)
		iommu_group_for_each_dev(d->group, &a->group_devices,
					 iconf_group_count_one);
	if (dev->driver)
		a->flags |= ICONF_DEV_HAS_DRIVER;
	if (d->pdev && iconf_is_edu(d->pdev))
		a->flags |= ICONF_DEV_IS_EDU;
	if (iconf_is_mock(dev))
		a->flags |= ICONF_DEV_IS_MOCK;
	return 0;
}

long iconf_dev_domain(struct iconf_file *f, void *arg)
{
	struct iconf_dev_domain *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	struct iommu_domain *dom;
	int i;

	if (!d)
		return -ENOENT;
	if (a->where || a->dom_id || a->type || a->reserved || a->cookie)
		return -EINVAL;
	dom = iommu_get_domain_for_dev(d->dev);
	a->type = dom ? dom->type : 0;
	a->cookie = dom ? siphash_1u64((u64)(uintptr_t)dom, &iconf_cookie_key) : 0;
	if (!dom) {
		a->where = ICONF_ON_NONE;
		return 0;
	}
	for (i = 0; i < ICONF_MAX_DOMAINS; i++) {
		if (f->doms[i].domain == dom) {
			a->where = ICONF_ON_OURS;
			a->dom_id = i + 1;
			return 0;
		}
	}
	a->where = dom == d->boot ? ICONF_ON_BOOT : ICONF_ON_OTHER;
	return 0;
}

long iconf_domain_alloc(struct iconf_file *f, void *arg)
{
	struct iconf_domain_alloc *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	struct iommu_domain *dom;
	int i;

	if (!d)
		return -ENOENT;
	if (a->dom_id || a->api_ret)
		return -EINVAL;
	for (i = 0; i < ICONF_MAX_DOMAINS && f->doms[i].domain; i++)
		;
	if (i == ICONF_MAX_DOMAINS)
		return -ENOSPC;
	dom = iconf_paging_domain_alloc(d->dev);
	if (IS_ERR(dom)) {
		a->api_ret = PTR_ERR(dom);
		return 0;
	}
	spin_lock_init(&f->doms[i].faults.lock);
	f->doms[i].faults.count = 0;
	f->doms[i].watched = false;
	f->doms[i].domain = dom;
	a->dom_id = i + 1;
	return 0;
}

static void iconf_unmap_all(struct iconf_dom *m)
{
	int i;

	for (i = 0; i < ICONF_MAX_MAPS; i++) {
		struct iconf_mapping *mp = &m->maps[i];

		if (!mp->pages)
			continue;
		iommu_unmap(m->domain, mp->iova, mp->length);
		__free_pages(mp->pages, mp->order);
		mp->pages = NULL;
	}
}

static bool iconf_dom_in_use(struct iconf_file *f, u32 dom_id)
{
	int i;

	for (i = 0; i < ICONF_MAX_DEVS; i++)
		if (f->devs[i].dev && f->devs[i].attached == dom_id)
			return true;
	return false;
}

long iconf_domain_free(struct iconf_file *f, void *arg)
{
	struct iconf_domain_free *a = arg;
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);

	if (!m)
		return -ENOENT;
	if (iconf_dom_in_use(f, a->dom_id))
		return -EBUSY;
	iconf_unmap_all(m);
	iommu_domain_free(m->domain);
	m->domain = NULL;
	return 0;
}

long iconf_map(struct iconf_file *f, void *arg)
{
	struct iconf_map *a = arg;
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);
	struct iconf_mapping *mp = NULL;
	unsigned int order;
	int i, ret;

	if (!m)
		return -ENOENT;
	if (a->api_ret || !a->length || !PAGE_ALIGNED(a->iova) ||
	    !PAGE_ALIGNED(a->length) || a->length > SZ_2M ||
	    a->iova + a->length < a->iova)
		return -EINVAL;
	for (i = 0; i < ICONF_MAX_MAPS; i++) {
		if (!m->maps[i].pages) {
			mp = &m->maps[i];
			break;
		}
	}
	if (!mp)
		return -ENOSPC;
	order = get_order(a->length);
	mp->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!mp->pages)
		return -ENOMEM;
	ret = iconf_iommu_map(m->domain, a->iova, page_to_phys(mp->pages),
			      a->length, IOMMU_READ | IOMMU_WRITE);
	a->api_ret = ret;
	if (ret) {
		__free_pages(mp->pages, order);
		mp->pages = NULL;
		return 0;
	}
	mp->iova = a->iova;
	mp->length = a->length;
	mp->order = order;
	return 0;
}

long iconf_unmap(struct iconf_file *f, void *arg)
{
	struct iconf_map *a = arg;
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);
	int i;

	if (!m)
		return -ENOENT;
	if (a->api_ret)
		return -EINVAL;
	for (i = 0; i < ICONF_MAX_MAPS; i++) {
		struct iconf_mapping *mp = &m->maps[i];

		if (mp->pages && mp->iova == a->iova && mp->length == a->length) {
			a->api_ret = iommu_unmap(m->domain, mp->iova, mp->length);
			__free_pages(mp->pages, mp->order);
			mp->pages = NULL;
			return 0;
		}
	}
	return -ENOENT;	/* not a mapping this file made */
}

long iconf_coherent(struct iconf_file *f, void *arg)
{
	struct iconf_coherent *a = arg;
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);

	if (!m)
		return -ENOENT;
	if (a->api_ret || a->reserved)
		return -EINVAL;
	a->api_ret = iconf_enforce_coherency(m->domain);
	return 0;
}

long iconf_attach(struct iconf_file *f, void *arg)
{
	struct iconf_attach *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);

	if (!d || !m)
		return -ENOENT;
	if (a->api_ret || a->reserved || a->how > ICONF_HOW_GROUP)
		return -EINVAL;
	if (a->how == ICONF_HOW_GROUP && !d->group)
		return -ENODEV;
	if (a->how == ICONF_HOW_GROUP)
		a->api_ret = iommu_attach_group(m->domain, d->group);
	else
		a->api_ret = iommu_attach_device(m->domain, d->dev);
	if (!a->api_ret && !d->attached) {
		d->attached = a->dom_id;
		d->how = a->how;
	}
	return 0;
}

static void iconf_do_detach(struct iconf_dev *d, struct iconf_dom *m)
{
	if (d->how == ICONF_HOW_GROUP)
		iommu_detach_group(m->domain, d->group);
	else
		iommu_detach_device(m->domain, d->dev);
	d->attached = 0;
}

long iconf_detach(struct iconf_file *f, void *arg)
{
	struct iconf_attach *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);

	if (!d || !m)
		return -ENOENT;
	if (a->api_ret || a->reserved || a->how > ICONF_HOW_GROUP)
		return -EINVAL;
	/* The core WARNs on detaching what is not attached: refuse here. */
	if (d->attached != a->dom_id || d->how != a->how)
		return -EINVAL;
	iconf_do_detach(d, m);
	return 0;
}

/* Is the device translated by an AMD IOMMU (sysfs name ivhdN)? */
static bool iconf_behind_amd(struct device *dev)
{
	struct iommu_device *iommu = dev->iommu ? dev->iommu->iommu_dev : NULL;

	return iommu && iommu->dev && !strncmp(dev_name(iommu->dev), "ivhd", 4);
}

long iconf_amd_v2(struct iconf_file *f, void *arg)
{
	struct iconf_amd_v2 *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);

	if (!d || !m)
		return -ENOENT;
	if (a->api_ret)
		return -EINVAL;
	/* to_pdomain() on another driver's domain would be memory corruption. */
	if (!iconf_behind_amd(d->dev) || iconf_dom_in_use(f, a->dom_id))
		return -ENODEV;
	a->api_ret = iconf_amd_enable_v2(m->domain);
	return 0;
}

static int iconf_fault_handler(struct iommu_domain *domain, struct device *dev,
			       unsigned long iova, int flags, void *token)
{
	struct iconf_fault_log *log = token;
	unsigned long irqf;

	spin_lock_irqsave(&log->lock, irqf);
	if (!log->count++) {
		log->iova = iova;
		log->flags = flags;
		strscpy(log->dev, dev ? dev_name(dev) : "", sizeof(log->dev));
	}
	spin_unlock_irqrestore(&log->lock, irqf);
	return -EAGAIN;	/* not handled: the driver reports it as it would */
}

long iconf_faults(struct iconf_file *f, void *arg)
{
	struct iconf_faults *a = arg;
	struct iconf_dom *m = iconf_dom_lookup(f, a->dom_id);
	struct iconf_fault_log *log;
	unsigned long irqf;

	if (!m)
		return -ENOENT;
	if (a->watch > 1 || a->count || a->iova || a->flags || a->reserved || a->dev[0])
		return -EINVAL;
	log = &m->faults;
	if (a->watch) {
		/* Today's kernels set a handler once: watching again keeps it. */
		if (!iconf_fault_handler_settable(m->domain) && !m->watched)
			return -EBUSY;
		spin_lock_init(&log->lock);
		log->count = 0;
		if (iconf_fault_handler_settable(m->domain))
			iommu_set_fault_handler(m->domain, iconf_fault_handler, log);
		m->watched = true;
	}
	spin_lock_irqsave(&log->lock, irqf);
	a->count = log->count;
	a->iova = log->iova;
	a->flags = log->flags;
	memcpy(a->dev, log->dev, sizeof(a->dev));
	spin_unlock_irqrestore(&log->lock, irqf);
	return 0;
}

long iconf_own(struct iconf_file *f, void *arg)
{
	struct iconf_own *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);

	if (!d)
		return -ENOENT;
	if (a->api_ret || a->own > 1)
		return -EINVAL;
	if (!d->group)
		return -ENODEV;
	if (a->own) {
		if (d->owned)
			return -EALREADY;
		a->api_ret = iommu_group_claim_dma_owner(d->group, f);
		d->owned = !a->api_ret;
	} else {
		if (!d->owned)
			return -EINVAL;
		if (d->attached)
			return -EBUSY;	/* release would fight the attach */
		iommu_group_release_dma_owner(d->group);
		d->owned = false;
	}
	return 0;
}

void iconf_release_all(struct iconf_file *f)
{
	int i;

	for (i = 0; i < ICONF_MAX_DEVS; i++) {
		struct iconf_dev *d = &f->devs[i];

		if (!d->dev)
			continue;
		if (d->attached)
			iconf_do_detach(d, &f->doms[d->attached - 1]);
		if (d->owned)
			iommu_group_release_dma_owner(d->group);
	}
	for (i = 0; i < ICONF_MAX_DOMAINS; i++) {
		struct iconf_dom *m = &f->doms[i];

		if (!m->domain)
			continue;
		iconf_unmap_all(m);
		iommu_domain_free(m->domain);
		m->domain = NULL;
	}
	for (i = 0; i < ICONF_MAX_DEVS; i++) {
		struct iconf_dev *d = &f->devs[i];

		if (!d->dev)
			continue;
		iommu_group_put(d->group);
		put_device(d->dev);	/* pci_get_*() and bus_find_*() both took one */
		d->dev = NULL;
		d->pdev = NULL;
	}
}
