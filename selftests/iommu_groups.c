// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_groups: what /sys/kernel/iommu_groups promises, checked on the
 * running kernel (or on a recorded tree below $IOMMU_SYSROOT, as iommu-admin's
 * --sysroot).
 *
 * $IOMMU_EXPECT_GROUPS tells the test what the machine is: "1" it has an
 * active IOMMU, so groups must exist; "0" it has none, so none may exist.
 * Unset, a machine without groups is a SKIP, as kselftest expects.
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
#include "iommu_sysfs.h"
#include "kmsg.h"

#define MAX_GROUPS 8192

FIXTURE(groups) {
	char dir[PATH_MAX];
	int ids[MAX_GROUPS];
	int n;
	int expect;	/* 1: must have groups, 0: must have none, -1: unknown */
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

FIXTURE_SETUP(groups)
{
	const char *e = getenv("IOMMU_EXPECT_GROUPS");
	struct dirent *de;
	DIR *d;

	self->expect = e && *e ? atoi(e) : -1;
	snprintf(self->dir, sizeof(self->dir), "%s/kernel/iommu_groups",
		 sysfs_root());
	self->n = 0;
	d = opendir(self->dir);
	if (!d) {
		/* Absent without CONFIG_IOMMU_API: no groups, as below. */
		EXPECT_EQ(ENOENT, errno)
			TH_LOG("opendir %s: %s", self->dir, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		long id = strtol(de->d_name, &end, 10);

		if (de->d_name[0] == '.')
			continue;
		EXPECT_TRUE(*end == '\0' && id >= 0 && id <= INT_MAX)
			TH_LOG("%s/%s is not a group number", self->dir, de->d_name);
		if (*end || id < 0 || id > INT_MAX || self->n == MAX_GROUPS)
			continue;
		self->ids[self->n++] = (int)id;
	}
	closedir(d);
	qsort(self->ids, self->n, sizeof(int), cmp_int);
}

FIXTURE_TEARDOWN(groups)
{
}

TEST_F(groups, present)
{
	TH_LOG("%d IOMMU group(s) under %s", self->n, self->dir);
	if (self->expect == 1) {
		ASSERT_GT(self->n, 0)
			TH_LOG("the machine has an IOMMU, yet the kernel made no groups");
	} else if (self->expect == 0) {
		ASSERT_EQ(0, self->n)
			TH_LOG("the machine has no IOMMU, yet the kernel made groups");
	} else if (self->n == 0) {
		SKIP(return, "no IOMMU groups: this machine has no active IOMMU");
	}
}

TEST_F(groups, type_documented)
{
	char path[PATH_MAX + 32], type[64];
	int bad = 0;

	if (self->n == 0)
		SKIP(return, "no IOMMU groups on this machine: nothing to check");
	for (int i = 0; i < self->n; i++) {
		snprintf(path, sizeof(path), "%s/%d/type", self->dir, self->ids[i]);
		if (sysfs_read_str(path, type, sizeof(type)) < 0) {
			TH_LOG("group %d: cannot read type: %s", self->ids[i],
			       strerror(errno));
			bad++;
			continue;
		}
		if (!group_type_documented(type)) {
			TH_LOG("group %d: type \"%s\" is not a documented value",
			       self->ids[i], type);
			bad++;
		} else {
			TH_LOG("group %d: type %s", self->ids[i], type);
		}
	}
	ASSERT_EQ(0, bad);
}

TEST_F(groups, devices_link_back)
{
	char path[PATH_MAX + 300], dev[PATH_MAX], link[PATH_MAX], grp[PATH_MAX];
	int bad = 0, seen = 0;

	if (self->n == 0)
		SKIP(return, "no IOMMU groups on this machine: nothing to check");
	for (int i = 0; i < self->n; i++) {
		struct dirent *de;
		int ndev = 0;
		DIR *d;

		snprintf(path, sizeof(path), "%s/%d", self->dir, self->ids[i]);
		ASSERT_NE(NULL, realpath(path, grp));
		snprintf(path, sizeof(path), "%s/%d/devices", self->dir, self->ids[i]);
		d = opendir(path);
		ASSERT_NE(NULL, d) TH_LOG("group %d has no devices directory",
					  self->ids[i]);
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			ndev++;
			snprintf(path, sizeof(path), "%s/%d/devices/%s", self->dir,
				 self->ids[i], de->d_name);
			if (!realpath(path, dev)) {
				TH_LOG("group %d: device %s does not resolve: %s",
				       self->ids[i], de->d_name, strerror(errno));
				bad++;
				continue;
			}
			snprintf(path, sizeof(path), "%s/iommu_group", dev);
			if (!realpath(path, link)) {
				TH_LOG("group %d: %s has no iommu_group link", self->ids[i], dev);
				bad++;
			} else if (strcmp(link, grp)) {
				TH_LOG("group %d: %s/iommu_group points to %s",
				       self->ids[i], de->d_name, link);
				bad++;
			}
		}
		closedir(d);
		seen += ndev;
		if (ndev == 0) {
			/* A group lives only as long as it has a device. */
			TH_LOG("group %d has no devices", self->ids[i]);
			bad++;
		}
	}
	TH_LOG("%d device(s) in %d group(s) checked", seen, self->n);
	ASSERT_EQ(0, bad);
}

TEST_F(groups, reserved_regions_parse)
{
	char path[PATH_MAX + 32], line[256];
	int bad = 0;

	if (self->n == 0)
		SKIP(return, "no IOMMU groups on this machine: nothing to check");
	for (int i = 0; i < self->n; i++) {
		struct resv_region r;
		const char *why;
		int lineno = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%d/reserved_regions", self->dir,
			 self->ids[i]);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
		while (fgets(line, sizeof(line), f)) {
			lineno++;
			bool ok = !resv_region_parse(line, &r, &why);

			if (ok && !resv_type_documented(r.type)) {
				why = "unknown region type";
				ok = false;
			}
			if (!ok) {
				line[strcspn(line, "\n")] = '\0';
				TH_LOG("group %d line %d \"%s\": %s", self->ids[i],
				       lineno, line, why);
				bad++;
			}
		}
		fclose(f);
		TH_LOG("group %d: %d reserved region(s)", self->ids[i], lineno);
	}
	ASSERT_EQ(0, bad);
}

