/* SPDX-License-Identifier: GPL-2.0 */
/* set-type, its dry run, explain and recover. */
#ifndef IA_CHANGE_H
#define IA_CHANGE_H

#include <libsmartcols.h>
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

/*
 * A command's outcome as a table (with -J, -r or -n), shaped as the dry
 * run's plan (STEP, DEVICE, VERDICT, DETAIL): from outcome_begin() to
 * outcome_end() stdout goes to stderr (the lines are for a person), then
 * the table, ended by a verdict row with the exit code, is printed on
 * stdout. Without those options these do nothing.
 */
struct outcome {
	struct libscols_table *tb;	/* NULL: lines only */
	int saved_stdout;
};
void outcome_begin(const struct set_opts *o, struct outcome *oc, const char *name);
void outcome_row(struct outcome *oc, const char *step, const char *dev, const char *verdict,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The verdict row, stdout back, the table: returns @code. */
int outcome_end(struct outcome *oc, int code);

int cmd_set_type(const struct set_opts *o, const char *target, const char *type);
int cmd_explain(const struct set_opts *o, const char *target, const char *type);
int cmd_recover(const struct set_opts *o);

#endif
