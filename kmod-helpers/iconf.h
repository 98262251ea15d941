/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces of the iommu_conformance module. */
#ifndef ICONF_H
#define ICONF_H

#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/pci.h>

#include "include/uapi/iommu_conformance.h"

#define ICONF_MAX_MAPS 8

struct iconf_mapping {
	unsigned long iova;
	size_t length;
	struct page *pages;
	unsigned int order;
};

struct iconf_fault_log {
	spinlock_t lock;	/* the handler may run in interrupt context */
	u32 count;
	u64 iova;
	u32 flags;
	char dev[32];
};

struct iconf_dom {
	struct iommu_domain *domain;	/* NULL: slot free */
	struct iconf_mapping maps[ICONF_MAX_MAPS];
	struct iconf_fault_log faults;
	bool watched;			/* its fault handler is set (once, today) */
};

struct iconf_dev {
	struct device *dev;		/* NULL: slot free; holds a reference */
	struct pci_dev *pdev;		/* the same, if it is a PCI device */
	struct iommu_group *group;
	struct iommu_domain *boot;	/* its domain when the file took it */
	unsigned int attached;		/* dom_id it is attached to, or 0 */
	unsigned int how;		/* ICONF_HOW_* of that attach */
	bool owned;			/* we claimed DMA ownership of its group */
};

/* State of one open file; ids are slot index + 1, 0 meaning none. */
struct iconf_file {
	struct mutex lock;
	struct iconf_dev devs[ICONF_MAX_DEVS];
	struct iconf_dom doms[ICONF_MAX_DOMAINS];
};

long iconf_dev_get(struct iconf_file *f, void *arg);
long iconf_dev_domain(struct iconf_file *f, void *arg);
long iconf_domain_alloc(struct iconf_file *f, void *arg);
long iconf_domain_free(struct iconf_file *f, void *arg);
long iconf_map(struct iconf_file *f, void *arg);
long iconf_unmap(struct iconf_file *f, void *arg);
long iconf_coherent(struct iconf_file *f, void *arg);
long iconf_attach(struct iconf_file *f, void *arg);
long iconf_detach(struct iconf_file *f, void *arg);
long iconf_own(struct iconf_file *f, void *arg);
long iconf_amd_v2(struct iconf_file *f, void *arg);
long iconf_faults(struct iconf_file *f, void *arg);
long iconf_edu_dma(struct iconf_file *f, void *arg);
long iconf_race(struct iconf_file *f, void *arg);
void iconf_release_all(struct iconf_file *f);
void iconf_attach_init(void);

struct iconf_dev *iconf_dev_lookup(struct iconf_file *f, u32 id);
struct iconf_dom *iconf_dom_lookup(struct iconf_file *f, u32 id);

bool iconf_is_edu(struct pci_dev *pdev);
bool iconf_is_mock(struct device *dev);
int iconf_edu_register(void);
void iconf_edu_unregister(void);

#endif
