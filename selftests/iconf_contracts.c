// SPDX-License-Identifier: GPL-2.0
/*
 * iconf_contracts: the contract tables (../contracts, compiled in) for
 * the shell programs of the suite, so that no script keeps a copy.
 *
 *   iconf_contracts mutations   one line per mock knob that the mutation
 *                               test sets, in its order: NAME RULE...
 *   iconf_contracts rule-of     reads result names (FIXTURE.TEST or
 *                               FIXTURE.VARIANT.TEST) on stdin, prints
 *                               "NAME RULE" for each that checks a rule
 *   iconf_contracts hazards     reads "MAJOR.MINOR DRIVER" lines on stdin,
 *                               prints each with the hazards that apply
 *                               ("6.1 virtio fq_flush_iotlb_null ...")
 */
#include <stdio.h>
#include <string.h>

#include "contracts.h"

static int mutations(void)
{
	size_t n;
	const struct mock_knob *k = mock_knob_table(&n);

	for (size_t i = 0; i < n; i++)
		if (k[i].rules[0])
			printf("%s %s\n", k[i].name, k[i].rules);
	return 0;
}

static int rule_of(void)
{
	char line[512], fixture[128];
	const char *test;
	char rule;

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		test = strrchr(line, '.');
		if (!test || (size_t)(strchr(line, '.') - line) >= sizeof(fixture))
			continue;
		snprintf(fixture, sizeof(fixture), "%.*s", (int)(strchr(line, '.') - line), line);
		rule = attach_rule_of(fixture, test + 1);
		if (rule)
			printf("%s %c\n", line, rule);
	}
	return 0;
}

static int hazards(void)
{
	char line[256], driver[64];
	int major, minor, n;

	while (fgets(line, sizeof(line), stdin)) {
		n = sscanf(line, "%d.%d %63s", &major, &minor, driver);
		if (n < 2)
			continue;
		if (n == 2)
			driver[0] = '\0';
		printf("%d.%d %s", major, minor, driver[0] ? driver : "-");
		for (int id = 0; id < HAZARD_COUNT; id++) {
			const struct kernel_hazard *h = kernel_hazard_at(id, driver, major, minor);

			if (h)
				printf(" %s", h->name);
		}
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "mutations"))
		return mutations();
	if (argc == 2 && !strcmp(argv[1], "rule-of"))
		return rule_of();
	if (argc == 2 && !strcmp(argv[1], "hazards"))
		return hazards();
	fprintf(stderr, "usage: %s mutations | rule-of < names | hazards < kernels\n", argv[0]);
	return 2;
}
