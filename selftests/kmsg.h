/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the kernel log through /dev/kmsg, so a test can report exactly
 * which lines the kernel printed while it ran.
 */
#ifndef ICONF_KMSG_H
#define ICONF_KMSG_H

#include <stdbool.h>

struct kmsg_rec {
	int prio;			/* syslog level, 0 (emerg) .. 7 (debug) */
	unsigned long long seq;
	unsigned long long usec;	/* since boot */
	char text[1024];		/* first line of the record, no newline */
};

/* Open /dev/kmsg positioned after the newest record (or at the oldest). */
int kmsg_open(bool from_start);
/* 1: a record was read into @r; 0: no more records; <0: -errno. */
int kmsg_next(int fd, struct kmsg_rec *r);
/* Lines that mean the kernel found a bug in itself (WARN, BUG, oops...). */
bool kmsg_is_splat(const char *text);
/*
 * Whether @text names @iova as a hex number of its own, however a driver
 * spells it: "address=0x12b000", "iova: 0x0012b000", "iotval: 12b000".
 */
bool kmsg_names_iova(const char *text, unsigned long long iova);

#endif
