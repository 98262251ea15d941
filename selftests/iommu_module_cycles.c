// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_module_cycles: load and unload the conformance module $CYCLES
 * times (default 1000). Every load must make the control device and, on a
 * machine with an edu, bind edu to the module's driver (which attaches it
 * to a DMA domain); every unload must succeed and take both away again.
 * Across the run the kernel must not taint itself (WARN, oops, bad page:
 * what a KASAN report sets) nor turn lockdep off (what a lockdep report
 * does). The debug lane runs it so that KASAN, lockdep and kmemleak (the
 * runner's scan after the suite) watch every cycle.
 *
 * System calls, not insmod/rmmod: under TCG and KASAN starting a process
 * from the 9p root costs more than a cycle. The mock IOMMU cannot be
 * unloaded on v6.1 and is not cycled.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_harness.h"
#include "iconf_client.h"
#include "modload.h"

#define MOD_NAME "iommu_conformance"
#define DEV_PATH "/dev/" ICONF_DEVICE_NAME
#define EDU_DRIVER "iconf_edu"
/* The taint bits a kernel bug sets: BAD_PAGE (KASAN), DIE, WARN. */
#define TAINT_BUG ((1UL << 5) | (1UL << 7) | (1UL << 9))

FIXTURE(cycles) {
	char ko[PATH_MAX + 32];
	char edu[32];		/* edu's PCI address, "" if none */
	unsigned long cycles;
	char unavailable[128];	/* why the test cannot run (6.1: see iommu_module) */
};

/* 1: lockdep is on, 0: it has turned itself off, -1: no lockdep here. */
static int lockdep_on(void)
{
	FILE *f = fopen("/proc/lockdep_stats", "r");
	char line[256];
	int on = -1;

	if (!f)
		return -1;
	while (on < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, " debug_locks: %d", &on) != 1)
			on = -1;
	fclose(f);
	return on;
}

static void edu_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(drv, len, "%s", n > 0 ? strrchr(link, '/') + 1 : "");
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

FIXTURE_SETUP(cycles)
{
	static const unsigned int edu_ids[] = { 0x11e8, 0 };
	const char *env = getenv("CYCLES");
	char drv[64], *end;
	int ret;

	self->cycles = 1000;
	if (env && *env) {
		errno = 0;
		self->cycles = strtoul(env, &end, 10);
		ASSERT_TRUE(!errno && !*end && self->cycles > 0 && self->cycles <= 1000000)
			TH_LOG("CYCLES=%s: not a count from 1 to 1000000", env);
	}
	conf_ko_path(self->ko, sizeof(self->ko));
	if (access(self->ko, R_OK)) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "no %.100s built for this kernel", self->ko);
		return;
	}
	if (geteuid()) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "loading a module needs root");
		return;
	}
	if (mod_loaded(MOD_NAME)) {
		ret = mod_unload(MOD_NAME);
		ASSERT_EQ(0, ret) TH_LOG("a loaded %s will not unload: %s",
					 MOD_NAME, strerror(-ret));
	}
	if (pci_find(0x1234, edu_ids, self->edu, sizeof(self->edu), drv, sizeof(drv)))
		self->edu[0] = '\0';
	else
		ASSERT_STREQ("", drv) TH_LOG("edu %s is bound to %s, not free for the module",
					     self->edu, drv);
}

FIXTURE_TEARDOWN(cycles)
{
	if (mod_loaded(MOD_NAME))
		mod_unload(MOD_NAME);
}

TEST_F_TIMEOUT(cycles, load_unload, 4 * 3600)
{
	unsigned long taint = kernel_taint();
	int lockdep = lockdep_on();
	unsigned long long start = now_ms(), ms;
	char drv[64];
	int ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	TH_LOG("%lu cycles, edu %s, lockdep %s", self->cycles,
	       self->edu[0] ? self->edu : "absent",
	       lockdep < 0 ? "absent" : lockdep ? "on" : "already off");
	for (unsigned long i = 1; i <= self->cycles; i++) {
		ret = mod_load(self->ko, conf_params());
		ASSERT_EQ(0, ret) TH_LOG("cycle %lu: finit_module: %s", i, strerror(-ret));
		ASSERT_EQ(0, access(DEV_PATH, F_OK))
			TH_LOG("cycle %lu: loaded, yet no " DEV_PATH, i);
		if (self->edu[0]) {
			edu_driver(self->edu, drv, sizeof(drv));
			ASSERT_STREQ(EDU_DRIVER, drv)
				TH_LOG("cycle %lu: edu %s bound to \"%s\" after load",
				       i, self->edu, drv);
		}
		ret = mod_unload(MOD_NAME);
		ASSERT_EQ(0, ret) TH_LOG("cycle %lu: delete_module: %s", i, strerror(-ret));
		ASSERT_NE(0, access(DEV_PATH, F_OK))
			TH_LOG("cycle %lu: unloaded, yet " DEV_PATH " is there", i);
		if (self->edu[0]) {
			edu_driver(self->edu, drv, sizeof(drv));
			ASSERT_STREQ("", drv)
				TH_LOG("cycle %lu: edu still bound to %s after unload", i, drv);
		}
		/* Progress: a run cut short by its time limit still says its rate. */
		if (i % 100 == 0)
			TH_LOG("%lu cycles, %llu ms", i, now_ms() - start);
	}
	ms = now_ms() - start;
	TH_LOG("%lu cycles in %llu ms (%llu ms each)", self->cycles, ms, ms / self->cycles);
	EXPECT_EQ(0UL, (kernel_taint() & ~taint) & TAINT_BUG)
		TH_LOG("taint went from %lu to %lu", taint, kernel_taint());
	if (lockdep == 1)
		EXPECT_EQ(1, lockdep_on()) TH_LOG("lockdep reported and turned itself off");
}
