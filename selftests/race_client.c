// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "iconf_client.h"
#include "race_client.h"

static const char *const scenarios[] = {
	[ICONF_RACE_DEV_CONTRACT] = "dev_contract",
	[ICONF_RACE_DEV_STRESS] = "dev_stress",
	[ICONF_RACE_DOM_CONTRACT] = "dom_contract",
	[ICONF_RACE_DOM_STRESS] = "dom_stress",
	[ICONF_RACE_IOPF_CONTRACT] = "iopf_contract",
	[ICONF_RACE_IOPF_STRESS] = "iopf_stress",
};

static const char *const violations[ICONF_RV_NR] = {
	[ICONF_RV_AFTER_UNREG] = "handler_after_unregister",
	[ICONF_RV_RUNNING_AT_UNREG] = "unregister_while_handler_runs",
	[ICONF_RV_DOUBLE_REG] = "double_registration",
	[ICONF_RV_RETCODE] = "return_code",
	[ICONF_RV_PENDING] = "pending_requests",
	[ICONF_RV_REFCOUNT] = "device_refcount",
	[ICONF_RV_STALE_HANDLER] = "stale_domain_handler",
	[ICONF_RV_FAULT_ARGS] = "fault_data",
	[ICONF_RV_DEADLINE] = "deadlock",
};

static const char *const steps[ICONF_RS_NR] = {
	[ICONF_RS_REGISTER] = "register",
	[ICONF_RS_REGISTER_AGAIN] = "register_again",
	[ICONF_RS_REF_HELD] = "refcount_while_registered",
	[ICONF_RS_REPORT] = "report",
	[ICONF_RS_REPORT_PRQ] = "report_last_page_request",
	[ICONF_RS_UNREG_PENDING] = "unregister_with_request_pending",
	[ICONF_RS_RESPONSE] = "page_response",
	[ICONF_RS_UNREGISTER] = "unregister",
	[ICONF_RS_REF_AFTER] = "refcount_after_unregister",
	[ICONF_RS_REPORT_NONE] = "report_without_handler",
	[ICONF_RS_UNREG_NONE] = "unregister_without_handler",
};

static const char *const iopf_steps[ICONF_RS_NR] = {
	[ICONF_RSI_ATTACH] = "attach_with_handle",
	[ICONF_RSI_ATTACH_AGAIN] = "attach_with_handle_again",
	[ICONF_RSI_REF_HELD] = "refcount_while_attached",
	[ICONF_RSI_PARTIAL] = "report_partial_request",
	[ICONF_RSI_LAST] = "report_last_request",
	[ICONF_RSI_GROUP_FAULTS] = "faults_in_group",
	[ICONF_RSI_LEFT] = "report_group_left_to_core",
	[ICONF_RSI_DETACH_LEFT] = "answer_at_detach_for_group_left",
	[ICONF_RSI_DETACH_HELD] = "answer_at_detach_for_group_held",
	[ICONF_RSI_RESPONSE] = "answer_after_late_response",
	[ICONF_RSI_REPORT_NONE] = "report_with_nothing_attached",
	[ICONF_RSI_REF_AFTER] = "refcount_after_detach",
};

static int env_uint(const char *name, unsigned long long max, unsigned long long *v,
		    char *why, size_t whylen)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *s == '-' || *v == 0 || *v > max) {
		snprintf(why, whylen, "%s=%s: want a whole number from 1 to %llu",
			 name, s, max);
		return -1;
	}
	return 0;
}

int race_size_from_env(struct race_size *s, char *why, size_t whylen)
{
	const char *stress = getenv("STRESS");
	unsigned long long v;

	s->threads = 2;
	s->ms = 1500;
	s->iterations = 0;
	if (stress && *stress && strcmp(stress, "long") && strcmp(stress, "short")) {
		snprintf(why, whylen, "STRESS=%s: want long or short", stress);
		return -1;
	}
	if (stress && !strcmp(stress, "long"))
		s->ms = 3600 * 1000;
	v = s->threads;
	if (env_uint("IOMMU_RACE_THREADS", ICONF_RACE_MAX_THREADS, &v, why, whylen))
		return -1;
	s->threads = v;
	v = s->ms;
	if (env_uint("IOMMU_RACE_MS", ICONF_RACE_MAX_MS, &v, why, whylen))
		return -1;
	s->ms = v;
	v = 0;
	if (env_uint("IOMMU_RACE_ITERATIONS", ~0ULL, &v, why, whylen))
		return -1;
	s->iterations = v;
	return 0;
}

unsigned int race_scenario(const char *name)
{
	for (unsigned int i = 1; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(name, scenarios[i]))
			return i;
	return 0;
}

const char *race_scenario_name(unsigned int scenario)
{
	if (scenario < 1 || scenario >= ARRAY_SIZE(scenarios))
		return "?";
	return scenarios[scenario];
}

const char *race_violation_name(unsigned int v)
{
	return v < ICONF_RV_NR ? violations[v] : "?";
}

const char *race_step_name(unsigned int s)
{
	return s < ICONF_RS_NR && steps[s] ? steps[s] : "?";
}

const char *race_iopf_step_name(unsigned int s)
{
	return s < ICONF_RS_NR && iopf_steps[s] ? iopf_steps[s] : "?";
}

/* ICONF_RSI_ANSWER(count, code) in words: "1 answer, INVALID". */
const char *race_answer_text(int v, char *buf, size_t len)
{
	static const char *const codes[] = { "SUCCESS", "INVALID", "FAILURE" };
	unsigned int count = (unsigned int)v >> 8, code = v & 0xff;

	if (!count)
		snprintf(buf, len, "no answer");
	else
		snprintf(buf, len, "%u answer%s, last %s", count, count == 1 ? "" : "s",
			 code < ARRAY_SIZE(codes) ? codes[code] : "unknown code");
	return buf;
}

int race_call(int fd, struct iconf_race *a)
{
	a->size = sizeof(*a);
	return iconf_call(fd, ICONF_RACE, a);
}

unsigned long long race_violations(const struct iconf_race *a)
{
	unsigned long long n = 0;

	for (int i = 0; i < ICONF_RV_NR; i++)
		n += a->violations[i];
	return n;
}

void race_print(FILE *f, const char *prefix, const struct iconf_race *a)
{
	double s = a->elapsed_ns / 1e9;

	fprintf(f, "%s%s: %.2f s, %llu API calls (%.0f/s), %llu registrations, %llu -EBUSY, %llu reports, %llu handler calls, %llu without handler, %llu page requests, %llu responses (last %s), refcount %+lld\n",
		prefix, race_scenario_name(a->scenario), s,
		(unsigned long long)a->ops, s > 0 ? a->ops / s : 0.0,
		(unsigned long long)a->registered, (unsigned long long)a->busy,
		(unsigned long long)a->reports, (unsigned long long)a->handled,
		(unsigned long long)a->no_handler, (unsigned long long)a->page_requests,
		(unsigned long long)a->responses, errno_name(a->response_ret),
		(long long)a->ref_delta);
	for (int i = 0; i < ICONF_RV_NR; i++)
		if (a->violations[i])
			fprintf(f, "%sviolated %s: %u time(s)\n", prefix,
				race_violation_name(i), a->violations[i]);
	if (a->first_violation_ns)
		fprintf(f, "%sfirst after %.3f ms: %.*s\n", prefix, a->first_violation_ns / 1e6,
			(int)sizeof(a->detail), a->detail);
}
