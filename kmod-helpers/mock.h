/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What iommu_mock exports to iommu_conformance. The conformance module
 * looks these up with symbol_get(), so it loads where the mock cannot.
 */
#ifndef ICONF_MOCK_H
#define ICONF_MOCK_H

#include <linux/iommu.h>

#include "compat.h"

/* Move @len bytes between the device's buffer and bus address @addr. */
int iconf_mock_xfer(struct device *dev, u64 addr, bool to_ram, size_t len);
/* The domain the mock hardware really translates the device's DMA with. */
struct iommu_domain *iconf_mock_hw_domain(struct device *dev);

#if ICONF_HAVE_DEV_FAULT_API
/* The mock driver's fault path: iommu_report_device_fault(), or a seeded bug. */
int iconf_mock_report(struct device *dev, struct iommu_fault_event *evt);
#endif

#if ICONF_HAVE_IOPF_HANDLE
/*
 * The mock device sends a page request: the mock driver reports it to the
 * core (iommu_report_device_fault()) while PRI is on, that is while a
 * fault-capable domain is attached; -ENODEV when it is off. It tags the
 * request (prm.private_data[0]) with the domain the hardware had when the
 * request was raised, which the handler can compare with its own.
 */
int iconf_mock_page_request(struct device *dev, struct iopf_fault *evt);
/* Every page response the driver gets is passed to @fn (NULL: none). */
typedef void (*iconf_mock_answer_fn)(void *data, const struct iommu_page_response *msg);
int iconf_mock_set_answer_hook(struct device *dev, iconf_mock_answer_fn fn, void *data);
#endif

#endif
