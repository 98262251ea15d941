/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IA_UTIL_H
#define IA_UTIL_H

#include <stddef.h>

/*
 * snprintf() that says when it cut: -1 (and an empty @buf) for a path,
 * where a cut one would name another file; messages may ignore it. (Also
 * keeps -Wformat-truncation's guesses about call sites quiet, rightly.)
 */
int strf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * @s for a terminal: itself when it holds no control byte, else a copy in
 * @buf with each one as \xNN (as lsblk prints them). What sysfs and
 * netlink name (an interface may be named with escape sequences) is text
 * from whoever set it.
 */
const char *safe_text(const char *s, char *buf, size_t len);

/*
 * A device name as sysfs spells one, safe to put in a path and a line of
 * text: printable, no '/', white space, quote or backslash, not "." or
 * "..", shorter than @max.
 */
int valid_dev_name(const char *s, size_t max);

/*
 * The next line of @buf[0..@len) from *@off into @line, without its
 * newline: 1; 0 at the end; -1 with @err saying why (too long, a NUL
 * byte, or, with @need_newline, a last line cut short).
 */
int next_line(const char *buf, size_t len, size_t *off, char *line, size_t linelen,
	      int need_newline, const char **err);


#endif
