// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_fault_race: the fault-reporting APIs under concurrency (SPEC §3).
 * The conformance module plays the IOMMU driver that reports faults and
 * the consumers that register, unregister, answer page requests and
 * replace the domain's handler, all at once; it checks the API's promises
 * on every handler call and every unregister, and counts each broken one
 * by name. The contract tests take the same calls one at a time and check
 * each return code against SPEC §3.
 *
 * On edu the reports go straight to the core (the module is the driver);
 * on the mock IOMMU's device (fake hardware) they go through the mock
 * driver's fault path, where iommu_race_meta.sh seeds a race to prove
 * these tests catch one.
 *
 * v6.9 removed the device-level API (dev_*); its successor (v6.11+:
 * page requests delivered to the iopf_handler of the domain attached with
 * an attach handle, as iommufd's fault objects use it) is iopf_*. Only a
 * device that sends page requests can drive it, and no device QEMU
 * emulates does (PCIe PRI): the mock's device does, as fake hardware,
 * with the core's io-pgfault.c between it and the consumer.
 *
 * Sizes: IOMMU_RACE_THREADS (2), IOMMU_RACE_MS (1500 a stress test),
 * IOMMU_RACE_ITERATIONS (per thread, none), STRESS=long (an hour each).
 * IOMMU_RACE_UNSAFE=1 adds the one that crashes v6.1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "contracts.h"
#include "iconf_harness.h"
#include "iconf_test.h"
#include "race_client.h"

FIXTURE(race) {
	int fd;
	unsigned int dev;
	bool dev_api, iopf_api;
	struct race_size size;
	char unavailable[200];
};

FIXTURE_VARIANT(race) {
	const char *name;	/* a mock IOMMU device; NULL: edu */
};

FIXTURE_VARIANT_ADD(race, edu) { .name = NULL };
/* Fake hardware (kmod-helpers/iommu_mock.c), its own fault path. */
FIXTURE_VARIANT_ADD(race, mock) { .name = ICONF_MOCK_PREFIX "0" };

FIXTURE_SETUP(race)
{
	static const unsigned int edu_ids[] = { 0x11e8, 0 };
	struct iconf_version v;
	struct iconf_dev_get g;
	char name[sizeof(g.name)] = "", drv[64];
	int ret;

	if (race_size_from_env(&self->size, self->unavailable, sizeof(self->unavailable)))
		ASSERT_TRUE(0) TH_LOG("%s", self->unavailable);
	self->fd = iconf_open(self->unavailable, sizeof(self->unavailable));
	if (self->fd < 0)
		return;
	iconf_version(self->fd, &v);
	self->dev_api = !!(v.features & ICONF_FEAT_DEV_FAULT);
	self->iopf_api = !!(v.features & ICONF_FEAT_IOPF);
	if (variant->name)
		snprintf(name, sizeof(name), "%s", variant->name);
	else if (pci_find(0x1234, edu_ids, name, sizeof(name), drv, sizeof(drv)))
		snprintf(self->unavailable, sizeof(self->unavailable), "no edu device");
	if (self->unavailable[0])
		return;
	ret = _iconf_dev_get(self->fd, name, &g);
	if (ret == ICONF_REFUSED(ENODEV) && variant->name) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no %s: the mock IOMMU is not loaded", variant->name);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("ICONF_DEV_GET %s: %s", g.name, errno_name(ret));
	if (g.group_id < 0)
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "%s has no IOMMU: no fault API to exercise", g.name);
	self->dev = g.dev_id;
}

FIXTURE_TEARDOWN(race)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Every invariant, each a named check with its count. */
static void expect_clean(struct __test_metadata *_metadata, const struct iconf_race *a)
{
	char line[600];
	FILE *f = fmemopen(line, sizeof(line), "w");

	for (int i = 0; i < ICONF_RV_NR; i++) {
		EXPECT_EQ(0U, a->violations[i])
			TH_LOG("invariant %s broken %u time(s)", race_violation_name(i),
			       a->violations[i]);
	}
	if (f) {
		race_print(f, "", a);
		fclose(f);
		for (char *l = strtok(line, "\n"); l; l = strtok(NULL, "\n"))
			TH_LOG("%s", l);
	}
}

static int run(struct __test_metadata *_metadata, struct _test_data_race *self,
	       unsigned int scenario, unsigned int dom, unsigned int flags, struct iconf_race *a)
{
	memset(a, 0, sizeof(*a));
	a->dev_id = self->dev;
	a->dom_id = dom;
	a->flags = flags;
	a->scenario = scenario;
	a->threads = self->size.threads;
	a->duration_ms = self->size.ms;
	a->iterations = self->size.iterations;
	return race_call(self->fd, a);
}

