/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace side of ICONF_RACE: the scenario names, the invariants'
 * names, and the sizes a run takes from the environment.
 */
#ifndef RACE_CLIENT_H
#define RACE_CLIENT_H

#include <stdio.h>

#include "uapi/iommu_conformance.h"

/* Sizes of a stress run: threads, milliseconds, iterations per thread. */
struct race_size {
	unsigned int threads;
	unsigned int ms;
	unsigned long long iterations;
};

/*
 * IOMMU_RACE_THREADS, IOMMU_RACE_MS, IOMMU_RACE_ITERATIONS, or with
 * STRESS=long an hour a scenario. 0, or -1 with @why naming the bad value.
 */
int race_size_from_env(struct race_size *s, char *why, size_t whylen);

/* "dev_stress" -> ICONF_RACE_DEV_STRESS; 0 if unknown. */
unsigned int race_scenario(const char *name);
const char *race_scenario_name(unsigned int scenario);
/* "handler_after_unregister"... for ICONF_RV_*. */
const char *race_violation_name(unsigned int v);
/* "STEP name" for ICONF_RS_*. */
const char *race_step_name(unsigned int s);
/* The same, for the IOPF_CONTRACT scenario's steps (ICONF_RSI_*). */
const char *race_iopf_step_name(unsigned int s);
/* An ICONF_RSI_ANSWER() value in words, in @buf. */
const char *race_answer_text(int v, char *buf, size_t len);

/* Run @a (size, scenario, ids set by the caller) on @fd: 0 or -errno. */
int race_call(int fd, struct iconf_race *a);
/* One line of counters, and one per violation kind seen. */
void race_print(FILE *f, const char *prefix, const struct iconf_race *a);
unsigned long long race_violations(const struct iconf_race *a);

#endif
