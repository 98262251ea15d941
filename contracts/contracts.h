/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract tables (the .def files here) for userspace C: the selftests and
 * iommu-admin look rules, codes, knobs and type answers up here and write
 * none of them down themselves. The kernel modules include the .def files
 * directly.
 */
#ifndef ICONF_CONTRACTS_H
#define ICONF_CONTRACTS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* ---- the attach contract ---- */

#define CONTRACT_ROWS(table) (sizeof(table) / sizeof((table)[0]))

/* 0, or a code the contract lists (any other is discouraged: rule F). */
static inline bool attach_code_listed(int neg)
{
	static const struct { int code; } listed[] = {
		{ 0 },
#define ATTACH_CODE(code, meaning, kind) { -code },
#include "attach_rules.def"
	};

	for (size_t i = 0; i < CONTRACT_ROWS(listed); i++)
		if (neg == listed[i].code)
			return true;
	return false;
}

/* "0 EINVAL ENOMEM ...": the table, for messages. */
static inline const char *attach_codes_text(void)
{
#define ATTACH_CODE(code, meaning, kind) " " #code
	return "0"
#include "attach_rules.def"
		;
}

static inline const char *attach_rule_text(char letter)
{
	static const struct { char letter; const char *text; } rules[] = {
#define ATTACH_RULE(l, text) { #l[0], text },
#include "attach_rules.def"
	};

	for (size_t i = 0; i < CONTRACT_ROWS(rules); i++)
		if (rules[i].letter == letter)
			return rules[i].text;
	return NULL;
}

/* The rule letter an iommu_attach check checks; 0 for none. */
static inline char attach_rule_of(const char *fixture, const char *test)
{
	static const struct { const char *fixture, *test; char rule; } checks[] = {
#define ATTACH_CHECK(f, t, rule) { #f, #t, #rule[0] },
#define ATTACH_PROVOKED(t, how, rule) { "attach", #t, #rule[0] },
#include "attach_checks.def"
	};

	for (size_t i = 0; i < CONTRACT_ROWS(checks); i++)
		if (!strcmp(checks[i].fixture, fixture) && !strcmp(checks[i].test, test))
			return checks[i].rule;
	return 0;
}

/* ---- the mock IOMMU's knobs ---- */

struct mock_knob {
	const char *name;
	const char *rules;	/* "A F": the rules whose checks must catch it */
	const char *imitates;
};

/* The table, indexed by enum iconf_mock_knob (the uapi's order is its order). */
static inline const struct mock_knob *mock_knob_table(size_t *rows)
{
	static const struct mock_knob knobs[] = {
#define MOCK_KNOB(name, rules, imitates) { #name, rules, imitates },
#include "mock_knobs.def"
	};

	*rows = CONTRACT_ROWS(knobs);
	return knobs;
}

/* ---- the sysfs type rules ---- */

enum type_profile {
#define TYPE_PROFILE(column, name, major, minor) TYPE_PROFILE_##column,
#include "type_rules.def"
	TYPE_PROFILES
};

/* A cell no kernel of its column was run or read for. */
#define TYPE_ANSWER_UNVERIFIED 1

static inline const char *type_profile_name(enum type_profile p)
{
	static const struct { const char *name; } names[] = {
#define TYPE_PROFILE(column, name, major, minor) { name },
#include "type_rules.def"
	};

	return p < TYPE_PROFILES ? names[p].name : NULL;
}

/* The column of kernel major.minor: the last that starts at or below it. */
static inline enum type_profile type_profile_of(int major, int minor)
{
	static const struct { int major, minor; } starts[] = {
#define TYPE_PROFILE(column, name, maj, min) { maj, min },
#include "type_rules.def"
	};
	enum type_profile p = 0;

	for (int i = 0; i < TYPE_PROFILES; i++)
		if (major > starts[i].major ||
		    (major == starts[i].major && minor >= starts[i].minor))
			p = i;
	return p;
}

/* TYPE_PROFILES when @name is no column. */
static inline enum type_profile type_profile_by_name(const char *name)
{
	for (int i = 0; i < TYPE_PROFILES; i++)
		if (!strcmp(name, type_profile_name(i)))
			return i;
	return TYPE_PROFILES;
}

/*
 * What the write of @row answers under @p: 0 or -errno;
 * TYPE_ANSWER_UNVERIFIED; or -ENOENT wrapped as 2 when there is no such
 * row (a caller's mistake, never a kernel's answer).
 */
#define TYPE_ANSWER_NO_ROW 2
static inline int type_answer(const char *row, enum type_profile p)
{
#define UNVERIFIED (-1)
	static const struct { const char *row; int answer[TYPE_PROFILES]; } rules[] = {
#define TYPE_RULE(row, ...) { #row, { __VA_ARGS__ } },
#include "type_rules.def"
	};
#undef UNVERIFIED

	for (size_t i = 0; i < CONTRACT_ROWS(rules); i++) {
		int a;

		if (strcmp(rules[i].row, row) || p >= TYPE_PROFILES)
			continue;
		a = rules[i].answer[p];
		return a < 0 ? TYPE_ANSWER_UNVERIFIED : -a;
	}
	return TYPE_ANSWER_NO_ROW;
}

/* ---- kernels some tests do not survive ---- */

enum kernel_hazard_id {
#define KERNEL_HAZARD(name, driver, fmaj, fmin, tmaj, tmin, unsafe, why) HAZARD_##name,
#include "kernel_hazards.def"
	HAZARD_COUNT
};

struct kernel_hazard {
	const char *name, *driver;
	int from_major, from_minor, to_major, to_minor;
	const char *unsafe;	/* the variable that runs the test anyway */
	const char *why;
};

/* @id's row if it applies to kernel @major.@minor with IOMMU driver @driver, else NULL. */
static inline const struct kernel_hazard *kernel_hazard_at(enum kernel_hazard_id id,
							 const char *driver, int major, int minor)
{
	static const struct kernel_hazard table[] = {
#define KERNEL_HAZARD(name, drv, fmaj, fmin, tmaj, tmin, unsafe, why) \
		{ #name, drv, fmaj, fmin, tmaj, tmin, #unsafe, why },
#include "kernel_hazards.def"
	};
	const struct kernel_hazard *h = &table[id];
	int v = major * 1000 + minor;

	if (h->driver[0] && strcmp(h->driver, driver))
		return NULL;
	if (v < h->from_major * 1000 + h->from_minor || v >= h->to_major * 1000 + h->to_minor)
		return NULL;
	return h;
}

#endif
