/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests' words for the conformance module's requests, in the manner
 * of the kernel's selftests/iommu/iommufd_utils.h:
 *
 *   _iconf_<op>(fd, ...)            makes the request and returns what the
 *                                   IOMMU API answered: 0 or -errno. When
 *                                   the module refused the request itself
 *                                   (an unknown id, a bad size: the test's
 *                                   own bug) the value is ICONF_REFUSED(e),
 *                                   which no API answer equals, so it can
 *                                   never pass for one.
 *   iconf_<op>(fd, ...)             asserts the API said 0 (and yields the
 *                                   new id where there is one).
 *
 * A test that expects a refusal compares _iconf_<op>()'s value itself: no
 * check here expects one fixed errno (the attach rules accept a table of
 * them), so there are no iconf_err_<op>() forms until one does.
 *
 * errno_name() names both kinds. The macros use the harness's _metadata,
 * so they belong in TEST()s, fixtures and helpers that take _metadata.
 * Include after kselftest_harness.h. Tests of the module's own request
 * checking (iommu_module) call iconf_call() on purpose.
 */
#ifndef ICONF_TEST_H
#define ICONF_TEST_H

#include <stdbool.h>
#include <stdio.h>

#include "iconf_client.h"

/*
 * The API's answer, unless the module refused the request (@call). The
 * request is made before this is called, never in its argument list: C
 * leaves the order in which arguments are evaluated open, so the answer
 * could be read before the request wrote it.
 */
static inline int iconf_answer(int call, long long api)
{
	return call ? ICONF_REFUSED(-call) : (int)api;
}

/* -errno either way: for callers that count failures, not blame them. */
static inline int iconf_any_errno(int ret)
{
	return iconf_refused(ret) ? -(-ret - ICONF_REFUSED_BASE) : ret;
}

static inline int _iconf_version(int fd, struct iconf_version *v)
{
	*v = (struct iconf_version){ .size = sizeof(*v) };
	return iconf_answer(iconf_call(fd, ICONF_VERSION, v), 0);
}

static inline int _iconf_dev_get(int fd, const char *name, struct iconf_dev_get *g)
{
	*g = (struct iconf_dev_get){ .size = sizeof(*g) };
	snprintf(g->name, sizeof(g->name), "%.*s", (int)sizeof(g->name) - 1, name);
	return iconf_answer(iconf_call(fd, ICONF_DEV_GET, g), 0);
}

static inline int _iconf_dev_domain(int fd, unsigned int dev, struct iconf_dev_domain *w)
{
	*w = (struct iconf_dev_domain){ .size = sizeof(*w), .dev_id = dev };
	return iconf_answer(iconf_call(fd, ICONF_DEV_DOMAIN, w), 0);
}

static inline int _iconf_domain_alloc(int fd, unsigned int dev, unsigned int *dom)
{
	struct iconf_domain_alloc a = { .size = sizeof(a), .dev_id = dev };
	int call = iconf_call(fd, ICONF_DOMAIN_ALLOC, &a);

	*dom = a.dom_id;
	return iconf_answer(call, a.api_ret);
}

static inline int _iconf_domain_free(int fd, unsigned int dom)
{
	struct iconf_domain_free f = { .size = sizeof(f), .dom_id = dom };

	int call = iconf_call(fd, ICONF_DOMAIN_FREE, &f);

	return iconf_answer(call, 0);
}

/* @how: ICONF_HOW_DEVICE (iommu_attach_device()) or ICONF_HOW_GROUP. */
static inline int _iconf_attach(int fd, unsigned int dev, unsigned int dom, unsigned int how)
{
	struct iconf_attach a = { .size = sizeof(a), .dev_id = dev, .dom_id = dom, .how = how };

	int call = iconf_call(fd, ICONF_ATTACH, &a);

	return iconf_answer(call, a.api_ret);
}

static inline int _iconf_detach(int fd, unsigned int dev, unsigned int dom, unsigned int how)
{
	struct iconf_attach a = { .size = sizeof(a), .dev_id = dev, .dom_id = dom, .how = how };

	int call = iconf_call(fd, ICONF_DETACH, &a);

	return iconf_answer(call, a.api_ret);
}

static inline int _iconf_map(int fd, unsigned int dom, unsigned long long iova,
			     unsigned long long length)
{
	struct iconf_map m = { .size = sizeof(m), .dom_id = dom, .iova = iova, .length = length };

	int call = iconf_call(fd, ICONF_MAP, &m);

	return iconf_answer(call, m.api_ret);
}

