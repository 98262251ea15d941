// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/iommu_abi, which the selftests and iommu-admin share:
 * a parser that accepts garbage would let a broken kernel pass the groups
 * checks, or make iommu-admin act on a misread group.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iommu_abi.h"

struct bad_line {
	const char *line;
	const char *why;
};

TEST(resv_region_accepts_what_the_kernel_prints)
{
	static const char *const good[] = {
		"0x00000000fee00000 0x00000000feefffff msi\n",
		"0x0000000000000000 0x0000000000ffffff direct-relaxable\n",
		"0x00000000000a0000 0x00000000000bffff direct",
		"0x0000000008000000 0x00000000080fffff reserved\n",
		"0xffffffffffffffff 0xffffffffffffffff msi\n",
	};
	struct resv_region r;
	const char *why = NULL;

	/* Braces: the harness's EXPECT is a for loop of its own. */
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		EXPECT_EQ(0, resv_region_parse(good[i], &r, &why))
			TH_LOG("\"%s\" refused: %s", good[i], why);
	}
	ASSERT_EQ(0, resv_region_parse(good[0], &r, &why));
	EXPECT_EQ(0xfee00000ULL, r.start);
	EXPECT_EQ(0xfeefffffULL, r.end);
	EXPECT_STREQ("msi", r.type);
}

TEST(resv_region_refuses_malformed_lines)
{
	static const struct bad_line bad[] = {
		{ "", "start is not" },
		{ "0xfee00000 0x00000000feefffff msi", "start is not" },
		{ "0x00000000FEE00000 0x00000000feefffff msi", "start is not" },
		{ "00000000fee00000000 0x00000000feefffff msi", "start is not" },
		{ "0x00000000fee00000  0x00000000feefffff msi", "end is not" },
		{ "0x00000000fee00000 0x00000000feefffff", "no single space after end" },
		{ "0x00000000fee00000 0x00000000feefffffmsi", "no single space after end" },
		{ "0x00000000fee00000 0x00000000feefffff ", "type missing" },
		{ "0x00000000fee00000 0x00000000feefffff MSI", "the type is not lower-case" },
		{ "0x00000000fee00000 0x00000000feefffff msi_sw", "the type is not lower-case" },
		{ "0x00000000feefffff 0x00000000fee00000 msi", "start is above end" },
		{ "0x00000000fee00000 0x00000000feefffff msi\nextra", "text after" },
		{ "0x00000000fee00000 0x00000000feefffff averyveryverylongtypename", "type missing or too long" },
	};
	struct resv_region r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = "";

		EXPECT_EQ(-1, resv_region_parse(bad[i].line, &r, &why))
			TH_LOG("\"%s\" accepted", bad[i].line);
		EXPECT_EQ(0, strncmp(why, bad[i].why, strlen(bad[i].why)))
			TH_LOG("\"%s\": said \"%s\", wanted \"%s\"", bad[i].line, why,
			       bad[i].why);
	}
}

TEST(resv_region_types_known_and_new)
{
	struct resv_region r;
	const char *why;

	/* A type a later kernel may add parses; it is not a documented one. */
	ASSERT_EQ(0, resv_region_parse("0x00000000fee00000 0x00000000feefffff msi-sw\n", &r,
				       &why));
	EXPECT_FALSE(resv_type_documented(r.type));
	EXPECT_TRUE(resv_type_documented("direct-relaxable"));
}

TEST(sysroot_prefix_is_empty_for_this_machine)
{
	/* "/", unset and empty all mean this machine: paths stay absolute. */
	EXPECT_STREQ("", sysroot_prefix("/"));
	EXPECT_STREQ("", sysroot_prefix(NULL));
	EXPECT_STREQ("", sysroot_prefix(""));
	EXPECT_STREQ("fixtures/admin/intel", sysroot_prefix("fixtures/admin/intel"));
}

