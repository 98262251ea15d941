// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_attach: the ->attach_dev return contract (v6.2 kernel-doc of
 * struct iommu_domain_ops), checked through the IOMMU API on real devices.
 *
 * The rules (../shared/SPEC.md §1) and the codes are contracts/attach_rules.def;
 * which rule each test checks is contracts/attach_checks.def, which also
 * generates the provoked tests below. Each test logs its rule first.
 *
 * Variants are device kinds QEMU provides; a kind absent from the machine
 * SKIPs. A device bound to a driver is unbound only with
 * IOMMU_ATTACH_UNBIND=1 (the gate sets it; on a real machine it could be
 * your disk) and bound again at the end. edu is driven by the module's own
 * driver, which leaves DMA ownership to the tests. The mock variants run
 * on fake hardware (iommu_mock), in a guest with no other IOMMU.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_harness.h"
#include "contracts.h"
#include "iconf_test.h"
#include "iommu_sysfs.h"

FIXTURE(attach) {
	int fd;
	char bdf[32];
	char driver[64];
	bool unbound;
	unsigned int dev;
	bool dma;	/* it has a DMA engine to prove with: edu, or the mock's */
	bool refused;	/* a provoked attach failed: see heal() */
	char unavailable[200];
};

FIXTURE_VARIANT(attach) {
	unsigned int vendor;
	unsigned int ids[3];
	const char *name;	/* a device of the mock IOMMU instead */
};

FIXTURE_VARIANT_ADD(attach, edu) { .vendor = 0x1234, .ids = { 0x11e8 } };
FIXTURE_VARIANT_ADD(attach, nvme) { .vendor = 0x1b36, .ids = { 0x0010 } };
FIXTURE_VARIANT_ADD(attach, e1000e) { .vendor = 0x8086, .ids = { 0x10d3 } };
FIXTURE_VARIANT_ADD(attach, virtio_net) { .vendor = 0x1af4, .ids = { 0x1000, 0x1041 } };
/* Fake hardware (kmod-helpers/iommu_mock.c): default, identity, strict DMA. */
FIXTURE_VARIANT_ADD(attach, mock) { .name = ICONF_MOCK_PREFIX "0" };
FIXTURE_VARIANT_ADD(attach, mock_identity) { .name = ICONF_MOCK_PREFIX "1" };
FIXTURE_VARIANT_ADD(attach, mock_strict) { .name = ICONF_MOCK_PREFIX "2" };

/* The rule this test checks, as a diagnostic the report and readers see. */
static void log_rule(struct __test_metadata *_metadata, const char *fixture)
{
	char rule = attach_rule_of(fixture, _metadata->name);

	if (rule)
		TH_LOG("rule %c: %s", rule, attach_rule_text(rule));
}

static bool may_unbind(void)
{
	const char *e = getenv("IOMMU_ATTACH_UNBIND");

	return e && !strcmp(e, "1");
}

FIXTURE_SETUP(attach)
{
	struct iconf_dev_get g = { .size = sizeof(g) };
	int ret;

	log_rule(_metadata, "attach");
	self->fd = iconf_open(self->unavailable, sizeof(self->unavailable));
	if (self->fd < 0)
		return;
	if (variant->name) {
		snprintf(self->bdf, sizeof(self->bdf), "%s", variant->name);
	} else if (pci_find(variant->vendor, variant->ids, self->bdf, sizeof(self->bdf),
			    self->driver, sizeof(self->driver))) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no such device on this machine");
		return;
	}
	if (self->driver[0] && strcmp(self->driver, "iconf_edu")) {
		if (!may_unbind()) {
			snprintf(self->unavailable, sizeof(self->unavailable),
				 "%s is bound to %s; IOMMU_ATTACH_UNBIND=1 lets the test unbind it",
				 self->bdf, self->driver);
			return;
		}
		ret = pci_unbind(self->bdf);
		ASSERT_EQ(0, ret) TH_LOG("unbind %s from %s: %s", self->bdf,
					 self->driver, strerror(-ret));
		self->unbound = true;
	}
	ret = _iconf_dev_get(self->fd, self->bdf, &g);
	if (ret == ICONF_REFUSED(ENODEV) && variant->name) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no %s: the mock IOMMU is not loaded", variant->name);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("ICONF_DEV_GET %s: %s", self->bdf, errno_name(ret));
	self->dev = g.dev_id;
	self->dma = g.flags & (ICONF_DEV_IS_EDU | ICONF_DEV_IS_MOCK);
	if (g.group_id < 0)
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "%s has no IOMMU group", self->bdf);
	else if (g.group_devices != 1)
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "%s shares group %d with %u devices: device attach needs a group of its own",
			 self->bdf, g.group_id, g.group_devices);
	else
		TH_LOG("device %s (group %d, driver %s)", self->bdf, g.group_id,
		       self->driver[0] ? self->driver : "none");
}