/* Claim (@own 1) or release DMA ownership of @dev's group, as VFIO does. */
static inline int _iconf_own(int fd, unsigned int dev, unsigned int own)
{
	struct iconf_own o = { .size = sizeof(o), .dev_id = dev, .own = own };

	int call = iconf_call(fd, ICONF_OWN, &o);

	return iconf_answer(call, o.api_ret);
}

/* 1: the domain now enforces cache coherency; 0: it cannot; or -errno. */
static inline int _iconf_coherent(int fd, unsigned int dom)
{
	struct iconf_coherent c = { .size = sizeof(c), .dom_id = dom };

	int call = iconf_call(fd, ICONF_COHERENT, &c);

	return iconf_answer(call, c.api_ret);
}

static inline int _iconf_amd_v2(int fd, unsigned int dev, unsigned int dom)
{
	struct iconf_amd_v2 v = { .size = sizeof(v), .dev_id = dev, .dom_id = dom };

	int call = iconf_call(fd, ICONF_AMD_V2, &v);

	return iconf_answer(call, v.api_ret);
}

/* edu DMA through @dom (0: the DMA API); the answer is the mapping's. */
static inline int _iconf_edu_dma(int fd, unsigned int dev, unsigned int dom,
				 struct iconf_edu_dma *e)
{
	int call;

	*e = (struct iconf_edu_dma){ .size = sizeof(*e), .dev_id = dev, .dom_id = dom };
	call = iconf_call(fd, ICONF_EDU_DMA, e);
	return iconf_answer(call, e->map_ret);
}

/* Read (and with @fl->watch set, arm) the fault record of @fl->dom_id. */
static inline int _iconf_faults(int fd, struct iconf_faults *fl)
{
	fl->size = sizeof(*fl);
	return iconf_answer(iconf_call(fd, ICONF_FAULTS, fl), 0);
}

#define __iconf_ok(what, expr)							\
	({									\
		int __iconf_ret = (expr);					\
		ASSERT_EQ(0, __iconf_ret)					\
			TH_LOG("%s: %s", what, errno_name(__iconf_ret));	\
	})
#define iconf_version(fd, v) \
	__iconf_ok("ICONF_VERSION", _iconf_version(fd, v))
#define iconf_dev_get(fd, name, g) \
	__iconf_ok("ICONF_DEV_GET", _iconf_dev_get(fd, name, g))
#define iconf_dev_domain(fd, dev, w) \
	__iconf_ok("ICONF_DEV_DOMAIN", _iconf_dev_domain(fd, dev, w))
#define iconf_domain_alloc(fd, dev)						\
	({									\
		unsigned int __iconf_dom = 0;					\
		__iconf_ok("domain allocation",					\
			   _iconf_domain_alloc(fd, dev, &__iconf_dom));		\
		__iconf_dom;							\
	})
#define iconf_domain_free(fd, dom) \
	__iconf_ok("domain free", _iconf_domain_free(fd, dom))
#define iconf_attach(fd, dev, dom) \
	__iconf_ok("iommu_attach_device()", _iconf_attach(fd, dev, dom, ICONF_HOW_DEVICE))
#define iconf_attach_group(fd, dev, dom) \
	__iconf_ok("iommu_attach_group()", _iconf_attach(fd, dev, dom, ICONF_HOW_GROUP))
#define iconf_detach(fd, dev, dom) \
	__iconf_ok("iommu_detach_device()", _iconf_detach(fd, dev, dom, ICONF_HOW_DEVICE))
#define iconf_detach_group(fd, dev, dom) \
	__iconf_ok("iommu_detach_group()", _iconf_detach(fd, dev, dom, ICONF_HOW_GROUP))
#define iconf_map(fd, dom, iova, length) \
	__iconf_ok("iommu_map()", _iconf_map(fd, dom, iova, length))
#define iconf_own(fd, dev, own) \
	__iconf_ok((own) ? "claiming DMA ownership" : "releasing DMA ownership", \
		   _iconf_own(fd, dev, own))
#define iconf_edu_dma(fd, dev, dom, e) \
	__iconf_ok("mapping for the edu DMA", _iconf_edu_dma(fd, dev, dom, e))
#define iconf_faults(fd, fl) \
	__iconf_ok("ICONF_FAULTS", _iconf_faults(fd, fl))

#endif
