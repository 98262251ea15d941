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

bool kmsg_is_splat(const char *text)
{
	static const char *const marks[] = {
		"WARNING:", "BUG:", "Oops", "kernel BUG at", "Call Trace:",
		"general protection fault", "KASAN:", "UBSAN:",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "INFO: task ", "Kernel panic",
		"list_add corruption", "list_del corruption",
	};

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (strstr(text, marks[i]))
			return true;
	return false;
}
