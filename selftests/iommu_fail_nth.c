// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_fail_nth: allocation failures injected at every depth of two
 * paths, as the kernel's iommufd_fail_nth does for iommufd: the module's
 * attach path (claim DMA ownership, allocate a domain, attach, map a page,
 * detach, free, release) and the sysfs type store. For N = 1, 2, ... the
 * Nth fault-injection point the test's thread reaches fails
 * (/proc/thread-self/fail-nth, with failslab and fail_page_alloc taking
 * sleeping allocations too), until an iteration runs with no failure left
 * to inject. Each iteration must end with a clean state: the operation
 * either succeeded or returned an error, and the device is back on its
 * default domain, with its old type, and its DMA works. A failing
 * iteration is reported with where the failure was injected (the frames
 * above the allocator in the kernel's fault-injection dump) and what the
 * kernel printed. WARNs, oopses and leaks are also the console scanner's
 * and kmemleak's to report. The type store is swept first: a stranded
 * device would fail it for the attach path's sake.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the gate's debug lane); SKIPs
 * elsewhere with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_harness.h"
#include "iconf_test.h"
#include "iommu_sysfs.h"
#include "kmsg.h"

#define MAX_DEPTH 5000U
#define DBG "/sys/kernel/debug"

/*
 * Arm the Nth injection point of this thread. The file is opened before
 * arming: the open's own allocations must not count.
 */
static int arm(int nth_fd, unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(nth_fd, buf, (size_t)len, 0) == len ? 0 : -errno;
}

/* Whatever is left of the count: 0 if the Nth point was reached. */
static long disarm(int nth_fd)
{
	char buf[16] = "";
	long left;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	left = strtol(buf, NULL, 10);
	/* Still armed, the next allocation of this task would fail: say so. */
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		return -1;
	return left;
}

/*
 * What the kernel said during one iteration: where the failure was
 * injected, as the first frames above the allocator in fault injection's
 * stack dump, and its warnings and errors.
 */
struct said {
	bool splat;		/* a WARN, oops or other report of a kernel bug */
	bool logged;		/* LOG_SAID() has shown it */
	char site[200];
	char lines[6][200];
	int nlines;
};

static bool allocator_frame(const char *f)
{
	static const char *const inner[] = {
		"dump_stack", "should_fail", "__should_fail", "fail_dump",
		"__kmem_cache_alloc", "kmem_cache_alloc", "__kmalloc", "kmalloc",
		"__alloc_pages", "alloc_pages", "__get_free_pages", "get_zeroed_page",
		"kmemdup", "kstrdup", "krealloc", "kvmalloc", "__kvmalloc",
		"slab_pre_alloc_hook", "___slab_alloc", "__slab_alloc",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inner); i++)
		if (!strncmp(f, inner[i], strlen(inner[i])))
			return true;
	return false;
}

/* The frame of a report ("RIP:", "Call Trace:", "irq event stamp"...), not its news. */
static bool report_frame(const char *t)
{
	static const char *const frame[] = {
		"cut here", "Modules linked in", "Hardware name", "Call Trace", "TASK>",
		"irq event stamp", "hardirqs last", "softirqs last", "end trace", "Code:",
	};
	size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	for (size_t i = 0; i < ARRAY_SIZE(frame); i++)
		if (strstr(t, frame[i]))
			return true;
	/* A register ("RAX:", "CR2:"), not "BUG:"; a rule of "=" or nothing. */
	return (n >= 2 && n <= 3 && t[n] == ':' && strncmp(t, "BUG", 3)) ||
	       !t[strspn(t, "= ")];
}

/*
 * Read what the kernel logged since the last call, up to a mark this
 * writes first: a record without a trailing newline stays invisible to
 * readers until the next one is logged (v6.1's fallback warning in the
 * type store is such a record), and the mark, on the console too, shows
 * where each depth ended.
 */