/* Words IOMMU drivers and the core put in their messages. */
static bool iommu_line(const char *t)
{
	static const char *const words[] = {
		"iommu", "IOMMU", "DMAR", "AMD-Vi", "arm-smmu", "DMA remapping",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(t, words[i]))
			return true;
	return false;
}

TEST_F(groups, boot_log_clean)
{
	struct kmsg_rec r;
	int fd, ret, bad = 0, lines = 0;

	if (*sysroot_prefix(getenv("IOMMU_SYSROOT")))
		SKIP(return, "recorded sysfs tree: there is no kernel log to read");
	fd = kmsg_open(true);
	if (fd == -EACCES || fd == -EPERM)
		SKIP(return, "/dev/kmsg is not readable: %s", strerror(-fd));
	ASSERT_LE(0, fd) TH_LOG("/dev/kmsg: %s", strerror(-fd));
	while ((ret = kmsg_next(fd, &r)) > 0) {
		if (iommu_line(r.text))
			lines++;
		/* Errors from IOMMU code, and any splat at all, fail it. */
		if ((r.prio <= 3 && iommu_line(r.text)) || kmsg_is_splat(r.text)) {
			TH_LOG("kernel <%d> [%llu.%06llu] %s", r.prio,
			       r.usec / 1000000, r.usec % 1000000, r.text);
			bad++;
		}
	}
	close(fd);
	ASSERT_LE(0, ret) TH_LOG("reading /dev/kmsg: %s", strerror(-ret));
	TH_LOG("%d IOMMU line(s) in the log, %d error(s) or splat(s)", lines, bad);
	ASSERT_EQ(0, bad);
}