/*
 * After a refused attach a driver may have left the device blocked while
 * the core says it is on its default domain (7.2's intel: rule E). That
 * is the test's finding, not something the next test or the driver's
 * rebind should inherit: a fresh domain attached and detached makes the
 * core attach the default domain again for real.
 */
static void heal(struct __test_metadata *_metadata, int fd, unsigned int dev)
{
	unsigned int dom;

	if (_iconf_domain_alloc(fd, dev, &dom))
		return;
	if (!_iconf_attach(fd, dev, dom, ICONF_HOW_DEVICE))
		_iconf_detach(fd, dev, dom, ICONF_HOW_DEVICE);
	_iconf_domain_free(fd, dom);
	TH_LOG("after the refused attach: a fresh domain attached and detached, the default domain back");
}

FIXTURE_TEARDOWN(attach)
{
	int ret;

	if (self->fd >= 0 && self->refused)
		heal(_metadata, self->fd, self->dev);
	if (self->fd >= 0)
		close(self->fd);	/* the module undoes what the test did */
	if (self->unbound) {
		ret = pci_bind(self->bdf, self->driver);
		if (ret)
			TH_LOG("rebinding %s to %s: %s", self->bdf, self->driver,
			       strerror(-ret));
	}
}

/* ---- steps, each asserting that the test module itself did its part ---- */

static unsigned int new_domain(struct __test_metadata *_metadata, int fd,
			       unsigned int dev)
{
	return iconf_domain_alloc(fd, dev);
}

static int attach(struct __test_metadata *_metadata, int fd, unsigned int dev,
		  unsigned int dom, struct kmsg_window *log)
{
	struct kmsg_window dummy;
	int ret;

	if (!log)
		log = &dummy;
	kmsg_mark(log);
	ret = _iconf_attach(fd, dev, dom, ICONF_HOW_DEVICE);
	ASSERT_FALSE(iconf_refused(ret)) TH_LOG("ICONF_ATTACH: %s", errno_name(ret));
	kmsg_collect(log);
	for (int i = 0; i < log->lines && i < (int)ARRAY_SIZE(log->text); i++)
		TH_LOG("kernel: %s", log->text[i]);
	return ret;
}

static void detach(struct __test_metadata *_metadata, int fd, unsigned int dev,
		   unsigned int dom)
{
	iconf_detach(fd, dev, dom);
}

static int where(struct __test_metadata *_metadata, int fd,
		 unsigned int dev, unsigned int *dom)
{
	struct iconf_dev_domain w;

	iconf_dev_domain(fd, dev, &w);
	TH_LOG("the core says the device is on %s%s (type %u)", where_name(w.where),
	       w.where == ICONF_ON_OURS ? (w.dom_id == *dom ? " (this one)" : " (another of ours)") : "",
	       w.type);
	if (w.where == ICONF_ON_OURS)
		*dom = w.dom_id;
	return (int)w.where;
}

