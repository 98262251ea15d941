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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "change.h"
#include "model.h"
#include "parse.h"
#include "target.h"

/* The columns of list and show, in their table's order (as lsblk's). */
enum column_id {
	COL_GROUP, COL_TYPE, COL_DEVICE, COL_CLASS, COL_ID, COL_DRIVER, COL_NET, COL_BLOCK,
	COL_RESV, COL_NAME, NCOLS
};

struct column {
	const char *name;
	const char *help;
	double width;
	int flags;
};

static const struct column columns[NCOLS] = {
	[COL_GROUP] = { "GROUP", "IOMMU group number", 5, SCOLS_FL_TREE },
	[COL_TYPE] = { "TYPE", "default domain type (sysfs type)", 8, 0 },
	[COL_DEVICE] = { "DEVICE", "device address", 12, 0 },
	[COL_CLASS] = { "CLASS", "PCI class code", 8, 0 },
	[COL_ID] = { "ID", "vendor:device", 9, 0 },
	[COL_DRIVER] = { "DRIVER", "bound driver", 10, 0 },
	[COL_NET] = { "NET", "network interfaces", 6, 0 },
	[COL_BLOCK] = { "BLOCK", "block devices", 6, 0 },
	[COL_RESV] = { "RESV", "reserved regions (start-end type)", 0.2, SCOLS_FL_WRAP },
	[COL_NAME] = { "NAME", "device name (hwdb)", 0.3, SCOLS_FL_TRUNC },
};
static const char default_cols[] = "GROUP,TYPE,DEVICE,CLASS,ID,DRIVER,NET,BLOCK,NAME";

/* ---- the commands and their options: usage, checks and completion ---- */

enum command_id {
	CMD_LIST, CMD_SHOW, CMD_SET_TYPE, CMD_EXPLAIN, CMD_RECOVER, CMD_APPLY, CMD_UNPERSIST,
	CMD_LIST_PERSISTED, NCMDS
};
#define FOR(cmd) (1u << (cmd))

struct invocation;

struct command {
	const char *name;
	int nargs;		/* exactly this many arguments */
	const char *args;	/* their names, for usage and messages */
	const char *help;
	int (*run)(struct invocation *inv, char **args);
};

enum option_id {
	OPT_JSON = 256, OPT_RAW, OPT_NOHEADINGS, OPT_OUTPUT, OPT_SYSROOT, OPT_YES, OPT_FORCE,
	OPT_DRY_RUN, OPT_WAIT, OPT_PERSIST, OPT_ROOT, OPT_UDEV, OPT_DISCARD, OPT_QUIET, OPT_HELP,
	OPT_VERSION
};

struct option_def {
	enum option_id id;
	char short_name;	/* 0: long only */
	const char *long_name;
	const char *arg;	/* NULL: takes none */
	const char *help;
	unsigned int commands;	/* FOR() the commands it means something to; 0: all */
	bool only_there;	/* refused with any other command */
	bool arg_optional;	/* --name[=ARG] */
};

