// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int strf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

const char *safe_text(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	const char *p;

	for (p = s; *p && (unsigned char)*p >= ' ' && *p != 0x7f; p++)
		;
	if (!*p)
		return s;
	for (p = s; *p && o + 5 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < ' ' || c == 0x7f)
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int valid_dev_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n >= max || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s <= ' ' || *s > '~' || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

int next_line(const char *buf, size_t len, size_t *off, char *line, size_t linelen,
	      int need_newline, const char **err)
{
	const char *nl;
	size_t n;

	if (*off >= len)
		return 0;
	nl = memchr(buf + *off, '\n', len - *off);
	n = nl ? (size_t)(nl - (buf + *off)) : len - *off;
	if (!nl && need_newline) {
		*err = "no newline at the end (cut short?)";
		return -1;
	}
	if (n >= linelen) {
		*err = "too long";
		return -1;
	}
	memcpy(line, buf + *off, n);
	line[n] = '\0';
	*off += n + 1;
	if (memchr(line, '\0', n)) {
		*err = "NUL byte";
		return -1;
	}
	return 1;
}

