// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsers: anything the kernel would not print, or a user could
 * not mean, is refused rather than guessed at.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static bool hexn(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int parse_pci_addr(const char *s, char out[13])
{
	size_t n = strlen(s);
	const char *bdf = s;
	char dom[5] = "0000";

	if (n == 12) {
		if (!hexn(s, 4) || s[4] != ':')
			return -1;
		memcpy(dom, s, 4);
		bdf = s + 5;
	} else if (n != 7) {
		return -1;
	}
	/* bb:dd.f, device at most 0x1f, function at most 7 */
	if (!hexn(bdf, 2) || bdf[2] != ':' || !hexn(bdf + 3, 2) || bdf[5] != '.' ||
	    bdf[6] < '0' || bdf[6] > '7' || strtoul((char[]){ bdf[3], bdf[4], 0 }, NULL, 16) > 0x1f)
		return -1;
	for (int i = 0; i < 4; i++)
		out[i] = (char)tolower((unsigned char)dom[i]);
	out[4] = ':';
	for (int i = 0; i < 7; i++)
		out[5 + i] = (char)tolower((unsigned char)bdf[i]);
	out[12] = '\0';
	return 0;
}

bool looks_like_pci_addr(const char *s)
{
	return strchr(s, ':') && strchr(s, '.') && strlen(s) <= 16;
}

int parse_group_number(const char *s, int *out)
{
	char *end;
	long v;

	if (!*s || !isdigit((unsigned char)*s) || (s[0] == '0' && s[1]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}
