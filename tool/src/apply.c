// SPDX-License-Identifier: GPL-2.0
/*
 * The persistence commands: apply (what the boot hooks call),
 * unpersist, list-persisted. apply makes each change with set-type's
 * checks (no --force: a boot hook must not take a host's network away).
 */
#include <libsmartcols.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "change.h"
#include "model.h"
#include "persist.h"
#include "target.h"
#include "util.h"

/* The group holding device @addr, or NULL. */
static const struct ia_group *group_of(const struct ia_model *m, const char *addr)
{
	for (int i = 0; i < m->ngroups; i++)
		for (int k = 0; k < m->groups[i].ndevs; k++)
			if (!strcmp(m->groups[i].devs[k].addr, addr))
				return &m->groups[i];
	return NULL;
}

int cmd_apply(const struct set_opts *o, const char *only)
{
	struct set_opts so = *o;
	struct outcome oc;
	struct ia_model m;
	struct wishes w;
	char why[512];
	int worst = EXIT_DONE, done[P_MAX] = { 0 }, ndone = 0;

	/* With -J: one row per entry here; each change's own table is not printed. */
	outcome_begin(o, &oc, "apply");
	if (wishes_load(o->root, &w, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "config", "-", "unreadable", "%s", why);
		return outcome_end(&oc, EXIT_FAILED);
	}
	if (ia_load(o->sysroot, &m, why, sizeof(why))) {
		/* No IOMMU groups at all: nothing a wish can apply to. */
		outcome_row(&oc, "groups", "-", only ? "none" : "unreadable", "%s", why);
		if (only)
			return outcome_end(&oc, EXIT_DONE);
		fprintf(stderr, "iommu-admin: %s\n", why);
		return outcome_end(&oc, EXIT_FAILED);
	}
	so.yes = true;
	so.wait = true;
	so.force = false;
	so.persist = false;
	so.json = so.raw = so.noheadings = false;
	for (int i = 0; i < w.n; i++) {
		const struct ia_group *g;
		int ret, seen = 0;

		if (only && strcmp(only, w.v[i].addr))
			continue;
		g = group_of(&m, w.v[i].addr);
		if (!g) {
			if (!o->quiet)
				printf("iommu-admin: %s: not present, %s not applied\n", w.v[i].addr,
				       group_type_name(w.v[i].type));
			outcome_row(&oc, "entry", w.v[i].addr, "absent", "not present, %s not applied",
				    group_type_name(w.v[i].type));
			continue;
		}
		for (int k = 0; k < ndone; k++)
			seen |= done[k] == g->id;
		if (seen || g->type == w.v[i].type) {
			outcome_row(&oc, "entry", w.v[i].addr, "in place", "group %d is %s", g->id,
				    seen ? "handled by an entry above" : g->type_text);
			continue;
		}
		/*
		 * An auto entry (written by hand, or by a version that recorded
		 * them): the kernel chose the group's type at boot, which is
		 * what auto asks for; writing it would only unbind and rebind.
		 */
		if (w.v[i].type == GROUP_TYPE_AUTO) {
			if (!o->quiet)
				printf("iommu-admin: %s: auto is the kernel's own choice, made at boot: "
				       "nothing to apply (unpersist drops the entry)\n", w.v[i].addr);
			outcome_row(&oc, "entry", w.v[i].addr, "auto", "the kernel's own choice, made "
				    "at boot: nothing to apply");
			continue;
		}
		done[ndone++] = g->id;
		ret = cmd_set_type(&so, w.v[i].addr, group_type_name(w.v[i].type));
		outcome_row(&oc, "entry", w.v[i].addr, ret ? "not applied" : "applied",
			    "group %d: %s -> %s, set-type exit %d", g->id, g->type_text,
			    group_type_name(w.v[i].type), ret);
		if (ret > worst)
			worst = ret;
	}
	ia_free(&m);
	return outcome_end(&oc, worst);
}

int cmd_unpersist(const struct set_opts *o, const char *target)
{
	struct outcome oc;
	struct ia_model m;
	struct wishes w;
	char why[512];
	int dropped = 0;

	outcome_begin(o, &oc, "unpersist");
	if (wishes_load(o->root, &w, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "config", "-", "unreadable", "%s", why);
		return outcome_end(&oc, EXIT_FAILED);
	}
	/* A wish for a device that is gone can still be dropped by its name. */
	dropped = wishes_drop(&w, target);
	if (!ia_load(o->sysroot, &m, why, sizeof(why))) {
		char name[PATH_MAX];
		int gi = resolve_target(&m, target_name(&m, o->sysroot, target, name, sizeof(name)),
					why, sizeof(why));

		for (int k = 0; gi >= 0 && k < m.groups[gi].ndevs; k++)
			dropped += wishes_drop(&w, m.groups[gi].devs[k].addr);
		ia_free(&m);
	}
	if (!dropped) {
		fprintf(stderr, "iommu-admin: no persisted type for '%s' (list-persisted shows "
			"them)\n", target);
		outcome_row(&oc, "entry", target, "none", "no persisted type for it");
		return outcome_end(&oc, EXIT_USAGE);
	}
	if (wishes_save(o->root, &w, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "config", "-", "failed", "%s", why);
		return outcome_end(&oc, EXIT_FAILED);
	}
	if (!o->quiet)
		printf("iommu-admin: dropped %d persisted entr%s; the current types are "
		       "unchanged\n", dropped, dropped == 1 ? "y" : "ies");
	outcome_row(&oc, "entry", target, "dropped", "%d persisted entr%s dropped; the current "
		    "types are unchanged", dropped, dropped == 1 ? "y" : "ies");
	return outcome_end(&oc, EXIT_DONE);
}

int cmd_list_persisted(const struct set_opts *o)
{
	struct libscols_table *tb;
	struct ia_model m;
	struct wishes w;
	char why[512];
	bool have_model;

	if (wishes_load(o->root, &w, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		return EXIT_FAILED;
	}
	have_model = !ia_load(o->sysroot, &m, why, sizeof(why));
	tb = scols_new_table();
	if (!tb)
		return EXIT_FAILED;
	scols_table_new_column(tb, "DEVICE", 12, 0);
	scols_table_new_column(tb, "TYPE", 8, 0);
	scols_table_new_column(tb, "GROUP", 5, 0);
	scols_table_new_column(tb, "NOW", 8, 0);
	scols_table_enable_json(tb, o->json);
	scols_table_enable_raw(tb, o->raw);
	scols_table_enable_noheadings(tb, o->noheadings);
	scols_table_set_name(tb, "persisted");
	for (int i = 0; i < w.n; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		const struct ia_group *g = have_model ? group_of(&m, w.v[i].addr) : NULL;
		char num[16];

		if (!ln)
			break;
		scols_line_set_data(ln, 0, w.v[i].addr);
		scols_line_set_data(ln, 1, group_type_name(w.v[i].type));
		snprintf(num, sizeof(num), "%d", g ? g->id : -1);
		scols_line_set_data(ln, 2, g ? num : "-");
		scols_line_set_data(ln, 3, g ? g->type_text : "absent");
	}
	scols_print_table(tb);
	scols_unref_table(tb);
	if (have_model)
		ia_free(&m);
	return EXIT_DONE;
}