/* One step's value against the contract: named, with errno names. */
static void expect_step(struct __test_metadata *_metadata, const struct iconf_race *a,
			unsigned int step, int want)
{
	const char *name = a->scenario == ICONF_RACE_IOPF_CONTRACT ?
			   race_iopf_step_name(step) : race_step_name(step);

	EXPECT_EQ(want, a->steps[step])
		TH_LOG("%s: expected %s, got %s", name, errno_name(want), errno_name(a->steps[step]));
}

TEST_F(race, dev_contract)
{
	struct iconf_race a;
	bool prq;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	if (!self->dev_api)
		SKIP(return, "this kernel has no device-level fault API (removed in v6.9)");
	ASSERT_EQ(0, run(_metadata, self, ICONF_RACE_DEV_CONTRACT, 0, 0, &a));
	ASSERT_EQ(0, a.result) TH_LOG("scenario: %s", errno_name(a.result));
	prq = !!(a.caps & ICONF_RACE_CAP_PAGE_RESPONSE);
	expect_step(_metadata, &a, ICONF_RS_REGISTER, 0);
	expect_step(_metadata, &a, ICONF_RS_REGISTER_AGAIN, -EBUSY);
	EXPECT_EQ(1, a.steps[ICONF_RS_REF_HELD])
		TH_LOG("a registration must hold one device reference: %+d", a.steps[ICONF_RS_REF_HELD]);
	expect_step(_metadata, &a, ICONF_RS_REPORT, 0);
	if (prq) {
		expect_step(_metadata, &a, ICONF_RS_REPORT_PRQ, 0);
		expect_step(_metadata, &a, ICONF_RS_UNREG_PENDING, -EBUSY);
		TH_LOG("iommu_page_response() to it: %s (the driver's answer)",
		       errno_name(a.steps[ICONF_RS_RESPONSE]));
	} else {
		TH_LOG("page requests not tried: the driver has no .page_response, so a last-page request could never be answered and unregister would stay -EBUSY for good");
	}
	expect_step(_metadata, &a, ICONF_RS_UNREGISTER, 0);
	expect_step(_metadata, &a, ICONF_RS_REPORT_NONE, -EINVAL);
	TH_LOG("unregister with no handler: %s", errno_name(a.steps[ICONF_RS_UNREG_NONE]));
	EXPECT_EQ(0, a.steps[ICONF_RS_REF_AFTER])
		TH_LOG("device refcount after unregister (and one unregister too many): %+d",
		       a.steps[ICONF_RS_REF_AFTER]);
	EXPECT_EQ(prq ? 2ULL : 1ULL, a.handled) TH_LOG("handler calls: %llu", (unsigned long long)a.handled);
	expect_clean(_metadata, &a);
}

TEST_F_TIMEOUT(race, dev_stress, 24 * 3600 + 60)
{
	struct iconf_race a;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	if (!self->dev_api)
		SKIP(return, "this kernel has no device-level fault API (removed in v6.9)");
	ASSERT_EQ(0, run(_metadata, self, ICONF_RACE_DEV_STRESS, 0, 0, &a));
	expect_clean(_metadata, &a);
	ASSERT_EQ(0, a.result) TH_LOG("scenario: %s", errno_name(a.result));
	/* A run that never crossed the paths proves nothing. */
	EXPECT_LT(0ULL, a.registered);
	EXPECT_LT(0ULL, a.handled);
	EXPECT_LT(0ULL, a.no_handler) TH_LOG("no report ever found the handler missing");
	if (a.caps & ICONF_RACE_CAP_PAGE_RESPONSE)
		EXPECT_LT(0ULL, a.responses) TH_LOG("no page request was answered");
}

/* Why an iopf_* test cannot run here; NULL when it can. */
static const char *iopf_unavailable(struct _test_data_race *self,
				    const struct _fixture_variant_race *variant)
{
	if (self->unavailable[0])
		return self->unavailable;
	if (!self->iopf_api)
		return self->dev_api ?
		       "this kernel has the device-level fault API (dev_* tests): attach-handle iopf came in v6.11" :
		       "the module was built without attach-handle iopf (CONFIG_IOMMU_IOPF off)";
	if (!variant->name)
		return "edu sends no page requests (no PCIe PRI; no QEMU device has it): the mock IOMMU's device runs iopf_*";
	return NULL;
}