/* edu DMA through domain @dom (0: the DMA API). Returns ICONF_EDU_* bits. */
static unsigned int edu_dma(struct __test_metadata *_metadata, int fd,
			    unsigned int dev, unsigned int dom)
{
	struct iconf_edu_dma e;

	iconf_edu_dma(fd, dev, dom, &e);
	TH_LOG("device DMA %s: bus address 0x%llx, physical 0x%llx:%s%s%s%s",
	       dom ? "through the test's domain" : "through its current domain",
	       (unsigned long long)e.dma_addr, (unsigned long long)e.phys_addr,
	       e.result & ICONF_EDU_ARRIVED ? " data arrived" : " data did NOT arrive",
	       e.result & ICONF_EDU_TIMEOUT ? ", a transfer timed out" : "",
	       e.result & ICONF_EDU_LEAKED ? ", data landed at the IOVA as a physical address" : "",
	       e.result & ICONF_EDU_CANARY_HIT ? ", the unmapped IOVA reached memory" : "");
	return e.result;
}

static bool dma_translated(unsigned int r)
{
	return (r & ICONF_EDU_ARRIVED) && !(r & (ICONF_EDU_TIMEOUT | ICONF_EDU_LEAKED |
						 ICONF_EDU_CANARY_HIT));
}

/* The core says the device is on @dom, and (@dma) its DMA goes through it. */
static void expect_on(struct __test_metadata *_metadata, struct _test_data_attach *self,
		      unsigned int dom, bool dma)
{
	unsigned int seen = dom;

	ASSERT_EQ(ICONF_ON_OURS, where(_metadata, self->fd, self->dev, &seen));
	ASSERT_EQ(dom, seen);
	if (dma && self->dma)
		ASSERT_TRUE(dma_translated(edu_dma(_metadata, self->fd, self->dev, dom)));
}

/* ---- C, D, G: what must simply work ---- */

TEST_F(attach, fresh_attach_C)
{
	unsigned int dom, seen;
	int ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	dom = new_domain(_metadata, self->fd, self->dev);
	ret = attach(_metadata, self->fd, self->dev, dom, NULL);
	TH_LOG("attach of a fresh domain: %s", errno_name(ret));
	if (ret == -ENOMEM || ret == -ENOSPC)
		SKIP(return, "the attach ran out of resources (%s): allowed, proves nothing",
		     errno_name(ret));
	ASSERT_EQ(0, ret);
	expect_on(_metadata, self, dom, false);
	detach(_metadata, self->fd, self->dev, dom);
	ASSERT_EQ(ICONF_ON_BOOT, where(_metadata, self->fd, self->dev, &seen));
}

TEST_F(attach, dma_follows_attach_D)
{
	unsigned int dom, r;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	if (!self->dma)
		SKIP(return, "neither edu (bound to iconf_edu) nor a mock device: no DMA engine to prove with");
	dom = new_domain(_metadata, self->fd, self->dev);
	ASSERT_EQ(0, attach(_metadata, self->fd, self->dev, dom, NULL));
	r = edu_dma(_metadata, self->fd, self->dev, dom);
	EXPECT_TRUE(!!(r & ICONF_EDU_UNMAPPED_RUN));
	ASSERT_TRUE(dma_translated(r))
		TH_LOG("attach returned 0 but the device's DMA does not go through the domain");
	detach(_metadata, self->fd, self->dev, dom);
	r = edu_dma(_metadata, self->fd, self->dev, 0);
	ASSERT_TRUE(!!(r & ICONF_EDU_ARRIVED)) TH_LOG("DMA broken after detach");
}

TEST_F(attach, same_domain_twice_G)
{
	unsigned int dom, seen;
	int ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	dom = new_domain(_metadata, self->fd, self->dev);
	ASSERT_EQ(0, attach(_metadata, self->fd, self->dev, dom, NULL));
	ret = attach(_metadata, self->fd, self->dev, dom, NULL);
	TH_LOG("second attach of the same domain: %s", errno_name(ret));
	/* 0 (nothing to do) or EBUSY (already attached) both keep the contract. */
	EXPECT_TRUE(ret == 0 || ret == -EBUSY);
	expect_on(_metadata, self, dom, true);
	detach(_metadata, self->fd, self->dev, dom);
	ASSERT_EQ(ICONF_ON_BOOT, where(_metadata, self->fd, self->dev, &seen));
}

