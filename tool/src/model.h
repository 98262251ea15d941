/* SPDX-License-Identifier: GPL-2.0 */
/* The IOMMU groups of a machine (or of a sysfs tree under --sysroot). */
#ifndef IA_MODEL_H
#define IA_MODEL_H

#include <stddef.h>

#include "parse.h"

/* Names below a device (interfaces, block devices): as many as sysfs has. */
struct ia_names {
	char **v;
	int n;
};

/* Add @name once; 0, or -1 when out of memory (the list is then partial). */
int ia_names_add(struct ia_names *names, const char *name);
void ia_names_free(struct ia_names *names);

/* A character device below a device (its sysfs dev file, not a block device's). */
struct ia_chardev {
	unsigned int major, minor;
	char name[64];		/* its sysfs name, which udev gives its /dev node */
};

struct ia_device {
	char addr[64];		/* "0000:00:02.0", or the platform device's name */
	char class_[16];	/* "0x010802" */
	char vendor[8], device[8];	/* "8086" "10d3" */
	char driver[64];	/* "" when none is bound */
	struct ia_names net;	/* interfaces, at any depth below it */
	struct ia_names block;	/* block devices, at any depth below it */
	struct ia_chardev *chr;	/* character devices, at any depth below it */
	int nchr;
	char name[128];		/* from the hwdb, "" if unknown */
	struct ia_device *vfs;	/* its SR-IOV virtual functions (virtfnN), each in a group of its own */
	int nvfs;
};

struct ia_group {
	int id;
	enum group_type type;
	char type_text[32];	/* as the kernel printed it */
	struct resv_region *resv;
	int nresv;
	struct ia_device *devs;
	int ndevs;
};

struct ia_model {
	struct ia_group *groups;
	int ngroups;
};

/*
 * Read every group under @sysroot ("/" for this machine). 0, or -1 with
 * @why saying what could not be read.
 */
int ia_load(const char *sysroot, struct ia_model *m, char *why, size_t whylen);
void ia_free(struct ia_model *m);

/* Device names from the udev hardware database, where there is one. */
void ia_add_names(struct ia_model *m);

#endif
