// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
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
 * A WARN, either form: "WARNING: CPU: 0 PID: 1 at f.c:1 fn" (up to 6.x) or
 * "WARNING: f.c:1 at fn+0x1/0x2, CPU#0: comm/1" (today's). Not a notice
 * that merely says "WARNING: See ..." (the CPU mitigation lines).
 */
static bool is_warn(const char *text)
{
	const char *w = strstr(text, "WARNING: ");
	const char *sp;

	if (!w)
		return false;
	w += strlen("WARNING: ");
	if (!strncmp(w, "CPU: ", 5))
		return true;
	sp = strchr(w, ' ');
	return sp && memchr(w, ':', sp - w) && !strncmp(sp, " at ", 4) && strstr(sp, ", CPU#");
}

bool kmsg_is_splat(const char *text)
{
	static const char *const marks[] = {
		"BUG:", "Oops", "kernel BUG at", "Call Trace:",
		"general protection fault", "KASAN:", "UBSAN:",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "INFO: task ", "Kernel panic",
		"list_add corruption", "list_del corruption",
	};

	if (is_warn(text))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (strstr(text, marks[i]))
			return true;
	return false;
}