TEST_F(attach, detach_reattach_G)
{
	unsigned int dom, seen;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	dom = new_domain(_metadata, self->fd, self->dev);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, attach(_metadata, self->fd, self->dev, dom, NULL))
			TH_LOG("cycle %d", i);
		expect_on(_metadata, self, dom, true);
		detach(_metadata, self->fd, self->dev, dom);
		ASSERT_EQ(ICONF_ON_BOOT, where(_metadata, self->fd, self->dev, &seen));
		if (self->dma)
			ASSERT_TRUE(!!(edu_dma(_metadata, self->fd, self->dev, 0) & ICONF_EDU_ARRIVED));
	}
}

TEST_F(attach, owned_attach_G)
{
	unsigned int dom, seen = 0;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	iconf_own(self->fd, self->dev, 1);
	/* Ownership parks the group on a blocking domain, as VFIO sees it. */
	EXPECT_EQ(ICONF_ON_OTHER, where(_metadata, self->fd, self->dev, &seen));
	dom = new_domain(_metadata, self->fd, self->dev);
	ASSERT_EQ(0, attach(_metadata, self->fd, self->dev, dom, NULL));
	expect_on(_metadata, self, dom, true);
	detach(_metadata, self->fd, self->dev, dom);
	EXPECT_EQ(ICONF_ON_OTHER, where(_metadata, self->fd, self->dev, &seen));
	iconf_own(self->fd, self->dev, 0);
	ASSERT_EQ(ICONF_ON_BOOT, where(_metadata, self->fd, self->dev, &seen));
	if (self->dma)
		ASSERT_TRUE(!!(edu_dma(_metadata, self->fd, self->dev, 0) & ICONF_EDU_ARRIVED));
}

/* ---- provoked incompatibilities: A, B, E, F, and G after a failure ---- */

struct provoked {
	int ret;		/* the attach's return */
	bool expect_ok;		/* the hardware can honour this domain */
	bool expect_either;	/* the driver decides per device: 0 or EINVAL */
	struct kmsg_window log;	/* what the kernel printed meanwhile */
	int where;		/* where the core says the device is after */
	unsigned int dom;
};

/*
 * A domain with a mapping beyond what the IOMMU can translate. Returns
 * NULL when provoked, else why this driver offers no such incompatibility.
 */
static const char *provoke_width(struct __test_metadata *_metadata,
				 struct _test_data_attach *self, struct provoked *p)
{
	static char why[200];
	const char *drv = iommu_driver();
	unsigned long long iova;
	int ret;
	int width = !strcmp(drv, "intel") ? intel_width() :
		    !strcmp(drv, "mock") ? mock_width() : 0;

	if (!width) {
		snprintf(why, sizeof(why),
			 "%s: attach does not check a domain's mappings against the IOMMU's width",
			 *drv ? drv : "no IOMMU driver");
		return why;
	}
	ASSERT_LT(0, width) TH_LOG("cannot read the %s IOMMU's address width", drv);
	/* No IOVA lies beyond a 64-bit width: nothing to provoke. */
	ASSERT_GT(64, width) TH_LOG("the %s IOMMU claims a %d-bit address width", drv, width);
	p->dom = new_domain(_metadata, self->fd, self->dev);
	iova = 1ULL << width;
	ret = _iconf_map(self->fd, p->dom, iova, 4096);
	ASSERT_FALSE(iconf_refused(ret)) TH_LOG("ICONF_MAP: %s", errno_name(ret));
	if (ret) {
		/* Today's kernels size a device's domain to its IOMMU. */
		snprintf(why, sizeof(why),
			 "refused earlier: iommu_map() of IOVA 2^%d on a domain allocated for this device answers %s (beyond its aperture), so no attach meets the width incompatibility",
			 width, errno_name(ret));
		return why;
	}
	TH_LOG("domain %u maps IOVA 0x%llx, beyond the IOMMU's %d-bit width", p->dom,
	       iova, width);
	p->expect_ok = false;
	p->ret = attach(_metadata, self->fd, self->dev, p->dom, &p->log);
	TH_LOG("attach: %s", errno_name(p->ret));
	p->where = where(_metadata, self->fd, self->dev, &(unsigned int){ 0 });
	return NULL;
}

