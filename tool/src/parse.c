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

/* "0x" then exactly 16 hex digits, as the kernel's %016llx prints it. */
static const char *hex64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int i;

	if (s[0] != '0' || s[1] != 'x')
		return NULL;
	s += 2;
	for (i = 0; i < 16; i++) {
		int c = (unsigned char)s[i];

		if (!isxdigit(c))
			return NULL;
		x = x << 4 | (uint64_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*v = x;
	return s + 16;
}

int parse_resv_line(const char *line, struct resv_region *r)
{
	const char *p = hex64(line, &r->start);
	size_t n;

	if (!p || *p++ != ' ')
		return -1;
	p = hex64(p, &r->end);
	if (!p || *p++ != ' ' || r->start > r->end)
		return -1;
	n = strcspn(p, "\n");
	if (n == 0 || n >= sizeof(r->type) || (p[n] == '\n' && p[n + 1]))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)p[i]) && p[i] != '-')
			return -1;
	memcpy(r->type, p, n);
	r->type[n] = '\0';
	return 0;
}

static const struct {
	enum group_type t;
	const char *name;
	bool sysfs;	/* the kernel prints it */
	bool user;	/* set-type takes it */
} types[] = {
	{ TYPE_IDENTITY, "identity", true, true },
	{ TYPE_DMA, "DMA", true, true },
	{ TYPE_DMA_FQ, "DMA-FQ", true, true },
	{ TYPE_BLOCKED, "blocked", true, false },
	{ TYPE_AUTO, "auto", false, true },
};

enum group_type parse_type(const char *s, bool user)
{
	size_t n = strcspn(s, "\n");

	if (s[n] == '\n' && s[n + 1])
		return TYPE_UNKNOWN;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((user ? types[i].user : types[i].sysfs) &&
		    strlen(types[i].name) == n && !strncmp(s, types[i].name, n))
			return types[i].t;
	return TYPE_UNKNOWN;
}

const char *type_name(enum group_type t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].t == t)
			return types[i].name;
	return "unknown";
}

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
