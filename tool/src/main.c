// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-admin: list the IOMMU groups of a machine and change their
 * default domain type safely. The command line and the read side (list,
 * show); set-type and the rest live in change.c and apply.c.
 *
 * Exit codes: change.h and iommu-admin.8.
 */
#include <errno.h>
#include <getopt.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "change.h"
#include "model.h"
#include "parse.h"
#include "target.h"

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
		"  iommu-admin [options] set-type TARGET TYPE\n"
		"  iommu-admin [options] explain TARGET TYPE\n"
		"  iommu-admin recover\n"
		"  iommu-admin [--root DIR] apply [--udev DEVICE]\n"
		"  iommu-admin [--root DIR] unpersist TARGET\n"
		"  iommu-admin [--root DIR] list-persisted\n"
		"\nTARGET: a group number, a PCI address (00:02.0 or 0000:00:02.0),\n"
		"a network interface or a block device name.\n"
		"TYPE: identity, DMA, DMA-FQ or auto.\n"
		"\nOptions:\n"
		"  -J, --json            JSON output\n"
		"  -r, --raw             raw output\n"
		"  -n, --noheadings      no column headings\n"
		"  -o, --output LIST     columns to print (default %s)\n"
		"      --sysroot DIR     read sysfs below DIR instead of /\n"
		"  -y, --yes             set-type: do not ask before unbinding drivers\n"
		"  -f, --force           set-type: go on although a NIC carries addresses or routes\n"
		"      --dry-run         set-type: print the checks and the plan, change nothing\n"
		"      --wait            set-type: wait for another set-type instead of failing\n"
		"      --persist         set-type: apply the type again at every boot\n"
		"      --root DIR        persistence files below DIR instead of /\n"
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

static void join(char *buf, size_t len, const struct ia_names *names)
{
	buf[0] = '\0';
	for (int i = 0; i < names->n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", i ? "," : "", names->v[i]);
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
		join(buf, sizeof(buf), &d->net);
		set(dl, o->idx[6], buf);
		join(buf, sizeof(buf), &d->block);
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

struct command {
	const char *name;
	int nargs;		/* exact; -1: zero or one (apply) */
	const char *args;
};

static const struct command commands[] = {
	{ "list", 0, "" }, { "show", 1, "TARGET" }, { "set-type", 2, "TARGET TYPE" },
	{ "explain", 2, "TARGET TYPE" }, { "recover", 0, "" }, { "apply", 0, "" },
	{ "unpersist", 1, "TARGET" }, { "list-persisted", 0, "" },
};

static int read_side(const struct opts *op, const char *cmd, const char *target)
{
	struct ia_model m;
	char why[512];
	int ret;

	if (ia_load(op->sysroot, &m, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		return EXIT_FAILED;
	}
	ia_add_names(&m);
	if (!strcmp(cmd, "list")) {
		ret = print_groups(op, &m, -1);
	} else {
		int g = resolve_target(&m, target, why, sizeof(why));

		if (g < 0) {
			fprintf(stderr, "iommu-admin: %s\n", why);
			ret = EXIT_USAGE;
		} else {
			ret = print_groups(op, &m, g);
		}
	}
	ia_free(&m);
	return ret;
}

int main(int argc, char **argv)
{
	enum { OPT_SYSROOT = 256, OPT_DRY, OPT_WAIT, OPT_PERSIST, OPT_ROOT, OPT_UDEV };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "udev", required_argument, NULL, OPT_UDEV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts op = { .sysroot = "/" };
	struct set_opts so = { .sysroot = "/", .root = "/" };
	const struct command *cmd = NULL;
	const char *udev_dev = NULL;
	int c, nargs;

	while ((c = getopt_long(argc, argv, "Jrno:yfh", longopts, NULL)) != -1) {
		switch (c) {
		case 'J': op.json = so.json = true; break;
		case 'r': op.raw = so.raw = true; break;
		case 'n': op.noheadings = so.noheadings = true; break;
		case 'o': op.output = optarg; break;
		case 'y': so.yes = true; break;
		case 'f': so.force = true; break;
		case OPT_SYSROOT: op.sysroot = so.sysroot = optarg; break;
		case OPT_DRY: so.dry_run = true; break;
		case OPT_WAIT: so.wait = true; break;
		case OPT_PERSIST: so.persist = true; break;
		case OPT_ROOT: so.root = optarg; break;
		case OPT_UDEV: udev_dev = optarg; break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "iommu-admin: no command (list, show, set-type, explain, recover, "
			"apply, unpersist, list-persisted)\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "iommu-admin: unknown command '%s' (list, show, set-type, explain, "
			"recover, apply, unpersist, list-persisted)\n", argv[optind]);
		return EXIT_USAGE;
	}
	nargs = argc - optind - 1;
	if (nargs != cmd->nargs) {
		if (cmd->nargs)
			fprintf(stderr, "iommu-admin: %s needs %s\n", cmd->name, cmd->args);
		else
			fprintf(stderr, "iommu-admin: %s takes no argument\n", cmd->name);
		return EXIT_USAGE;
	}
	if ((so.dry_run || so.persist || so.yes || so.force || so.wait) &&
	    strcmp(cmd->name, "set-type")) {
		fprintf(stderr, "iommu-admin: --yes, --force, --dry-run, --wait and --persist are "
			"set-type's options\n");
		return EXIT_USAGE;
	}
	if (udev_dev && strcmp(cmd->name, "apply")) {
		fprintf(stderr, "iommu-admin: --udev is apply's option\n");
		return EXIT_USAGE;
	}
	if (so.dry_run && so.persist) {
		fprintf(stderr, "iommu-admin: --dry-run changes nothing, --persist records a change: "
			"not both\n");
		return EXIT_USAGE;
	}
	if (!strcmp(cmd->name, "list") || !strcmp(cmd->name, "show"))
		return read_side(&op, cmd->name, argv[optind + 1]);
	if (!strcmp(cmd->name, "set-type"))
		return cmd_set_type(&so, argv[optind + 1], argv[optind + 2]);
	if (!strcmp(cmd->name, "explain"))
		return cmd_explain(&so, argv[optind + 1], argv[optind + 2]);
	if (!strcmp(cmd->name, "recover"))
		return cmd_recover(&so);
	if (!strcmp(cmd->name, "apply")) {
		so.quiet = udev_dev != NULL;
		return cmd_apply(&so, udev_dev);
	}
	if (!strcmp(cmd->name, "unpersist"))
		return cmd_unpersist(&so, argv[optind + 1]);
	return cmd_list_persisted(&so);
}