/* A domain that enforces cache coherency (what VFIO asks for). */
static const char *provoke_coherency(struct __test_metadata *_metadata,
				     struct _test_data_attach *self, struct provoked *p)
{
	static char why[160];
	const char *drv = iommu_driver();
	int ret;

	p->dom = new_domain(_metadata, self->fd, self->dev);
	ret = _iconf_coherent(self->fd, p->dom);
	ASSERT_FALSE(iconf_refused(ret)) TH_LOG("ICONF_COHERENT: %s", errno_name(ret));
	if (ret != 1) {
		snprintf(why, sizeof(why), "the domain cannot enforce coherency (%s): nothing to provoke",
			 ret ? errno_name(ret) : "false");
		return why;
	}
	if (!strcmp(drv, "intel")) {
		int sc = intel_snoop_control();

		ASSERT_LE(0, sc) TH_LOG("cannot read the intel IOMMU's ecap register");
		p->expect_ok = sc;
		TH_LOG("intel IOMMU %s snoop control", sc ? "has" : "lacks");
	} else if (!strcmp(drv, "amd")) {
		/* amd sets IOMMU_PTE_FC on every mapping: always coherent. */
		p->expect_ok = true;
	} else {
		/*
		 * The domain said yes before any device was attached: whether
		 * this device can honour it is the driver's decision per device
		 * (a master's own coherency), so 0 and a silent -EINVAL both
		 * keep the contract.
		 */
		p->expect_either = true;
	}
	p->ret = attach(_metadata, self->fd, self->dev, p->dom, &p->log);
	TH_LOG("attach of a coherency-enforcing domain: %s (%s expected)", errno_name(p->ret),
	       p->expect_either ? "0 or EINVAL" : p->expect_ok ? "0" : "EINVAL");
	p->where = where(_metadata, self->fd, self->dev, &(unsigned int){ 0 });
	return NULL;
}

/*
 * amd: an IOMMUv2 (PASID) domain, which amd-iommu 6.1's attach_device()
 * refuses for a device whose default domain is not identity.
 */
static const char *provoke_amd_v2(struct __test_metadata *_metadata,
				  struct _test_data_attach *self, struct provoked *p)
{
	static char why[160];
	int ret;

	if (strcmp(iommu_driver(), "amd"))
		return "not an AMD IOMMU: IOMMUv2 domains are amd-iommu's";
	p->dom = new_domain(_metadata, self->fd, self->dev);
	ret = _iconf_amd_v2(self->fd, self->dev, p->dom);
	if (ret) {
		snprintf(why, sizeof(why), "cannot make an IOMMUv2 domain: %s", errno_name(ret));
		return why;
	}
	TH_LOG("domain %u is an IOMMUv2 domain; the device's default domain is not identity",
	       p->dom);
	p->expect_ok = false;
	p->ret = attach(_metadata, self->fd, self->dev, p->dom, &p->log);
	TH_LOG("attach: %s", errno_name(p->ret));
	p->where = where(_metadata, self->fd, self->dev, &(unsigned int){ 0 });
	return NULL;
}

/*
 * A domain of another IOMMU instance (SPEC 1: arm-smmu-v3's "cannot attach
 * to SMMU"): made for an edu device behind another IOMMU than this one's,
 * and attached to it and detached first, because 6.1 ties a domain to an
 * IOMMU at its first attach (later kernels at its allocation).
 */