static void expect_answer(struct __test_metadata *_metadata, const struct iconf_race *a,
			  unsigned int step, int want)
{
	char got_s[64], want_s[64];

	EXPECT_EQ(want, a->steps[step])
		TH_LOG("%s: expected %s, got %s", race_iopf_step_name(step),
		       race_answer_text(want, want_s, sizeof(want_s)),
		       race_answer_text(a->steps[step], got_s, sizeof(got_s)));
}

/*
 * The attach-handle iopf API one call at a time (io-pgfault.c): a group's
 * partial requests reach the handler with its last one; a group the
 * consumer dequeued is its own to answer, even after detach; a group left
 * on the core's list is answered INVALID by the detach (the driver's
 * iopf_queue_remove_device()); nothing attached, the core answers INVALID
 * and says -EINVAL.
 */
TEST_F(race, iopf_contract)
{
	const char *why = iopf_unavailable(self, variant);
	struct iconf_race a;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, run(_metadata, self, ICONF_RACE_IOPF_CONTRACT, 0, 0, &a));
	ASSERT_EQ(0, a.result) TH_LOG("scenario: %s", errno_name(a.result));
	expect_step(_metadata, &a, ICONF_RSI_ATTACH, 0);
	expect_step(_metadata, &a, ICONF_RSI_ATTACH_AGAIN, -EBUSY);
	TH_LOG("device refcount while attached: %+d", a.steps[ICONF_RSI_REF_HELD]);
	expect_step(_metadata, &a, ICONF_RSI_PARTIAL, 0);
	expect_step(_metadata, &a, ICONF_RSI_LAST, 0);
	EXPECT_EQ(2, a.steps[ICONF_RSI_GROUP_FAULTS])
		TH_LOG("the group must carry its partial request and its last: %d fault(s)",
		       a.steps[ICONF_RSI_GROUP_FAULTS]);
	expect_step(_metadata, &a, ICONF_RSI_LEFT, 0);
	expect_answer(_metadata, &a, ICONF_RSI_DETACH_LEFT,
		      ICONF_RSI_ANSWER(1, 1 /* IOMMU_PAGE_RESP_INVALID */));
	expect_answer(_metadata, &a, ICONF_RSI_DETACH_HELD, 0);
	expect_answer(_metadata, &a, ICONF_RSI_RESPONSE,
		      ICONF_RSI_ANSWER(1, 0 /* IOMMU_PAGE_RESP_SUCCESS */));
	expect_step(_metadata, &a, ICONF_RSI_REPORT_NONE, -EINVAL);
	EXPECT_EQ(0, a.steps[ICONF_RSI_REF_AFTER])
		TH_LOG("device refcount after detach: %+d", a.steps[ICONF_RSI_REF_AFTER]);
	EXPECT_EQ(2ULL, a.handled) TH_LOG("handler calls: %llu", (unsigned long long)a.handled);
	expect_clean(_metadata, &a);
}

/*
 * Page requests from @threads threads while one consumer attaches a
 * fault-capable domain (two, in turn) with a fresh handle, answers some
 * groups in the handler, keeps others and answers them after detach, and
 * lets the core abort the rest. Each request answered exactly once, none
 * after its handler's detach, none to the other domain.
 */
TEST_F_TIMEOUT(race, iopf_stress, 24 * 3600 + 60)
{
	const char *why = iopf_unavailable(self, variant);
	struct iconf_race a;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, run(_metadata, self, ICONF_RACE_IOPF_STRESS, 0, 0, &a));
	expect_clean(_metadata, &a);
	ASSERT_EQ(0, a.result) TH_LOG("scenario: %s", errno_name(a.result));
	/* A run that never crossed the paths proves nothing. */
	EXPECT_LT(1ULL, a.registered) TH_LOG("the domain was never detached and attached again");
	EXPECT_LT(0ULL, a.handled) TH_LOG("no page request reached a handler");
	EXPECT_LT(0ULL, a.no_handler) TH_LOG("no page request met the device detached");
	EXPECT_LT(0ULL, a.page_requests) TH_LOG("no group was kept to answer after detach");
}

static unsigned int alloc_attach(struct __test_metadata *_metadata, struct _test_data_race *self)
{
	unsigned int dom;
	int ret = _iconf_domain_alloc(self->fd, self->dev, &dom);

	EXPECT_EQ(0, ret) TH_LOG("domain alloc: %s", errno_name(ret));
	if (ret)
		return 0;
	ret = _iconf_attach(self->fd, self->dev, dom, ICONF_HOW_DEVICE);
	EXPECT_EQ(0, ret) TH_LOG("attach: %s", errno_name(ret));
	return ret ? 0 : dom;
}

