// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-admin: list the IOMMU groups of a machine and (to come) change
 * their default domain type safely. The read side: list, show.
 *
 * Exit: 0 done, 1 failed, 2 usage or bad input, 3 refused as unsafe,
 * 4 the running kernel does not allow it (iommu-admin.8).
 */
#include <errno.h>
#include <getopt.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "parse.h"
#include "target.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct column {
	const char *name;
	const char *help;
	double width;
	int flags;
};

static const struct column columns[] = {
	{ "GROUP", "IOMMU group number", 5, SCOLS_FL_TREE },
	{ "TYPE", "default domain type (sysfs type)", 8, 0 },
	{ "DEVICE", "device address", 12, 0 },
	{ "CLASS", "PCI class code", 8, 0 },
	{ "ID", "vendor:device", 9, 0 },
	{ "DRIVER", "bound driver", 10, 0 },
	{ "NET", "network interfaces", 6, 0 },
	{ "BLOCK", "block devices", 6, 0 },
	{ "RESV", "reserved regions (start-end type)", 0.2, SCOLS_FL_WRAP },
	{ "NAME", "device name (hwdb)", 0.3, SCOLS_FL_TRUNC },
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))
static const char default_cols[] = "GROUP,TYPE,DEVICE,CLASS,ID,DRIVER,NET,BLOCK,NAME";

static void usage(FILE *f)
{
	fprintf(f, "Usage:\n"
		"  iommu-admin [options] list\n"
		"  iommu-admin [options] show TARGET\n"
		"\nTARGET: a group number, a PCI address (00:02.0 or 0000:00:02.0),\n"
		"a network interface or a block device name.\n"
		"\nOptions:\n"
		"  -J, --json            JSON output\n"
		"  -r, --raw             raw output\n"
		"  -n, --noheadings      no column headings\n"
		"  -o, --output LIST     columns to print (default %s)\n"
		"      --sysroot DIR     read sysfs below DIR instead of /\n"
		"  -h, --help            this text\n"
		"\nColumns:\n", default_cols);
	for (size_t i = 0; i < NCOLS; i++)
		fprintf(f, "  %-8s %s\n", columns[i].name, columns[i].help);
}

static int column_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (strlen(columns[i].name) == len && !strncasecmp(columns[i].name, name, len))
			return (int)i;
	return -1;
}

static void join(char *buf, size_t len, const char names[][32], int n)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", i ? "," : "", names[i]);
	}
}

static void set(struct libscols_line *ln, int col, const char *val)
{
	if (col >= 0 && val && *val)
		scols_line_set_data(ln, col, val);
}

struct out {
	struct libscols_table *tb;
	int idx[NCOLS];		/* column -> position in the table, or -1 */
};

static void group_rows(struct out *o, const struct ia_group *g)
{
	struct libscols_line *gl = scols_table_new_line(o->tb, NULL);
	char buf[4096];

	snprintf(buf, sizeof(buf), "%d", g->id);
	set(gl, o->idx[0], buf);
	set(gl, o->idx[1], g->type_text);
	buf[0] = '\0';
	for (int i = 0; i < g->nresv; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, sizeof(buf) - used, "%s%llx-%llx %s", i ? "," : "",
			 (unsigned long long)g->resv[i].start, (unsigned long long)g->resv[i].end,
			 g->resv[i].type);
	}
	set(gl, o->idx[8], buf);
	for (int i = 0; i < g->ndevs; i++) {
		const struct ia_device *d = &g->devs[i];
		struct libscols_line *dl = scols_table_new_line(o->tb, gl);

		set(dl, o->idx[2], d->addr);
		set(dl, o->idx[3], d->class_);
		if (d->vendor[0]) {
			snprintf(buf, sizeof(buf), "%s:%s", d->vendor, d->device);
			set(dl, o->idx[4], buf);
		}
		set(dl, o->idx[5], d->driver);
		join(buf, sizeof(buf), d->net, d->nnet);
		set(dl, o->idx[6], buf);
		join(buf, sizeof(buf), d->block, d->nblock);
		set(dl, o->idx[7], buf);
		set(dl, o->idx[9], d->name);
	}
}

struct opts {
	bool json, raw, noheadings;
	const char *output;
	const char *sysroot;
};

static int print_groups(const struct opts *op, const struct ia_model *m, int only)
{
	struct out o;
	const char *p = op->output ? op->output : default_cols;
	int pos = 0;

	for (size_t i = 0; i < NCOLS; i++)
		o.idx[i] = -1;
	o.tb = scols_new_table();
	if (!o.tb) {
		fprintf(stderr, "iommu-admin: out of memory\n");
		return EXIT_FAILED;
	}
	while (*p) {
		struct libscols_column *cl;
		size_t len = strcspn(p, ",");
		int c = column_index(p, len);

		if (c < 0 || o.idx[c] >= 0) {
			fprintf(stderr, "iommu-admin: --output: %s column '%.*s' (see --help)\n",
				c < 0 ? "unknown" : "repeated", (int)len, p);
			scols_unref_table(o.tb);
			return EXIT_USAGE;
		}
		/* The tree hangs on the first column, whichever it is. */
		cl = scols_table_new_column(o.tb, columns[c].name, columns[c].width,
					    (columns[c].flags & ~SCOLS_FL_TREE) |
					    (pos == 0 ? SCOLS_FL_TREE : 0));
		if (!cl) {
			scols_unref_table(o.tb);
			return EXIT_FAILED;
		}
		if (c == 0)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		o.idx[c] = pos++;
		p += len + (p[len] == ',');
	}
	scols_table_enable_json(o.tb, op->json);
	scols_table_enable_raw(o.tb, op->raw);
	scols_table_enable_noheadings(o.tb, op->noheadings);
	if (op->json)
		scols_table_set_name(o.tb, "iommugroups");
	for (int i = 0; i < m->ngroups; i++)
		if (only < 0 || i == only)
			group_rows(&o, &m->groups[i]);
	scols_print_table(o.tb);
	scols_unref_table(o.tb);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "sysroot", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts op = { .sysroot = "/" };
	struct ia_model m;
	char why[512];
	int c, ret;

	while ((c = getopt_long(argc, argv, "+Jrno:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J': op.json = true; break;
		case 'r': op.raw = true; break;
		case 'n': op.noheadings = true; break;
		case 'o': op.output = optarg; break;
		case 'S': op.sysroot = optarg; break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "iommu-admin: no command (list, show)\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "list") && strcmp(argv[optind], "show")) {
		fprintf(stderr, "iommu-admin: unknown command '%s' (list, show)\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "list") && argc - optind != 1) {
		fprintf(stderr, "iommu-admin: list takes no argument\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "show") && argc - optind != 2) {
		fprintf(stderr, "iommu-admin: show needs one TARGET\n");
		return EXIT_USAGE;
	}
	if (ia_load(op.sysroot, &m, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		return EXIT_FAILED;
	}
	ia_add_names(&m);
	if (!strcmp(argv[optind], "list")) {
		ret = print_groups(&op, &m, -1);
	} else {
		int g = resolve_target(&m, argv[optind + 1], why, sizeof(why));

		if (g < 0) {
			fprintf(stderr, "iommu-admin: %s\n", why);
			ret = EXIT_USAGE;
		} else {
			ret = print_groups(&op, &m, g);
		}
	}
	ia_free(&m);
	return ret;
}