static const char *provoke_foreign(struct __test_metadata *_metadata,
				   struct _test_data_attach *self, struct provoked *p)
{
	struct iconf_dev_get g = { .size = sizeof(g) };
	char other[32];
	int ret;

	if (pci_edu_behind_other_iommu(self->bdf, other, sizeof(other)))
		return "no edu device behind another IOMMU instance than this one's (the smmuv3x2 topology has one)";
	ret = _iconf_dev_get(self->fd, other, &g);
	ASSERT_EQ(0, ret) TH_LOG("ICONF_DEV_GET %s: %s", other, errno_name(ret));
	p->dom = new_domain(_metadata, self->fd, g.dev_id);
	ret = attach(_metadata, self->fd, g.dev_id, p->dom, NULL);
	ASSERT_EQ(0, ret) TH_LOG("attach to %s, the device it was made for: %s", other,
				 errno_name(ret));
	detach(_metadata, self->fd, g.dev_id, p->dom);
	TH_LOG("domain %u belongs to the IOMMU of %s (attached there and detached)", p->dom,
	       other);
	p->expect_ok = false;
	p->ret = attach(_metadata, self->fd, self->dev, p->dom, &p->log);
	TH_LOG("attach: %s", errno_name(p->ret));
	p->where = where(_metadata, self->fd, self->dev, &(unsigned int){ 0 });
	return NULL;
}

typedef const char *(*provoker)(struct __test_metadata *, struct _test_data_attach *,
				 struct provoked *);

/* NULL once provoked; else why the test cannot run here. */
static const char *provoke(struct __test_metadata *_metadata,
			   struct _test_data_attach *self, provoker how,
			   struct provoked *p)
{
	const char *why;

	if (self->unavailable[0])
		return self->unavailable;
	why = how(_metadata, self, p);
	self->refused |= !why && p->ret;
	return why;
}

static void rule_A(struct __test_metadata *_metadata, struct _test_data_attach *self,
		   provoker how)
{
	struct provoked p = {};
	const char *why = provoke(_metadata, self, how, &p);

	if (why)
		SKIP(return, "%s", why);
	if (p.expect_either) {
		ASSERT_TRUE(!p.ret || p.ret == -EINVAL)
			TH_LOG("a per-device incompatibility reported as %s, not EINVAL",
			       errno_name(p.ret));
	} else if (p.expect_ok) {
		ASSERT_EQ(0, p.ret) TH_LOG("the hardware can honour the domain, yet %s",
					   errno_name(p.ret));
	} else {
		ASSERT_EQ(-EINVAL, p.ret) TH_LOG("incompatibility reported as %s, not EINVAL",
						 errno_name(p.ret));
	}
}

static void rule_B(struct __test_metadata *_metadata, struct _test_data_attach *self,
		   provoker how)
{
	struct provoked p = {};
	const char *why = provoke(_metadata, self, how, &p);

	if (why)
		SKIP(return, "%s", why);
	if (!p.ret)
		SKIP(return, "the attach succeeded: no failure path to be silent on");
	ASSERT_EQ(0, p.log.lines) TH_LOG("the failing attach (%s) printed %d line(s)",
					 errno_name(p.ret), p.log.lines);
}

static void rule_E(struct __test_metadata *_metadata, struct _test_data_attach *self,
		   provoker how)
{
	struct provoked p = {};
	const char *why = provoke(_metadata, self, how, &p);

	if (why)
		SKIP(return, "%s", why);
	if (!p.ret)
		SKIP(return, "the attach succeeded: no failure to recover from");
	ASSERT_EQ(ICONF_ON_BOOT, p.where)
		TH_LOG("after the failed attach the device is on %s", where_name(p.where));
	if (self->dma)
		ASSERT_TRUE(!!(edu_dma(_metadata, self->fd, self->dev, 0) & ICONF_EDU_ARRIVED))
			TH_LOG("DMA through the old domain no longer works");
}