TEST(group_type_values)
{
	static const char *const documented[] = {
		"blocked", "identity", "unmanaged", "DMA", "DMA-FQ", "unknown",
	};
	static const char *const undocumented[] = {
		"", "dma", "DMA-SQ", "DMA-FQ ", "auto", "identity\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(documented); i++) {
		EXPECT_TRUE(group_type_documented(documented[i]))
			TH_LOG("%s refused", documented[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(undocumented); i++) {
		EXPECT_FALSE(group_type_documented(undocumented[i]))
			TH_LOG("\"%s\" accepted", undocumented[i]);
	}
}

TEST(group_type_parse_and_name)
{
	EXPECT_EQ((int)GROUP_TYPE_DMA_FQ, (int)group_type_parse("DMA-FQ\n", false));
	EXPECT_EQ((int)GROUP_TYPE_UNMANAGED, (int)group_type_parse("unmanaged", false));
	/* What a write takes is not what reading shows. */
	EXPECT_EQ((int)GROUP_TYPE_UNKNOWN, (int)group_type_parse("unmanaged", true));
	EXPECT_EQ((int)GROUP_TYPE_AUTO, (int)group_type_parse("auto", true));
	EXPECT_EQ((int)GROUP_TYPE_UNKNOWN, (int)group_type_parse("auto", false));
	EXPECT_EQ((int)GROUP_TYPE_UNKNOWN, (int)group_type_parse("DMA\nx", true));
	EXPECT_STREQ("identity", group_type_name(GROUP_TYPE_IDENTITY));
	EXPECT_STREQ("unknown", group_type_name(GROUP_TYPE_UNKNOWN));
	EXPECT_STREQ("unknown", group_type_name((enum group_type)99));
}

/* A fake PCI device directory, with an nvme controller in @state if set. */
static void fake_device(char *dir, size_t len, const char *state)
{
	char path[512];
	FILE *f;

	snprintf(dir, len, "/tmp/iommu_abi_test.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	if (!state)
		return;
	snprintf(path, sizeof(path), "%s/nvme", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/nvme/nvme97", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/nvme/nvme97/state", dir);
	f = fopen(path, "w");
	fprintf(f, "%s\n", state);
	fclose(f);
}

static void remove_device(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		abort();
}

TEST(nvme_settle_no_controller_is_settled)
{
	char dir[64], state[32];

	fake_device(dir, sizeof(dir), NULL);
	EXPECT_EQ(0, nvme_settle(dir, 100, state, sizeof(state)));
	remove_device(dir);
}

TEST(nvme_settle_times_out_naming_the_state)
{
	char dir[64], state[32];

	fake_device(dir, sizeof(dir), "resetting");
	EXPECT_EQ(-ETIMEDOUT, nvme_settle(dir, 150, state, sizeof(state)));
	EXPECT_STREQ("resetting", state);
	remove_device(dir);
}

/* A loop device over a scratch file: its fd, or skip when none can be made. */
FIXTURE(loopdev)
{
	char file[64];
	char node[32];
	int fd;
	struct stat st;
};

FIXTURE_SETUP(loopdev)
{
	int ctl, backing, n;

	self->fd = -1;
	strcpy(self->file, "/tmp/iommu-abi-loop.XXXXXX");
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		SKIP(return, "no /dev/loop-control (%s): no block device to claim", strerror(errno));
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	backing = mkstemp(self->file);
	ASSERT_LE(0, backing);
	ASSERT_EQ(0, ftruncate(backing, 1 << 20));
	if (n < 0) {
		close(backing);
		SKIP(return, "no free loop device (%s)", strerror(errno));
	}
	snprintf(self->node, sizeof(self->node), "/dev/loop%d", n);
	/* A container may hand out a number whose node it does not have. */
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	if (self->fd < 0) {
		close(backing);
		SKIP(return, "%s: %s: no block device to claim", self->node, strerror(errno));
	}
	if (ioctl(self->fd, LOOP_SET_FD, backing)) {
		int err = errno;

		close(backing);
		close(self->fd);
		self->fd = -1;
		/* EBUSY: another process took this loop device first; not ours to judge. */
		SKIP(return, "LOOP_SET_FD on %s: %s: no block device to claim", self->node,
		     strerror(err));
	}
	close(backing);
	ASSERT_EQ(0, fstat(self->fd, &self->st));
}

FIXTURE_TEARDOWN(loopdev)
{
	if (self->fd >= 0) {
		ioctl(self->fd, LOOP_CLR_FD, 0);
		close(self->fd);
	}
	unlink(self->file);
}

/*
 * The probe against the kernel's answer: a device nobody claims is free;
 * held O_EXCL by another process (seen in no mount table, holders or swap
 * list) it is claimed; free again once that process is gone.
 */
TEST_F(loopdev, block_claimed_is_the_kernels_answer)
{
	unsigned int ma = major(self->st.st_rdev), mi = minor(self->st.st_rdev);
	int ready[2], ret;
	pid_t holder;
	char c;

	EXPECT_EQ(0, block_claimed(ma, mi)) TH_LOG("%s, unclaimed", self->node);
	ASSERT_EQ(0, pipe(ready));
	holder = fork();
	ASSERT_LE(0, holder);
	if (holder == 0) {
		int fd = open(self->node, O_RDONLY | O_EXCL);

		if (write(ready[1], fd >= 0 ? "y" : "n", 1) != 1 || fd < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ret = c == 'y' ? block_claimed(ma, mi) : -ENOENT;
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	ASSERT_EQ('y', c) TH_LOG("the holder could not open %s O_EXCL", self->node);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("%s, held O_EXCL by pid %d: %s", self->node, holder,
				      strerror(-ret));
	EXPECT_EQ(0, block_claimed(ma, mi)) TH_LOG("%s, its holder gone", self->node);
}

TEST(block_claimed_names_a_device_that_is_not_there)
{
	/* Block major 259 minor 1048575: no disk has it. */
	int ret = block_claimed(259, (1U << 20) - 1);

	EXPECT_TRUE(ret == -ENXIO || ret == -ENODEV) TH_LOG("got %s", strerror(-ret));
}

TEST_HARNESS_MAIN
