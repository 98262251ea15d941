// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_module: the conformance module loads, makes its control device,
 * answers and validates on it, unloads without leaving anything behind,
 * and loads again, with the kernel log clean throughout.
 *
 * The module comes from $IOMMU_CONF_KO, else iommu_conformance.ko beside
 * this program; without one built for the running kernel the tests SKIP.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iconf_harness.h"
#include "iconf_client.h"
#include "kmsg.h"
#include "modload.h"

#define DEV_PATH "/dev/" ICONF_DEVICE_NAME
#define MOD_NAME "iommu_conformance"
#define TAINT_DIE (1UL << 7)
#define TAINT_WARN (1UL << 9)

FIXTURE(module) {
	char ko[PATH_MAX + 32];
	/*
	 * Why the tests cannot run, if they cannot: a SKIP() in the setup of
	 * the v6.1 harness does not stop the test body, so each test checks.
	 */
	char unavailable[128];
	int kmsg;
};

static bool loaded(void)
{
	return mod_loaded(MOD_NAME);
}

static int unload(void)
{
	return mod_unload(MOD_NAME);
}

static int version(int fd, struct iconf_version *v)
{
	return iconf_call(fd, ICONF_VERSION, v);
}

FIXTURE_SETUP(module)
{
	int ret;

	conf_ko_path(self->ko, sizeof(self->ko));
	self->kmsg = -1;
	if (access(self->ko, R_OK)) {
		TH_LOG("no %s", self->ko);
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "the module is not built for this kernel");
		return;
	}
	if (geteuid()) {
		snprintf(self->unavailable, sizeof(self->unavailable),
			 "loading a module needs root");
		return;
	}
	if (loaded()) {
		ret = unload();
		ASSERT_EQ(0, ret) TH_LOG("a loaded %s will not unload: %s",
					 MOD_NAME, strerror(-ret));
	}
	self->kmsg = kmsg_open(false);
}

FIXTURE_TEARDOWN(module)
{
	if (loaded())
		unload();
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static void must_load(struct __test_metadata *_metadata, const char *ko)
{
	int ret = mod_load(ko, conf_params());

	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", ko, strerror(-ret));
}

TEST_F(module, load_creates_interface)
{
	struct iconf_version v = { .size = sizeof(v) };
	struct stat st;
	int fd, ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	must_load(_metadata, self->ko);
	ASSERT_EQ(0, stat(DEV_PATH, &st)) TH_LOG(DEV_PATH ": %s", strerror(errno));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open " DEV_PATH ": %s", strerror(errno));
	ret = version(fd, &v);
	ASSERT_EQ(0, ret) TH_LOG("ICONF_VERSION: %s", strerror(-ret));
	TH_LOG("module ABI %u.%u, features 0x%llx", v.abi_major, v.abi_minor,
	       (unsigned long long)v.features);
	ASSERT_EQ((__u32)ICONF_ABI_MAJOR, v.abi_major);
	ASSERT_LE((__u32)ICONF_ABI_MINOR, v.abi_minor);
	/* The module must not be removable while a file is open on it. */
	ASSERT_EQ(-EWOULDBLOCK, unload());
	close(fd);
	ASSERT_EQ(0, unload());
	ASSERT_FALSE(loaded());
	ASSERT_NE(0, access(DEV_PATH, F_OK)) TH_LOG(DEV_PATH " outlived the module");
}

TEST_F(module, rejects_bad_input)
{
	struct {
		struct iconf_version v;
		unsigned char tail[16];
	} big;
	struct iconf_version v;
	int fd;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	must_load(_metadata, self->ko);
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);

	memset(&v, 0, sizeof(v));
	EXPECT_EQ(-EINVAL, version(fd, &v)) TH_LOG("size 0 accepted");
	v.size = sizeof(__u32);
	EXPECT_EQ(-EINVAL, version(fd, &v)) TH_LOG("truncated size accepted");
	v.size = sizeof(v);
	v.reserved = 1;
	EXPECT_EQ(-EINVAL, version(fd, &v)) TH_LOG("reserved != 0 accepted");

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	EXPECT_EQ(0, version(fd, &big.v)) TH_LOG("longer struct, zero tail refused");
	EXPECT_EQ((__u32)ICONF_ABI_MAJOR, big.v.abi_major);
	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	big.tail[3] = 1;
	EXPECT_EQ(-E2BIG, version(fd, &big.v)) TH_LOG("non-zero tail accepted");

	EXPECT_EQ(-EFAULT, iconf_call(fd, ICONF_VERSION, (void *)8));
	EXPECT_EQ(-ENOTTY, iconf_call(fd, _IO(ICONF_IOC_TYPE, 0xff), 0));
	close(fd);
	ASSERT_EQ(0, unload());
}