static void read_said(int kmsg, const char *test, unsigned int nth, struct said *w)
{
	char mark[96];
	struct kmsg_rec r;
	int frames = -1;	/* -1: not in an injection dump */
	int out = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	memset(w, 0, sizeof(*w));
	/* Its newline finalizes the record, which a reader sees only then. */
	snprintf(mark, sizeof(mark), "iommu_fail_nth: %s depth %u done\n", test, nth);
	/* Without the mark, reading stops at the newest visible record. */
	if (out < 0 || write(out, mark, strlen(mark)) < 0)
		mark[0] = '\0';
	mark[strcspn(mark, "\n")] = '\0';
	if (out >= 0)
		close(out);
	while (kmsg >= 0 && kmsg_next(kmsg, &r) > 0) {
		const char *t = r.text + strspn(r.text, " ");
		size_t len = strcspn(t, "+");

		if (mark[0] && strstr(t, mark))
			break;
		if (!strncmp(t, "iommu_fail_nth:", 15))
			continue;	/* an earlier mark */

		if (strstr(t, "FAULT_INJECTION: forcing a failure")) {
			frames = w->site[0] ? 3 : 0;	/* the first injection names the site */
			continue;
		}
		if (frames >= 0 && frames < 3 && t != r.text && strstr(t, "+0x") &&
		    strncmp(t, "? ", 2) && !allocator_frame(t)) {
			size_t at = strlen(w->site);

			snprintf(w->site + at, sizeof(w->site) - at, "%s%.*s",
				 frames ? " < " : "", (int)strcspn(t + len, "/") + (int)len, t);
			if (++frames == 3)
				frames = -1;
			continue;
		}
		if (t == r.text && kmsg_is_splat(t) && !strstr(t, "Call Trace"))
			w->splat = true;
		if (r.prio > 4 || t != r.text || w->nlines == ARRAY_SIZE(w->lines) ||
		    report_frame(t))
			continue;
		snprintf(w->lines[w->nlines++], sizeof(w->lines[0]), "%.199s", t);
	}
}

/* Once per depth: the injection site and the kernel's lines. */
#define LOG_SAID(w) do {						\
	if ((w)->logged)						\
		break;							\
	(w)->logged = true;						\
	TH_LOG("injected at %s", (w)->site[0] ? (w)->site : "(no dump in the log)"); \
	for (int _i = 0; _i < (w)->nlines; _i++)			\
		TH_LOG("kernel: %s", (w)->lines[_i]);			\
} while (0)

static const char *domain_type_name(unsigned int t)
{
	switch (t) {
	case 0: return "blocked";
	case 1: return "unmanaged";
	case 3: return "DMA";
	case 4: return "identity";
	case 11: return "DMA-FQ";
	}
	return "unknown";
}

/*
 * The device is on the domain it was on before the sweep (@cookie, the
 * module's hash of the domain; 0: on any domain but one of a test's), and
 * its DMA works. 0 or a reason in @why. @cookie_out, if not NULL, gets the
 * domain's hash.
 */
static int clean_state(const char *dev, unsigned long long cookie,
		       unsigned long long *cookie_out, char *why, size_t whylen)
{
	struct iconf_dev_get g;
	struct iconf_dev_domain w = { .where = ICONF_ON_NONE };
	struct iconf_edu_dma e;
	int fd = iconf_open(why, whylen), ret;

	if (fd < 0)
		return -1;
	ret = _iconf_dev_get(fd, dev, &g);
	if (!ret)
		ret = _iconf_dev_domain(fd, g.dev_id, &w);
	close(fd);
	if (ret || w.where == ICONF_ON_NONE) {
		snprintf(why, whylen, "%s on no domain (%s)", dev, errno_name(ret));
		return -1;
	}
	if (cookie_out)
		*cookie_out = w.cookie;
	if (cookie && w.cookie != cookie) {
		snprintf(why, whylen, "%s left on another domain (type %s) than its default before the sweep",
			 dev, domain_type_name(w.type));
		return -1;
	}
	if (dma_via_current_domain(dev, &e, why, whylen))
		return -1;
	if (!(e.result & ICONF_EDU_ARRIVED)) {
		snprintf(why, whylen, "%s's DMA broken on its %s domain (result 0x%x)", dev,
			 domain_type_name(w.type), e.result);
		return -1;
	}
	return 0;
}

FIXTURE(fail_nth) {
	char unavailable[256];
	char dev[32];
	char driver[64];
	char type_path[PATH_MAX];
	char boot_type[32];
	unsigned long long boot_cookie;	/* the default domain before the sweep */
	int nth_fd;
	int kmsg;
	bool is_pci;
};

