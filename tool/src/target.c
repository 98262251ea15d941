// SPDX-License-Identifier: GPL-2.0
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iommu_abi.h"
#include "parse.h"
#include "target.h"

/* The index of the group holding the device named @name, or -1. */
static int group_of_device(const struct ia_model *m, const char *name)
{
	for (int i = 0; i < m->ngroups; i++)
		for (int j = 0; j < m->groups[i].ndevs; j++)
			if (!strcmp(m->groups[i].devs[j].addr, name))
				return i;
	return -1;
}

int resolve_target(const struct ia_model *m, const char *t, char *why, size_t whylen)
{
	int gi;
	char addr[13];
	int id;

	if (!*t) {
		snprintf(why, whylen, "empty TARGET");
		return -1;
	}
	if (!parse_group_number(t, &id)) {
		for (int i = 0; i < m->ngroups; i++)
			if (m->groups[i].id == id)
				return i;
		snprintf(why, whylen, "no IOMMU group %d here", id);
		return -1;
	}
	if (!parse_pci_addr(t, addr)) {
		gi = group_of_device(m, addr);
		if (gi >= 0)
			return gi;
		snprintf(why, whylen, "no device %s in any IOMMU group here", addr);
		return -1;
	}
	if (looks_like_pci_addr(t)) {
		snprintf(why, whylen, "'%s': malformed PCI address (want 00:02.0 or 0000:00:02.0)", t);
		return -1;
	}
	/* A device by its own name: the mock IOMMU's platform devices. */
	gi = group_of_device(m, t);
	if (gi >= 0)
		return gi;
	if (!strncmp(t, "/dev/", 5))
		t += 5;
	for (int i = 0; i < m->ngroups; i++)
		for (int j = 0; j < m->groups[i].ndevs; j++) {
			const struct ia_device *d = &m->groups[i].devs[j];

			for (int k = 0; k < d->net.n; k++)
				if (!strcmp(d->net.v[k], t))
					return i;
			for (int k = 0; k < d->block.n; k++)
				if (!strcmp(d->block.v[k], t))
					return i;
		}
	snprintf(why, whylen,
		 "'%s': not a group number, PCI address, network interface, block device or partition, nor a /sys or /dev path, of a device of an IOMMU group here",
		 t);
	return -1;
}

/* The device of a group that @path (a real path below @root) is, or lies below. */
static const char *group_device_at(const struct ia_model *m, const char *root, char *path)
{
	size_t rootlen = strlen(root);

	while (strlen(path) > rootlen + 1) {
		char *base = strrchr(path, '/');

		if (group_of_device(m, base + 1) >= 0)
			return base + 1;
		*base = '\0';
	}
	return NULL;
}

const char *target_name(const struct ia_model *m, const char *sysroot, const char *t,
			char *buf, size_t len)
{
	const char *root = sysroot_prefix(sysroot);
	char path[PATH_MAX + 64], real[PATH_MAX];
	const char *name = t;
	struct stat st;

	if (!strncmp(t, "/sys/", 5)) {
		const char *dev;

		snprintf(path, sizeof(path), "%s%s", root, t);
		if (!realpath(path, real))
			return t;
		dev = group_device_at(m, root, real);
		if (!dev)
			return t;
		snprintf(buf, len, "%s", dev);
		return buf;
	}
	if (!strncmp(t, "/dev/", 5)) {
		/* A udev link (/dev/disk/by-id/...) names the node it points to. */
		name = t + 5;
		if (!root[0] && realpath(t, real) && !strncmp(real, "/dev/", 5))
			name = real + 5;
	}
	/* A partition: its disk, the directory its sysfs entry sits in. */
	snprintf(path, sizeof(path), "%s/sys/class/block/%s/partition", root, name);
	if (!strchr(name, '/') && !stat(path, &st)) {
		snprintf(path, sizeof(path), "%s/sys/class/block/%s", root, name);
		if (realpath(path, real)) {
			snprintf(buf, len, "%s", basename(dirname(real)));
			return buf;
		}
	}
	if (name == t)
		return t;
	snprintf(buf, len, "%s", name);
	return buf;
}
