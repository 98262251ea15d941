/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IOMMU API calls whose form changed across kernels, in one place, so
 * the rest of the module is written once. An out-of-tree module must test
 * the version (checkpatch's LINUX_VERSION_CODE advice is for merged code).
 *   v6.3   iommu_map() takes a gfp_t
 *   v6.7   amd_iommu_domain_enable_v2() gone with the iommu_v2 module
 *   v6.9   the device-level fault API gone (iopf queue, domain->iopf_handler)
 *   v6.11  iommu_attach_group_handle(): a page request reaches the handler
 *          of the domain attached with that handle (iommufd's fault objects)
 *   v6.13  symbol namespaces are string literals (MODULE_IMPORT_NS("NS"))
 *   v6.11  iommu_paging_domain_alloc(dev) added (returns ERR_PTR)
 *   v6.13  iommu_domain_alloc(bus) removed
 *   after 6.12: iommu_ops.domain_alloc(type) (kept only for fsl_pamu) and
 *          iommu_ops.pgsize_bitmap gone: a driver allocates paging domains
 *          with domain_alloc_paging(dev), gives a static identity_domain,
 *          and sets domain->pgsize_bitmap itself
 *   after 6.12: attach_dev(domain, dev, old) and set_dev_pasid(..., old)
 *   after 6.12: iommu_set_fault_handler() sets a domain's handler once: it
 *          WARNs unless domain->cookie_type is IOMMU_COOKIE_NONE, and there
 *          is no call that clears it (7.2's iommu.c:2061)
 * "after 6.12": checked in Debian's headers, 6.12.117 has the old form and
 * 7.2.13 (and 7.3-rc7) the new; the release between them that changed it
 * is not pinned here, so every kernel after 6.12 is given the new form.
 */
#ifndef ICONF_COMPAT_H
#define ICONF_COMPAT_H

#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/version.h>

static inline struct iommu_domain *iconf_paging_domain_alloc(struct device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *dom = iommu_domain_alloc(dev->bus);

	return dom ? dom : ERR_PTR(-ENOMEM);
#endif
}

static inline int iconf_iommu_map(struct iommu_domain *dom, unsigned long iova,
				  phys_addr_t paddr, size_t size, int prot)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_map(dom, iova, paddr, size, prot, GFP_KERNEL);
#else
	return iommu_map(dom, iova, paddr, size, prot);
#endif
}

/*
 * v6.1 has no iommu_enforce_cache_coherency() wrapper: VFIO type1 calls the
 * domain op directly, and so do we. -EOPNOTSUPP: the driver has no op.
 */
static inline int iconf_enforce_coherency(struct iommu_domain *dom)
{
	if (!dom->ops || !dom->ops->enforce_cache_coherency)
		return -EOPNOTSUPP;
	return dom->ops->enforce_cache_coherency(dom);
}

/*
 * amd-iommu's IOMMUv2 switch: exported (EXPORT_SYMBOL, in no header) until
 * v6.7. symbol_get() refuses non-GPL exports on 6.1.y, so it is linked
 * where the kernel has it. Only ever called on an AMD IOMMU's domain.
 */
#if IS_ENABLED(CONFIG_AMD_IOMMU) && LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
int amd_iommu_domain_enable_v2(struct iommu_domain *dom, int pasids);

static inline int iconf_amd_enable_v2(struct iommu_domain *dom)
{
	return amd_iommu_domain_enable_v2(dom, 1);
}
#else
static inline int iconf_amd_enable_v2(struct iommu_domain *dom)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * iommu_{register,unregister}_device_fault_handler(), an int
 * iommu_report_device_fault() and iommu_page_response(dev, msg): the
 * device-level fault API of SPEC §3.
 */
#define ICONF_HAVE_DEV_FAULT_API (LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0))

/*
 * The device API's successor: iommu_report_device_fault(dev, struct
 * iopf_fault *) finds the attach handle of the domain attached to the
 * device, and calls that domain's iopf_handler with an iopf_group; the
 * consumer answers with iopf_group_response(). The attach-handle calls are
 * exported for iommufd (namespace IOMMUFD_INTERNAL). Built only where the
 * kernel has io-pgfault.c (CONFIG_IOMMU_IOPF: Debian's 6.12 and 7.2 do).
 */
#define ICONF_HAVE_IOPF_HANDLE (IS_ENABLED(CONFIG_IOMMU_IOPF) && \
				LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0))
#if ICONF_HAVE_IOPF_HANDLE
/* Exported, but declared only in drivers/iommu/iommu-priv.h, which no headers package ships. */
int iommu_attach_group_handle(struct iommu_domain *domain, struct iommu_group *group,
			      struct iommu_attach_handle *handle);
void iommu_detach_group_handle(struct iommu_domain *domain, struct iommu_group *group);
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define ICONF_IMPORT_IOMMUFD_NS() MODULE_IMPORT_NS("IOMMUFD_INTERNAL")
#else
#define ICONF_IMPORT_IOMMUFD_NS() MODULE_IMPORT_NS(IOMMUFD_INTERNAL)
#endif

/* A driver's view of the core (the mock IOMMU): see the list at the top. */
#define ICONF_AFTER_6_12 (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0))
#define ICONF_DRIVER_ALLOCS_PAGING ICONF_AFTER_6_12
#define ICONF_ATTACH_DEV_HAS_OLD ICONF_AFTER_6_12
#define ICONF_FAULT_HANDLER_ONCE ICONF_AFTER_6_12

/* May iommu_set_fault_handler() be called on @dom now without a WARN? */
static inline bool iconf_fault_handler_settable(struct iommu_domain *dom)
{
#if ICONF_FAULT_HANDLER_ONCE
	return dom->cookie_type == IOMMU_COOKIE_NONE;
#else
	return true;
#endif
}

#endif