FIXTURE_SETUP(fail_nth)
{
	static const unsigned int edu_ids[] = { 0x11e8, 0 };
	char why[256], link[PATH_MAX];
	int fd;

	self->nth_fd = -1;
	self->kmsg = -1;
	if (access("/proc/thread-self/fail-nth", W_OK) || access(DBG "/failslab", F_OK)) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no fail-nth or failslab: needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (make gate KERNEL=debug)");
		return;
	}
	fd = iconf_open(why, sizeof(why));
	if (fd < 0) {
		snprintf(self->unavailable, sizeof(self->unavailable), "%s", why);
		return;
	}
	close(fd);
	/* edu where it has a group; else the mock's first device (no vIOMMU). */
	if (!pci_find(0x1234, edu_ids, self->dev, sizeof(self->dev), self->driver,
		      sizeof(self->driver))) {
		self->is_pci = true;
		snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group/type", self->dev);
	}
	if (!self->is_pci || access(link, R_OK)) {
		self->is_pci = false;
		self->driver[0] = '\0';
		snprintf(self->dev, sizeof(self->dev), ICONF_MOCK_PREFIX "0");
		snprintf(link, sizeof(link), "/sys/bus/platform/devices/%s/iommu_group/type",
			 self->dev);
	}
	if (access(link, R_OK)) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "neither edu nor the mock's device is in an IOMMU group");
		return;
	}
	snprintf(self->type_path, sizeof(self->type_path), "%s", link);
	ASSERT_LT(0, sysfs_read_str(self->type_path, self->boot_type, sizeof(self->boot_type)));
	/* A device stranded before the sweep would be blamed on it. */
	ASSERT_EQ(0, clean_state(self->dev, 0, &self->boot_cookie, why, sizeof(why)))
		TH_LOG("before the sweep: %s", why);
	/*
	 * Sleeping allocations (most of these paths') are fair game too; a
	 * stack dump per injection says where each one was.
	 */
	ASSERT_EQ(0, sysfs_write(DBG "/failslab/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, sysfs_write(DBG "/failslab/verbose", "2"));
	if (!access(DBG "/fail_page_alloc", F_OK)) {
		ASSERT_EQ(0, sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "N"));
		ASSERT_EQ(0, sysfs_write(DBG "/fail_page_alloc/min-order", "0"));
		ASSERT_EQ(0, sysfs_write(DBG "/fail_page_alloc/verbose", "2"));
	}
	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
	self->kmsg = kmsg_open(false);
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(-self->kmsg));
	TH_LOG("%s (driver %s), group type %s", self->dev,
	       self->driver[0] ? self->driver : "none", self->boot_type);
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->nth_fd >= 0) {
		if (pwrite(self->nth_fd, "0", 1, 0) != 1)
			TH_LOG("cannot disarm fail-nth: %s", strerror(errno));
		close(self->nth_fd);
	}
	if (self->kmsg >= 0)
		close(self->kmsg);
	sysfs_write(DBG "/failslab/ignore-gfp-wait", "Y");
	if (!access(DBG "/fail_page_alloc", F_OK)) {
		sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "Y");
		sysfs_write(DBG "/fail_page_alloc/min-order", "1");
	}
}

/* One pass of the attach path; the first failure, named, in @step. */
static int attach_path(int fd, unsigned int dev, const char **step)
{
	unsigned int dom;
	int ret;

	/*
	 * Injected failures land in the module's own allocations as often as
	 * in the API's: either is this sweep's result (iconf_any_errno()).
	 */
	*step = "own";
	ret = iconf_any_errno(_iconf_own(fd, dev, 1));
	if (ret)
		return ret;
	*step = "domain_alloc";
	ret = iconf_any_errno(_iconf_domain_alloc(fd, dev, &dom));
	if (ret)
		return ret;
	/*
	 * Attach, then map, as VFIO does: v6.1's virtio-iommu oopses on a map
	 * into a domain no device is attached to (the unwind of a refused map
	 * syncs the IOTLB of a NULL viommu: fixtures/console/).
	 */
	*step = "attach";
	ret = iconf_any_errno(_iconf_attach(fd, dev, dom, ICONF_HOW_DEVICE));
	if (ret)
		return ret;
	*step = "map";
	ret = iconf_any_errno(_iconf_map(fd, dom, 1ULL << 20, 4096));
	if (ret)
		return ret;
	*step = "detach";
	ret = iconf_any_errno(_iconf_detach(fd, dev, dom, ICONF_HOW_DEVICE));
	if (ret)
		return ret;
	*step = "domain_free";
	ret = iconf_any_errno(_iconf_domain_free(fd, dom));
	if (ret)
		return ret;
	*step = "release";
	return iconf_any_errno(_iconf_own(fd, dev, 0));
}

/*
 * The type store, with the device unbound (v6.1 refuses a bound one). A
 * failed store must leave the old type; a store that went through is
 * undone before the next depth.
 */