static const struct option_def options[] = {
	/*
	 * The commands that print a table: set-type its plan (--dry-run) or
	 * its outcome, explain its plan as the dry run's table, recover,
	 * apply and unpersist their outcome (their lines then go to stderr).
	 * Every command but --help and --version.
	 */
#define TABLES (FOR(CMD_LIST) | FOR(CMD_SHOW) | FOR(CMD_SET_TYPE) | FOR(CMD_EXPLAIN) | \
		FOR(CMD_RECOVER) | FOR(CMD_APPLY) | FOR(CMD_UNPERSIST) | FOR(CMD_LIST_PERSISTED))
	{ OPT_JSON, 'J', "json", NULL, "JSON output", TABLES, true, false },
	{ OPT_RAW, 'r', "raw", NULL, "raw output", TABLES, true, false },
	{ OPT_NOHEADINGS, 'n', "noheadings", NULL, "no column headings", TABLES, true, false },
	{ OPT_OUTPUT, 'o', "output", "LIST", "columns to print (default below)",
	  FOR(CMD_LIST) | FOR(CMD_SHOW), false, false },
	{ OPT_SYSROOT, 0, "sysroot", "DIR", "read sysfs below DIR instead of /", 0, false, false },
	{ OPT_YES, 'y', "yes", NULL, "do not ask before unbinding drivers",
	  FOR(CMD_SET_TYPE), true, false },
	{ OPT_FORCE, 'f', "force", NULL,
	  "go on although a NIC carries traffic, VFs would go or a device is open",
	  FOR(CMD_SET_TYPE) | FOR(CMD_RECOVER), true, false },
	{ OPT_DRY_RUN, 0, "dry-run", NULL, "print the checks and the plan, change nothing",
	  FOR(CMD_SET_TYPE), true, false },
	{ OPT_WAIT, 0, "wait", "SECONDS",
	  "wait for another set-type instead of failing (at most SECONDS)",
	  FOR(CMD_SET_TYPE), true, true },
	{ OPT_PERSIST, 0, "persist", NULL, "apply the type again at every boot",
	  FOR(CMD_SET_TYPE), true, false },
	{ OPT_ROOT, 0, "root", "DIR", "persistence files below DIR instead of /",
	  FOR(CMD_SET_TYPE) | FOR(CMD_APPLY) | FOR(CMD_UNPERSIST) | FOR(CMD_LIST_PERSISTED),
	  false, false },
	{ OPT_UDEV, 0, "udev", "DEVICE", "apply only what concerns DEVICE (the udev rule's)",
	  FOR(CMD_APPLY), true, false },
	{ OPT_DISCARD, 0, "discard", NULL,
	  "drop a journal that cannot be applied, change nothing, say what is left",
	  FOR(CMD_RECOVER), true, false },
	{ OPT_QUIET, 'q', "quiet", NULL, "print errors only",
	  FOR(CMD_SET_TYPE) | FOR(CMD_RECOVER) | FOR(CMD_APPLY) | FOR(CMD_UNPERSIST), true, false },
	{ OPT_HELP, 'h', "help", NULL, "this text", 0, false, false },
	{ OPT_VERSION, 'V', "version", NULL, "the program's version", 0, false, false },
};
#define NOPTS (sizeof(options) / sizeof(options[0]))

static int run_read_side(struct invocation *inv, char **args);
static int run_set_type(struct invocation *inv, char **args);
static int run_explain(struct invocation *inv, char **args);
static int run_recover(struct invocation *inv, char **args);
static int run_apply(struct invocation *inv, char **args);
static int run_unpersist(struct invocation *inv, char **args);
static int run_list_persisted(struct invocation *inv, char **args);

static const struct command commands[NCMDS] = {
	[CMD_LIST] = { "list", 0, "", "the IOMMU groups and their devices", run_read_side },
	[CMD_SHOW] = { "show", 1, "TARGET", "the group of TARGET", run_read_side },
	[CMD_SET_TYPE] = { "set-type", 2, "TARGET TYPE",
			   "change the default domain type of TARGET's group", run_set_type },
	[CMD_EXPLAIN] = { "explain", 2, "TARGET TYPE",
			  "what set-type would check and do, and why", run_explain },
	[CMD_RECOVER] = { "recover", 0, "", "finish or undo an interrupted set-type",
			  run_recover },
	[CMD_APPLY] = { "apply", 0, "", "apply the persisted types (at boot, from udev)",
			run_apply },
	[CMD_UNPERSIST] = { "unpersist", 1, "TARGET", "forget TARGET's persisted type",
			    run_unpersist },
	[CMD_LIST_PERSISTED] = { "list-persisted", 0, "", "the persisted types",
				 run_list_persisted },
};

static void option_text(char *buf, size_t len, const struct option_def *o)
{
	const char *open = !o->arg ? "" : o->arg_optional ? "[=" : " ";

	if (o->short_name)
		snprintf(buf, len, "-%c, --%s%s%s%s", o->short_name, o->long_name, open,
			 o->arg ? o->arg : "", o->arg_optional ? "]" : "");
	else
		snprintf(buf, len, "    --%s%s%s%s", o->long_name, open, o->arg ? o->arg : "",
			 o->arg_optional ? "]" : "");
}