/* Every new-style request is checked before the IOMMU API is touched. */
TEST_F(module, validates_attach_inputs)
{
	static const char *const bad_names[] = {
		"", "zz", "0000:00:00.0x", "0000:100:00.0", "0000:00:20.0", "0000:00:00.8",
	};
	struct iconf_dev_get g;
	struct iconf_attach at;
	struct iconf_map m;
	struct {
		__u32 size, dev_id, where, dom_id, type, reserved;
	} old_dd = { .size = sizeof(old_dd) };	/* ABI 1.1's iconf_dev_domain */
	int fd;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	must_load(_metadata, self->ko);
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		memset(&g, 0, sizeof(g));
		g.size = sizeof(g);
		snprintf(g.name, sizeof(g.name), "%s", bad_names[i]);
		EXPECT_EQ(-EINVAL, iconf_call(fd, ICONF_DEV_GET, &g))
			TH_LOG("device name \"%s\" accepted", bad_names[i]);
	}
	memset(&g, 'a', sizeof(g));
	g.size = sizeof(g);
	g.dev_id = g.group_id = g.group_devices = g.flags = 0;
	EXPECT_EQ(-EINVAL, iconf_call(fd, ICONF_DEV_GET, &g))
		TH_LOG("unterminated device name accepted");
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	snprintf(g.name, sizeof(g.name), "ffff:ff:1f.7");
	EXPECT_EQ(-ENODEV, iconf_call(fd, ICONF_DEV_GET, &g));

	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.dev_id = 1;
	at.dom_id = 1;
	EXPECT_EQ(-ENOENT, iconf_call(fd, ICONF_ATTACH, &at)) TH_LOG("unknown ids");
	EXPECT_EQ(-ENOENT, iconf_call(fd, ICONF_DETACH, &at));
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.dom_id = 1;
	EXPECT_EQ(-ENOENT, iconf_call(fd, ICONF_MAP, &m));

	/* A device every machine has: the host bridge at 00:00.0. */
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	snprintf(g.name, sizeof(g.name), "0000:00:00.0");
	ASSERT_EQ(0, iconf_call(fd, ICONF_DEV_GET, &g));
	at.dev_id = g.dev_id;
	at.how = 7;
	EXPECT_EQ(-ENOENT, iconf_call(fd, ICONF_ATTACH, &at)) TH_LOG("unknown domain");
	/* An ABI 1.1 caller, with the shorter struct, is still served. */
	old_dd.dev_id = g.dev_id;
	EXPECT_EQ(0, iconf_call(fd, ICONF_DEV_DOMAIN, &old_dd));
	old_dd.size = 8;
	EXPECT_EQ(-EINVAL, iconf_call(fd, ICONF_DEV_DOMAIN, &old_dd));
	close(fd);
	ASSERT_EQ(0, unload());
}

TEST_F(module, reload_cycles)
{
	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	for (int i = 0; i < 5; i++) {
		struct iconf_version v = { .size = sizeof(v) };
		int fd, ret;

		must_load(_metadata, self->ko);
		fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("cycle %d: open: %s", i, strerror(errno));
		ret = version(fd, &v);
		close(fd);
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", i, strerror(-ret));
		ret = unload();
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: unload: %s", i, strerror(-ret));
		ASSERT_NE(0, access(DEV_PATH, F_OK));
	}
}

TEST_F(module, log_clean)
{
	unsigned long before = kernel_taint(), after;
	struct kmsg_rec r;
	int bad = 0, ret;

	if (self->unavailable[0])
		SKIP(return, "%s", self->unavailable);
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(-self->kmsg));
	must_load(_metadata, self->ko);
	ASSERT_EQ(0, unload());
	must_load(_metadata, self->ko);
	ASSERT_EQ(0, unload());
	while ((ret = kmsg_next(self->kmsg, &r)) > 0) {
		/*
		 * An unsigned out-of-tree module taints the kernel once per
		 * boot and the kernel says so: expected, not a finding.
		 */
		bool taint_note = strstr(r.text, "taints kernel") ||
				  strstr(r.text, "tainting kernel");

		TH_LOG("kernel <%d> %s", r.prio, r.text);
		if (kmsg_is_splat(r.text) || (r.prio <= 4 && !taint_note))
			bad++;
	}
	ASSERT_LE(0, ret);
	after = kernel_taint();
	EXPECT_EQ(0UL, (after & ~before) & (TAINT_WARN | TAINT_DIE))
		TH_LOG("taint went from %lu to %lu", before, after);
	ASSERT_EQ(0, bad);
}
