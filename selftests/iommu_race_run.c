// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_race_run: one ICONF_RACE scenario, for the race meta-test and
 * bench/faults (the harness runs every test; these need one, many times).
 *
 *   iommu_race_run DEVICE SCENARIO [-t THREADS] [-m MS] [-s] [-f]
 *
 * DEVICE is a PCI address or a mock IOMMU device; -s stops at the first
 * violation; -f answers page requests from a thread of their own
 * (ICONF_RACE_FOREIGN_RESPONSE). Prints one "key=value ..." line, then the counters.
 * Exit: 0 no violation, 1 violations, 2 usage or setup error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iconf_test.h"
#include "race_client.h"

static int usage(const char *msg)
{
	fprintf(stderr, "iommu_race_run: %s\nusage: iommu_race_run DEVICE SCENARIO [-t THREADS] [-m MS] [-s] [-f]\n",
		msg);
	return 2;
}

static int parse_count(const char *opt, const char *s, unsigned int max, unsigned int *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || n == 0 || n > max) {
		fprintf(stderr, "iommu_race_run: %s %s: want a whole number from 1 to %u\n",
			opt, s, max);
		return -1;
	}
	*v = n;
	return 0;
}

/* A fresh domain attached to the device, for the domain scenarios. */
static int domain_for(int fd, unsigned int dev, unsigned int *dom)
{
	int ret = _iconf_domain_alloc(fd, dev, dom);

	if (ret) {
		fprintf(stderr, "iommu_race_run: domain alloc: %s\n", errno_name(ret));
		return -1;
	}
	ret = _iconf_attach(fd, dev, *dom, ICONF_HOW_DEVICE);
	if (ret) {
		fprintf(stderr, "iommu_race_run: attach: %s\n", errno_name(ret));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct iconf_dev_get g = { .size = sizeof(g) };
	struct iconf_race a = { 0 };
	unsigned int scenario, dom = 0;
	char why[200] = "";
	int opt, fd, ret;

	a.threads = 2;
	a.duration_ms = 1000;
	while ((opt = getopt(argc, argv, "t:m:sf")) != -1) {
		switch (opt) {
		case 't':
			if (parse_count("-t", optarg, ICONF_RACE_MAX_THREADS, &a.threads))
				return 2;
			break;
		case 'm':
			if (parse_count("-m", optarg, ICONF_RACE_MAX_MS, &a.duration_ms))
				return 2;
			break;
		case 's':
			a.flags |= ICONF_RACE_STOP_AT_VIOLATION;
			break;
		case 'f':
			a.flags |= ICONF_RACE_FOREIGN_RESPONSE;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (argc - optind != 2)
		return usage("want DEVICE and SCENARIO");
	scenario = race_scenario(argv[optind + 1]);
	if (!scenario)
		return usage("SCENARIO: one of dev_contract, dev_stress, dom_contract, dom_stress, iopf_contract, iopf_stress");
	if (strlen(argv[optind]) >= sizeof(g.name))
		return usage("DEVICE: name too long");
	fd = iconf_open(why, sizeof(why));
	if (fd < 0) {
		fprintf(stderr, "iommu_race_run: %s\n", why);
		return 2;
	}
	ret = _iconf_dev_get(fd, argv[optind], &g);
	if (ret) {
		fprintf(stderr, "iommu_race_run: %s: %s\n", g.name, errno_name(ret));
		return 2;
	}
	if ((scenario == ICONF_RACE_DOM_CONTRACT || scenario == ICONF_RACE_DOM_STRESS) &&
	    domain_for(fd, g.dev_id, &dom))
		return 2;
	a.dev_id = g.dev_id;
	a.dom_id = dom;
	a.scenario = scenario;
	ret = race_call(fd, &a);
	if (ret) {
		fprintf(stderr, "iommu_race_run: ICONF_RACE: %s\n", errno_name(ret));
		return 2;
	}
	if (a.result) {
		fprintf(stderr, "iommu_race_run: scenario %s: %s\n", argv[optind + 1],
			errno_name(a.result));
		race_print(stderr, "  ", &a);
		return 2;
	}
	printf("scenario=%s elapsed_ns=%llu ops=%llu violations=%llu first_violation_ns=%llu\n",
	       argv[optind + 1], (unsigned long long)a.elapsed_ns, (unsigned long long)a.ops,
	       race_violations(&a), (unsigned long long)a.first_violation_ns);
	race_print(stdout, "  ", &a);
	close(fd);
	return race_violations(&a) ? 1 : 0;
}