/* "set-type" or "set-type, apply": the commands an option is for. */
static void commands_of(char *buf, size_t len, unsigned int mask)
{
	buf[0] = '\0';
	for (int c = 0; c < NCMDS; c++) {
		size_t used = strlen(buf);

		if (mask & FOR(c))
			snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
				 commands[c].name);
	}
}

static void usage(FILE *f)
{
	char opt[64], cmds[128];

	fprintf(f, "Usage:\n  iommu-admin [options] COMMAND [ARGUMENTS]\n\nCommands:\n");
	for (int c = 0; c < NCMDS; c++) {
		snprintf(opt, sizeof(opt), "%s %s", commands[c].name, commands[c].args);
		fprintf(f, "  %-26s %s\n", opt, commands[c].help);
	}
	fprintf(f, "\nTARGET: a group number, a PCI address (00:02.0 or 0000:00:02.0),\n"
		"a network interface or a block device name.\n"
		"TYPE: identity, DMA, DMA-FQ or auto.\n\nOptions:\n");
	for (size_t i = 0; i < NOPTS; i++) {
		option_text(opt, sizeof(opt), &options[i]);
		commands_of(cmds, sizeof(cmds), options[i].commands);
		fprintf(f, "  %-22s%s%s%s\n", opt, cmds[0] ? cmds : "", cmds[0] ? ": " : "",
			options[i].help);
	}
	fprintf(f, "\nColumns (default %s):\n", default_cols);
	for (size_t i = 0; i < NCOLS; i++)
		fprintf(f, "  %-8s %s\n", columns[i].name, columns[i].help);
}

/*
 * The words the bash completion offers, from the tables above:
 * "commands", "columns", or "options COMMAND" (COMMAND may be "").
 */
static int complete(int argc, char **argv)
{
	const char *what = argc > 0 ? argv[0] : "";
	int cmd = -1;

	if (!strcmp(what, "commands")) {
		for (int c = 0; c < NCMDS; c++)
			printf("%s\n", commands[c].name);
		return EXIT_DONE;
	}
	if (!strcmp(what, "columns")) {
		for (size_t i = 0; i < NCOLS; i++)
			printf("%s\n", columns[i].name);
		return EXIT_DONE;
	}
	if (strcmp(what, "options")) {
		fprintf(stderr, "iommu-admin: __complete commands | columns | options [COMMAND]\n");
		return EXIT_USAGE;
	}
	for (int c = 0; c < NCMDS && argc > 1; c++)
		if (!strcmp(argv[1], commands[c].name))
			cmd = c;
	for (size_t i = 0; i < NOPTS; i++) {
		const struct option_def *o = &options[i];

		/* With no command yet, the options that need none. */
		if (o->commands && (cmd < 0 || !(o->commands & FOR(cmd))))
			continue;
		if (o->short_name)
			printf("-%c\n", o->short_name);
		printf("--%s\n", o->long_name);
	}
	return EXIT_DONE;
}

static int column_index(const char *name, size_t len)
{
	for (int i = 0; i < NCOLS; i++)
		if (strlen(columns[i].name) == len && !strncasecmp(columns[i].name, name, len))
			return i;
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
	bool flat;		/* raw: no tree, each device row names its group (as lsblk -r) */
};