static void rule_F(struct __test_metadata *_metadata, struct _test_data_attach *self,
		   provoker how)
{
	struct provoked p = {};
	const char *why = provoke(_metadata, self, how, &p);

	if (why)
		SKIP(return, "%s", why);
	ASSERT_TRUE(attach_code_listed(p.ret))
		TH_LOG("%s is outside the contract's table (%s): discouraged",
		       errno_name(p.ret), attach_codes_text());
}

static void rule_G(struct __test_metadata *_metadata, struct _test_data_attach *self,
		   provoker how)
{
	struct provoked p = {};
	const char *why = provoke(_metadata, self, how, &p);
	unsigned int dom;

	if (why)
		SKIP(return, "%s", why);
	if (!p.ret)
		SKIP(return, "the attach succeeded: no failure to retry after");
	dom = new_domain(_metadata, self->fd, self->dev);
	ASSERT_EQ(0, attach(_metadata, self->fd, self->dev, dom, NULL))
		TH_LOG("a fresh domain no longer attaches after a failed attach");
	expect_on(_metadata, self, dom, true);
}

/* One test per row of contracts/attach_checks.def's ATTACH_PROVOKED. */
#define ATTACH_PROVOKED(test, provocation, rule)			\
	TEST_F(attach, test)						\
	{								\
		rule_##rule(_metadata, self, provoke_##provocation);	\
	}
#include "attach_checks.def"

/* ---- the core: a group of several devices ---- */

FIXTURE(multi) {
	int fd;
	int group;
	unsigned int ndev;
	unsigned int devs[ICONF_MAX_DEVS];
	char unavailable[200];
};

FIXTURE_SETUP(multi)
{
	char names[ICONF_MAX_DEVS][32];

	log_rule(_metadata, "multi");
	self->fd = iconf_open(self->unavailable, sizeof(self->unavailable));
	if (self->fd < 0)
		return;
	self->group = multi_device_group(names, ICONF_MAX_DEVS, &self->ndev);
	if (self->group < 0) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no group with several devices and no drivers on this machine");
		return;
	}
	self->ndev = self->ndev < ICONF_MAX_DEVS ? self->ndev : ICONF_MAX_DEVS;
	for (unsigned int i = 0; i < self->ndev; i++) {
		struct iconf_dev_get g;

		iconf_dev_get(self->fd, names[i], &g);
		self->devs[i] = g.dev_id;
		TH_LOG("group %d: %s", self->group, names[i]);
	}
}

FIXTURE_TEARDOWN(multi)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(multi, attach_device_A)
{
	unsigned int dom, seen = 0;
	int ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	dom = new_domain(_metadata, self->fd, self->devs[0]);
	ret = attach(_metadata, self->fd, self->devs[0], dom, NULL);
	TH_LOG("iommu_attach_device() on one device of a %u-device group: %s",
	       self->ndev, errno_name(ret));
	ASSERT_NE(0, ret) TH_LOG("the core attached one device of a shared group");
	EXPECT_EQ(ICONF_ON_BOOT, where(_metadata, self->fd, self->devs[0], &seen));
	/* A group-wide condition, not an incompatibility: EINVAL would mislead. */
	ASSERT_NE(-EINVAL, ret)
		TH_LOG("EINVAL means 'incompatible' to callers; a shared group is not that");
}

TEST_F(multi, attach_group_C)
{
	unsigned int dom, seen;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	dom = new_domain(_metadata, self->fd, self->devs[0]);
	iconf_attach_group(self->fd, self->devs[0], dom);
	for (unsigned int i = 0; i < self->ndev; i++) {
		seen = dom;
		ASSERT_EQ(ICONF_ON_OURS, where(_metadata, self->fd, self->devs[i], &seen));
	}
	iconf_detach_group(self->fd, self->devs[0], dom);
	for (unsigned int i = 0; i < self->ndev; i++)
		ASSERT_EQ(ICONF_ON_BOOT, where(_metadata, self->fd, self->devs[i], &seen));
}
