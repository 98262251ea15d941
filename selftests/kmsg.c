// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "kmsg.h"

int kmsg_open(bool from_start)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (!from_start && lseek(fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int kmsg_next(int fd, struct kmsg_rec *r)
{
	char buf[8192];
	unsigned int prefix;
	char *semi, *nl;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf) - 1);
		/* EPIPE: records were overwritten under us; carry on after them. */
		if (n < 0 && errno == EPIPE)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		break;
	}
	buf[n] = '\0';
	if (sscanf(buf, "%u,%llu,%llu", &prefix, &r->seq, &r->usec) != 3)
		return -EPROTO;
	r->prio = prefix & 7;
	semi = strchr(buf, ';');
	if (!semi)
		return -EPROTO;
	nl = strchr(semi + 1, '\n');
	if (nl)
		*nl = '\0';
	snprintf(r->text, sizeof(r->text), "%s", semi + 1);
	return 1;
}

/*
 * The kernel's reports of its own bugs: contracts/kernel_log.def, which the
 * gate's console scanner reads too. Compiled once, on first use.
 */
static const char *const report_patterns[] = {
#define KERNEL_REPORT(kind, pattern) pattern,
#define KERNEL_REPORT_PART(pattern) pattern,
#include "kernel_log.def"
};

bool kmsg_is_splat(const char *text)
{
	static regex_t compiled[ARRAY_SIZE(report_patterns)];
	static int ready;	/* 1 compiled, -1 a pattern did not compile */

	if (!ready) {
		ready = 1;
		for (size_t i = 0; i < ARRAY_SIZE(report_patterns); i++)
			if (regcomp(&compiled[i], report_patterns[i], REG_EXTENDED | REG_NOSUB))
				ready = -1;
	}
	if (ready < 0)
		return true;	/* no table to judge by: fail loudly, not silently pass */
	for (size_t i = 0; i < ARRAY_SIZE(report_patterns); i++)
		if (!regexec(&compiled[i], text, 0, NULL, 0))
			return true;
	return false;
}

bool kmsg_names_iova(const char *text, unsigned long long iova)
{
	char hex[24];
	int len = snprintf(hex, sizeof(hex), "%llx", iova);

	for (const char *p = text; (p = strcasestr(p, hex)); p++) {
		const char *start = p;

		/* Leading zeros belong to the number. */
		while (start > text && start[-1] == '0')
			start--;
		if ((start == text || !isxdigit((unsigned char)start[-1])) &&
		    !isxdigit((unsigned char)p[len]))
			return true;
	}
	return false;
}
