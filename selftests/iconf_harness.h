/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kselftest harness's main with one addition: "--list" prints every
 * test the program declares, one per line, named as its results name them
 * (FIXTURE.TEST or FIXTURE.VARIANT.TEST), and runs none. The report needs
 * the names of tests a dying guest never reached; the v6.1 harness cannot
 * list (its -l came later, with another output), so the programs do it
 * themselves from the harness's own registry. Include it after
 * kselftest_harness.h, in place of TEST_HARNESS_MAIN: it is the program's
 * main().
 */
#ifndef ICONF_HARNESS_H
#define ICONF_HARNESS_H

#include <stdio.h>
#include <string.h>

static int iconf_list_tests(void)
{
	struct __fixture_variant_metadata no_variant = { .name = "" };

	for (struct __fixture_metadata *f = __fixture_list; f; f = f->next)
		for (struct __fixture_variant_metadata *v = f->variant ?: &no_variant; v;
		     v = v->next)
			for (struct __test_metadata *t = f->tests; t; t = t->next)
				printf("%s%s%s.%s\n", f->name, v->name[0] ? "." : "",
				       v->name, t->name);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list"))
		return iconf_list_tests();
	return test_harness_run(argc, argv);
}

#endif