static void group_rows(struct out *o, const struct ia_group *g)
{
	struct libscols_line *gl = scols_table_new_line(o->tb, NULL);
	char buf[4096];

	snprintf(buf, sizeof(buf), "%d", g->id);
	set(gl, o->idx[COL_GROUP], buf);
	set(gl, o->idx[COL_TYPE], g->type_text);
	buf[0] = '\0';
	for (int i = 0; i < g->nresv; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, sizeof(buf) - used, "%s%llx-%llx %s", i ? "," : "",
			 (unsigned long long)g->resv[i].start, (unsigned long long)g->resv[i].end,
			 g->resv[i].type);
	}
	set(gl, o->idx[COL_RESV], buf);
	for (int i = 0; i < g->ndevs; i++) {
		const struct ia_device *d = &g->devs[i];
		struct libscols_line *dl = scols_table_new_line(o->tb, o->flat ? NULL : gl);

		if (o->flat) {
			snprintf(buf, sizeof(buf), "%d", g->id);
			set(dl, o->idx[COL_GROUP], buf);
			set(dl, o->idx[COL_TYPE], g->type_text);
		}
		set(dl, o->idx[COL_DEVICE], d->addr);
		set(dl, o->idx[COL_CLASS], d->class_);
		if (d->vendor[0]) {
			snprintf(buf, sizeof(buf), "%s:%s", d->vendor, d->device);
			set(dl, o->idx[COL_ID], buf);
		}
		set(dl, o->idx[COL_DRIVER], d->driver);
		join(buf, sizeof(buf), &d->net);
		set(dl, o->idx[COL_NET], buf);
		join(buf, sizeof(buf), &d->block);
		set(dl, o->idx[COL_BLOCK], buf);
		set(dl, o->idx[COL_NAME], d->name);
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

	for (int i = 0; i < NCOLS; i++)
		o.idx[i] = -1;
	o.flat = op->raw && !op->json;
	if (!*p) {
		fprintf(stderr, "iommu-admin: --output: no columns given (see --help)\n");
		return EXIT_USAGE;
	}
	o.tb = scols_new_table();
	if (!o.tb) {
		fprintf(stderr, "iommu-admin: out of memory\n");
		return EXIT_FAILED;
	}
	/* Each comma starts a column: "GROUP," names an empty one. */
	for (bool more = true; more;) {
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
					    (pos == 0 && !o.flat ? SCOLS_FL_TREE : 0));
		if (!cl) {
			scols_unref_table(o.tb);
			return EXIT_FAILED;
		}
		if (c == COL_GROUP)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		o.idx[c] = pos++;
		more = p[len] == ',';
		p += len + more;
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
		char name[PATH_MAX];
		int g = resolve_target(&m, target_name(&m, op->sysroot, target, name, sizeof(name)),
				       why, sizeof(why));

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

struct invocation {
	const struct command *cmd;
	struct opts read;
	struct set_opts change;
	const char *udev_dev;
};

static int run_read_side(struct invocation *inv, char **args)
{
	return read_side(&inv->read, inv->cmd->name, args[0]);
}

static int run_set_type(struct invocation *inv, char **args)
{
	return cmd_set_type(&inv->change, args[0], args[1]);
}

static int run_explain(struct invocation *inv, char **args)
{
	return cmd_explain(&inv->change, args[0], args[1]);
}

static int run_recover(struct invocation *inv, char **args __attribute__((unused)))
{
	return cmd_recover(&inv->change);
}

static int run_apply(struct invocation *inv, char **args __attribute__((unused)))
{
	/* From udev, only what went wrong: its log is the journal's. */
	inv->change.quiet |= inv->udev_dev != NULL;
	return cmd_apply(&inv->change, inv->udev_dev);
}

static int run_unpersist(struct invocation *inv, char **args)
{
	return cmd_unpersist(&inv->change, args[0]);
}

static int run_list_persisted(struct invocation *inv, char **args __attribute__((unused)))
{
	return cmd_list_persisted(&inv->change);
}

/* getopt_long's tables, made from options[]. */
static void getopt_tables(struct option *longopts, char *shortopts)
{
	size_t n = 0;

	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i] = (struct option){ options[i].long_name,
					       !options[i].arg ? no_argument :
					       options[i].arg_optional ? optional_argument :
					       required_argument, NULL, options[i].id };
		if (options[i].short_name) {
			shortopts[n++] = options[i].short_name;
			if (options[i].arg)
				shortopts[n++] = ':';
		}
	}
	longopts[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[n] = '\0';
}