/* The order the domain API allows: reports quiesced, then detach, then free. */
static void detach_free(struct __test_metadata *_metadata, struct _test_data_race *self,
			unsigned int dom)
{
	int ret = _iconf_detach(self->fd, self->dev, dom, ICONF_HOW_DEVICE);

	EXPECT_EQ(0, ret) TH_LOG("detach: %s", errno_name(ret));
	ret = _iconf_domain_free(self->fd, dom);
	EXPECT_EQ(0, ret) TH_LOG("domain free: %s", errno_name(ret));
}

/* @scenario on a fresh domain attached to the device (a failed ASSERT ends the test). */
static void run_on_domain(struct __test_metadata *_metadata, struct _test_data_race *self,
			  unsigned int scenario, struct iconf_race *a, unsigned int *dom)
{
	*dom = alloc_attach(_metadata, self);
	ASSERT_NE(0U, *dom);
	ASSERT_EQ(0, run(_metadata, self, scenario, *dom, 0, a));
	if (scenario == ICONF_RACE_DOM_STRESS)
		expect_clean(_metadata, a);
	ASSERT_EQ(0, a->result) TH_LOG("scenario: %s", errno_name(a->result));
}

TEST_F(race, dom_contract)
{
	struct iconf_race a;
	unsigned int dom;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	run_on_domain(_metadata, self, ICONF_RACE_DOM_CONTRACT, &a, &dom);
	/* -ENOSYS is what report_iommu_fault() returns: not a syscall's. */
	EXPECT_STREQ("ENOSYS", errno_name(a.steps[ICONF_RS_REPORT_NONE]));
	expect_step(_metadata, &a, ICONF_RS_REPORT, 0);
	EXPECT_EQ(1ULL, a.handled);
	expect_clean(_metadata, &a);
	detach_free(_metadata, self, dom);
}

TEST_F_TIMEOUT(race, dom_stress, 24 * 3600 + 60)
{
	struct iconf_race a;
	unsigned int dom;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	run_on_domain(_metadata, self, ICONF_RACE_DOM_STRESS, &a, &dom);
	if (a.caps & ICONF_RACE_CAP_HANDLER_ONCE) {
		/* Today's kernels set a domain's handler once: reporters race each other. */
		TH_LOG("the kernel sets a domain's fault handler once: reports raced, no replacing");
		EXPECT_EQ(1ULL, a.registered);
	} else {
		EXPECT_LT(1ULL, a.registered) TH_LOG("the handler was never replaced");
	}
	EXPECT_EQ(a.reports, a.handled) TH_LOG("every report must reach a handler");
	detach_free(_metadata, self, dom);
}

/*
 * Page requests answered from a thread of their own while unregister is
 * retried: a consumer answering from a workqueue does just that. The
 * answers race the unregister that their last answer makes succeed.
 * Opt-in: on 6.1 this is a use-after-free (iommu_page_response() unlocks
 * through dev->iommu->fault_param read again after unregister may have
 * freed it): a NULL dereference when it is lucky, slab corruption that
 * hangs the guest when not. Last in the file, and on the mock on a device
 * of its own, as what it leaves behind may be wedged.
 */
TEST_F_TIMEOUT(race, dev_response_vs_unregister, 24 * 3600 + 60)
{
	struct iconf_dev_get g;
	struct iconf_race a;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	if (!self->dev_api)
		SKIP(return, "this kernel has no device-level fault API (removed in v6.9)");
	if (hazard_skip(HAZARD_page_response_vs_unregister))
		SKIP(return, "%s", hazard_skip(HAZARD_page_response_vs_unregister));
	if (variant->name) {
		iconf_dev_get(self->fd, ICONF_MOCK_PREFIX "2", &g);
		self->dev = g.dev_id;
	}
	/* Long enough to meet the race; a kernel without it pays this once. */
	if (self->size.ms < 5000)
		self->size.ms = 5000;
	ASSERT_EQ(0, run(_metadata, self, ICONF_RACE_DEV_STRESS, 0, ICONF_RACE_FOREIGN_RESPONSE,
			 &a));
	if (!(a.caps & ICONF_RACE_CAP_PAGE_RESPONSE))
		SKIP(return, "the driver has no .page_response: there is nothing to answer");
	expect_clean(_metadata, &a);
	ASSERT_EQ(0, a.result)
		TH_LOG("scenario: %s (a responder that never returned: see the kernel log)",
		       errno_name(a.result));
	EXPECT_LT(0ULL, a.responses) TH_LOG("no page request was answered");
}
