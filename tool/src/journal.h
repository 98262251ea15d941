/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The journal of a set-type in progress, in /run/iommu-admin/journal:
 * enough to put every device back on its driver and the group back on its
 * type after a crash (iommu-admin recover). Text, one fact a line:
 *
 *   iommu-admin-journal 1
 *   pid 1234
 *   group 5
 *   from DMA-FQ
 *   to identity
 *   phase unbind
 *   device 0000:00:03.0 iconf_edu
 *   device 0000:00:04.0 -
 */
#ifndef IA_JOURNAL_H
#define IA_JOURNAL_H

#include <stddef.h>

#include "parse.h"

#define J_MAX_DEVS 64

/* How far set-type got; each is written before the step it names begins. */
enum j_phase { PH_BEGIN, PH_UNBIND, PH_TYPE, PH_REBIND, PH_VERIFY, PH_MAX };

struct j_dev {
	char addr[64];
	char driver[64];	/* "" for none */
};

struct journal {
	long pid;
	int group;
	enum group_type from, to;
	enum j_phase phase;
	struct j_dev devs[J_MAX_DEVS];
	int ndevs;
};

const char *phase_name(enum j_phase p);

/* 0, or -1 with @why naming the first bad line. */
int journal_parse(const char *buf, size_t len, struct journal *j, char *why, size_t whylen);
/* The text of @j; its length, or -1 if @len is too small. */
int journal_format(const struct journal *j, char *buf, size_t len);

/*
 * Write @j to @path durably: a temporary file, fsync, rename over @path,
 * fsync of the directory. 0 or -errno.
 */
int journal_write(const char *path, const struct journal *j);
/* 0; -ENOENT if there is none; other -errno, or -EINVAL with @why. */
int journal_read(const char *path, struct journal *j, char *why, size_t whylen);
/* Remove it durably. 0 or -errno. */
int journal_remove(const char *path);
/* Rename it to @to (same directory, replacing @to) durably. 0 or -errno. */
int journal_set_aside(const char *path, const char *to);

#endif