/* "30" -> 30; 1 to a day, digits only. 0, or -1 for anything else. */
static int parse_seconds(const char *s, int *out)
{
	long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 86400)
		return -1;
	*out = (int)v;
	return 0;
}

static const struct option_def *option_by_id(int id)
{
	for (size_t i = 0; i < NOPTS; i++)
		if ((int)options[i].id == id ||
		    (options[i].short_name && options[i].short_name == id))
			return &options[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 1], names[128];
	struct invocation inv = { .read.sysroot = "/",
				  .change = { .sysroot = "/", .root = "/" } };
	const struct option_def *given[NOPTS];
	size_t ngiven = 0;
	int c, nargs;

	/* The bash completion asks the tables here (hidden: not a command). */
	if (argc >= 2 && !strcmp(argv[1], "__complete"))
		return complete(argc - 2, argv + 2);
	getopt_tables(longopts, shortopts);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_def *o = option_by_id(c);

		if (!o) {
			usage(stderr);
			return EXIT_USAGE;
		}
		if (ngiven < NOPTS)
			given[ngiven++] = o;
		switch (o->id) {
		case OPT_JSON: inv.read.json = inv.change.json = true; break;
		case OPT_RAW: inv.read.raw = inv.change.raw = true; break;
		case OPT_NOHEADINGS: inv.read.noheadings = inv.change.noheadings = true; break;
		case OPT_OUTPUT: inv.read.output = optarg; break;
		case OPT_SYSROOT: inv.read.sysroot = inv.change.sysroot = optarg; break;
		case OPT_YES: inv.change.yes = true; break;
		case OPT_FORCE: inv.change.force = true; break;
		case OPT_DRY_RUN: inv.change.dry_run = true; break;
		case OPT_WAIT:
			inv.change.wait = true;
			if (optarg && parse_seconds(optarg, &inv.change.wait_limit_s)) {
				fprintf(stderr, "iommu-admin: --wait=%s: not a number of seconds "
					"from 1 to 86400\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_PERSIST: inv.change.persist = true; break;
		case OPT_ROOT: inv.change.root = optarg; break;
		case OPT_UDEV: inv.udev_dev = optarg; break;
		case OPT_DISCARD: inv.change.discard = true; break;
		case OPT_QUIET: inv.change.quiet = true; break;
		case OPT_HELP: usage(stdout); return EXIT_DONE;
		case OPT_VERSION: printf("iommu-admin %s\n", IA_VERSION); return EXIT_DONE;
		}
	}
	names[0] = '\0';
	for (int i = 0; i < NCMDS; i++) {
		size_t used = strlen(names);

		snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
			 commands[i].name);
	}
	if (optind >= argc) {
		fprintf(stderr, "iommu-admin: no command (%s)\n", names);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 0; i < NCMDS; i++)
		if (!strcmp(argv[optind], commands[i].name))
			inv.cmd = &commands[i];
	if (!inv.cmd) {
		fprintf(stderr, "iommu-admin: unknown command '%s' (%s)\n", argv[optind], names);
		return EXIT_USAGE;
	}
	nargs = argc - optind - 1;
	if (nargs != inv.cmd->nargs) {
		if (inv.cmd->nargs)
			fprintf(stderr, "iommu-admin: %s needs %s\n", inv.cmd->name, inv.cmd->args);
		else
			fprintf(stderr, "iommu-admin: %s takes no argument\n", inv.cmd->name);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ngiven; i++) {
		if (given[i]->only_there && !(given[i]->commands & FOR(inv.cmd - commands))) {
			commands_of(names, sizeof(names), given[i]->commands);
			fprintf(stderr, "iommu-admin: --%s is one of %s's options\n",
				given[i]->long_name, names);
			return EXIT_USAGE;
		}
	}
	if (inv.change.dry_run && inv.change.persist) {
		fprintf(stderr, "iommu-admin: --dry-run changes nothing, --persist records a change: "
			"not both\n");
		return EXIT_USAGE;
	}
	return inv.cmd->run(&inv, argv + optind + 1);
}