TEST_F_TIMEOUT(fail_nth, type_store, 1800)
{
	const char *to = strcmp(self->boot_type, "identity") ? "identity" : "DMA";
	unsigned int nth, failed = 0, wrong = 0, warned = 0;
	char why[256], now[32];
	struct said w;
	int ret = 0;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	if (self->driver[0])
		ASSERT_EQ(0, pci_unbind(self->dev));
	for (nth = 1; nth <= MAX_DEPTH; nth++) {
		int tfd = open(self->type_path, O_WRONLY | O_CLOEXEC);
		long left;
		ssize_t n;

		ASSERT_LE(0, tfd);
		ASSERT_EQ(0, arm(self->nth_fd, nth));
		n = write(tfd, to, strlen(to));
		ret = n < 0 ? -errno : 0;
		left = disarm(self->nth_fd);
		close(tfd);
		read_said(self->kmsg, "type_store", nth, &w);
		ASSERT_LT(0, sysfs_read_str(self->type_path, now, sizeof(now)));
		if (ret) {
			failed++;
			/* A failed store keeps the old default domain (SPEC §2). */
			if (strcmp(self->boot_type, now))
				LOG_SAID(&w);
			ASSERT_STREQ(self->boot_type, now)
				TH_LOG("depth %u: %s, yet the type is %s", nth, errno_name(ret), now);
		} else if (strcmp(to, now)) {
			/*
			 * Success, and another type than asked for (v6.1 falls
			 * back to DMA when the requested domain cannot be
			 * allocated): a violation, reported; the group is whole
			 * on the type it reads, so the sweep goes on.
			 */
			wrong++;
			LOG_SAID(&w);
			EXPECT_STREQ(to, now)
				TH_LOG("depth %u: the store of %s returned success, yet the type is %s",
				       nth, to, now);
			if (strcmp(self->boot_type, now))
				ASSERT_EQ(0, sysfs_write(self->type_path, self->boot_type));
		} else {
			ASSERT_EQ(0, sysfs_write(self->type_path, self->boot_type));
		}
		/* A clean state after a WARN is no pass: reported, and on. */
		if (w.splat) {
			warned++;
			LOG_SAID(&w);
			EXPECT_FALSE(w.splat) TH_LOG("depth %u (the store: %s): the kernel reported a bug",
						     nth, errno_name(ret));
		}
		if (left > 0)
			break;
	}
	if (self->driver[0])
		ASSERT_EQ(0, pci_bind(self->dev, self->driver));
	ASSERT_GE(MAX_DEPTH, nth) TH_LOG("still failing at depth %u", MAX_DEPTH);
	ASSERT_EQ(0, ret) TH_LOG("no failure injected, yet the store failed: %s", errno_name(ret));
	/* Its default domain is a new one now, of the old type. */
	ASSERT_EQ(0, clean_state(self->dev, 0, NULL, why, sizeof(why))) TH_LOG("%s", why);
	TH_LOG("%u injection points: %u stores failed, %u claimed success with the wrong type, %u made the kernel report a bug, one went through",
	       nth - 1, failed, wrong, warned);
}

/*
 * The module's attach path, one pass per depth on a fresh handle. The
 * release of DMA ownership cannot report an error (v6.1's
 * iommu_group_release_dma_owner() returns void): whether it left the
 * device on its default domain is for clean_state() to see.
 */
TEST_F_TIMEOUT(fail_nth, attach_path, 1800)
{
	unsigned int nth, failed = 0, warned = 0;
	char why[256];
	struct said w;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	for (nth = 1; nth <= MAX_DEPTH; nth++) {
		struct iconf_dev_get g;
		const char *step = "";
		long left;
		int fd = iconf_open(why, sizeof(why)), ret, clean;

		ASSERT_LE(0, fd) TH_LOG("%s", why);
		iconf_dev_get(fd, self->dev, &g);
		ASSERT_EQ(0, arm(self->nth_fd, nth));
		ret = attach_path(fd, g.dev_id, &step);
		left = disarm(self->nth_fd);
		/* Closing undoes whatever the pass left (the module's contract). */
		close(fd);
		if (ret)
			failed++;
		clean = clean_state(self->dev, self->boot_cookie, NULL, why, sizeof(why));
		read_said(self->kmsg, "attach_path", nth, &w);
		if (clean)
			LOG_SAID(&w);
		if (!ret)	/* detach and release cannot say they failed */
			step = "every call";
		ASSERT_EQ(0, clean)
			TH_LOG("after failure %u (%s returned %s): %s", nth, step,
			       errno_name(ret), why);
		/* A clean state after a WARN is no pass: reported, and on. */
		if (w.splat) {
			warned++;
			LOG_SAID(&w);
			EXPECT_FALSE(w.splat) TH_LOG("depth %u (%s returned %s): the kernel reported a bug",
						     nth, step, errno_name(ret));
		}
		if (left > 0) {
			ASSERT_EQ(0, ret) TH_LOG("no failure injected, yet %s: %s", step,
						 errno_name(ret));
			TH_LOG("%u injection points: %u passes failed, %u made the kernel report a bug, one ran through",
			       nth - 1, failed, warned);
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("still failing at depth %u", MAX_DEPTH);
}
