/* SPDX-License-Identifier: GPL-2.0 */
/* set-type, its dry run, explain and recover. */
#ifndef IA_CHANGE_H
#define IA_CHANGE_H

#include <stdbool.h>

/* Exit codes (iommu-admin.8). */
enum {
	EXIT_DONE = 0,		/* done (or nothing to do) */
	EXIT_FAILED = 1,	/* failed; rolled back, or said what is left */
	EXIT_USAGE = 2,		/* bad command line or input */
	EXIT_UNSAFE = 3,	/* refused: a device is in use */
	EXIT_KERNEL = 4,	/* refused: the running kernel does not allow it */
	EXIT_BUSY = 5,		/* another set-type holds the lock (no --wait) */
	EXIT_PRIV = 6,		/* missing capability */
};

#define IA_RUNDIR "/run/iommu-admin"

struct set_opts {
	const char *sysroot;
	const char *root;	/* prefix of /etc for --persist */
	bool yes, force, dry_run, wait, persist, json, raw, noheadings;
	int wait_limit_s;	/* with wait: at most this many seconds (0: no limit) */
	bool quiet;		/* apply: one line per change */
	bool discard;		/* recover: drop the journal, change nothing */
};

int cmd_set_type(const struct set_opts *o, const char *target, const char *type);
int cmd_explain(const struct set_opts *o, const char *target, const char *type);
int cmd_recover(const struct set_opts *o);

#endif
