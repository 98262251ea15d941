// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "iommu_abi.h"

#define ROWS(table) (sizeof(table) / sizeof((table)[0]))

/* iommu_group_resv_type_string[] in drivers/iommu/iommu.c */
static const char *const resv_types[] = {
	"direct", "direct-relaxable", "reserved", "msi",
};

/* Indexed by enum group_type, which follows the table's order. */
static const struct {
	const char *text;
	bool shown, taken;
} group_types[] = {
	{ "unknown", true, false },	/* GROUP_TYPE_UNKNOWN */
#define GROUP_TYPE(id, text, shown, taken) { text, shown, taken },
#include "group_types.def"
};

/* "0x" then exactly 16 lower-case hex digits; the end, or NULL. */
static const char *hex64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (s[0] != '0' || s[1] != 'x')
		return NULL;
	s += 2;
	for (int i = 0; i < 16; i++) {
		const char *d = s[i] ? strchr("0123456789abcdef", s[i]) : NULL;

		if (!d)
			return NULL;
		x = x << 4 | (uint64_t)(d - "0123456789abcdef");
	}
	*v = x;
	return s + 16;
}

const char *sysroot_prefix(const char *sysroot)
{
	return !sysroot || !*sysroot || !strcmp(sysroot, "/") ? "" : sysroot;
}

int resv_region_parse(const char *line, struct resv_region *r, const char **why)
{
	const char *p = hex64(line, &r->start);
	size_t n;

	if (!p) {
		*why = "start is not 0x followed by 16 lower-case hex digits";
		return -1;
	}
	if (*p++ != ' ') {
		*why = "no single space after start";
		return -1;
	}
	p = hex64(p, &r->end);
	if (!p) {
		*why = "end is not 0x followed by 16 lower-case hex digits";
		return -1;
	}
	if (*p++ != ' ') {
		*why = "no single space after end";
		return -1;
	}
	n = strcspn(p, "\n");
	if (p[n] == '\n' && p[n + 1]) {
		*why = "text after the end of the line";
		return -1;
	}
	if (n == 0 || n >= sizeof(r->type)) {
		*why = "type missing or too long";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 'a' || p[i] > 'z') && p[i] != '-') {
			*why = "the type is not lower-case letters and '-'";
			return -1;
		}
	}
	memcpy(r->type, p, n);
	r->type[n] = '\0';
	if (r->start > r->end) {
		*why = "start is above end";
		return -1;
	}
	return 0;
}

bool resv_type_documented(const char *type)
{
	for (size_t i = 0; i < ROWS(resv_types); i++)
		if (!strcmp(type, resv_types[i]))
			return true;
	return false;
}

enum group_type group_type_parse(const char *s, bool written)
{
	size_t n = strcspn(s, "\n");

	if (s[n] == '\n' && s[n + 1])
		return GROUP_TYPE_UNKNOWN;
	for (size_t t = GROUP_TYPE_UNKNOWN + 1; t < ROWS(group_types); t++)
		if ((written ? group_types[t].taken : group_types[t].shown) &&
		    strlen(group_types[t].text) == n && !strncmp(s, group_types[t].text, n))
			return (enum group_type)t;
	return GROUP_TYPE_UNKNOWN;
}

const char *group_type_name(enum group_type t)
{
	return (size_t)t < ROWS(group_types) ? group_types[t].text : "unknown";
}

bool group_type_documented(const char *s)
{
	for (size_t t = 0; t < ROWS(group_types); t++)
		if (group_types[t].shown && !strcmp(s, group_types[t].text))
			return true;
	return false;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

bool dir_has_prefix(const char *dir, const char *prefix, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			if (name)
				snprintf(name, len, "%.*s", (int)len - 1, de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

int sysfs_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return (int)n;
}

int nvme_settle(const char *devdir, int timeout_ms, char *state, size_t len)
{
	char dir[PATH_MAX], ctrl[64], path[PATH_MAX + 128];
	long deadline = now_ms() + timeout_ms;
	bool seen = false;

	snprintf(state, len, "unreadable");
	snprintf(dir, sizeof(dir), "%s/nvme", devdir);
	for (;;) {
		if (!dir_has_prefix(dir, "nvme", ctrl, sizeof(ctrl)))
			return seen ? -ENODEV : 0;	/* went away, or not nvme */
		seen = true;
		snprintf(path, sizeof(path), "%s/%s/state", dir, ctrl);
		if (sysfs_read_str(path, state, len) > 0 && !strcmp(state, "live"))
			break;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(50000);
	}
	/* A controller without namespaces has no disk: 5 s at most for one. */
	snprintf(path, sizeof(path), "/dev/%sn1", ctrl);
	for (int i = 0; i < 100 && access(path, F_OK); i++)
		usleep(50000);
	usleep(200000);	/* the probe's put follows the scan's end */
	return 0;
}

/*
 * What claims a block device: a mount (in any mount namespace), swap,
 * device-mapper, md, a loop device's backing, a btrfs or ZFS pool member,
 * any O_EXCL opener. The probe holds the claim only until close(): a
 * mount racing this instant fails with EBUSY and can be retried.
 * O_NONBLOCK: no wait on removable media.
 */
int block_claimed(unsigned int ma, unsigned int mi)
{
	char node[64], dir[] = "/run/iommu-probe.XXXXXX";
	struct stat st;
	int fd, err;

	/* udev's /dev/block/MAJ:MIN, if it is this device; else a node of our own. */
	snprintf(node, sizeof(node), "/dev/block/%u:%u", ma, mi);
	if (stat(node, &st) || !S_ISBLK(st.st_mode) || st.st_rdev != makedev(ma, mi)) {
		if (!mkdtemp(dir))
			return -errno;
		snprintf(node, sizeof(node), "%s/b", dir);
		if (mknod(node, S_IFBLK | 0600, makedev(ma, mi))) {
			err = -errno;
			rmdir(dir);
			return err;
		}
	} else {
		dir[0] = '\0';
	}
	fd = open(node, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (dir[0]) {
		unlink(node);
		rmdir(dir);
	}
	return err;
}
