// SPDX-License-Identifier: GPL-2.0
/*
 * The persisted wishes, applied at boot by the shipped hooks (tool/hooks:
 * a udev rule for devices that appear, a unit for those there before
 * udev's coldplug), as driverctl does for driver overrides: one file per
 * machine under /etc, written whole to a temporary name and renamed, so a
 * crash leaves the old or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"
#include "util.h"

#define CONF "/etc/iommu-admin/types.conf"

int wishes_parse(const char *buf, size_t len, struct wishes *w, char *why, size_t whylen)
{
	size_t off = 0;
	int lineno = 0;

	memset(w, 0, sizeof(*w));
	for (;;) {
		char line[256], addr[256], type[256], extra[2];
		const char *err;
		enum group_type t;
		int k = next_line(buf, len, &off, line, sizeof(line), 0, &err);

		if (!k)
			break;
		lineno++;
		if (k < 0) {
			snprintf(why, whylen, "line %d: %s", lineno, err);
			return -1;
		}
		line[strcspn(line, "#")] = '\0';
		k = sscanf(line, "%255s %255s %1s", addr, type, extra);
		if (k <= 0)
			continue;
		t = k == 2 ? group_type_parse(type, true) : GROUP_TYPE_UNKNOWN;
		if (k != 2 || !valid_dev_name(addr, sizeof(w->v[0].addr)) || t == GROUP_TYPE_UNKNOWN || t == GROUP_TYPE_BLOCKED) {
			snprintf(why, whylen, "line %d: want DEVICE TYPE (identity, DMA, DMA-FQ, "
				 "auto)", lineno);
			return -1;
		}
		for (int i = 0; i < w->n; i++) {
			if (!strcmp(w->v[i].addr, addr)) {
				snprintf(why, whylen, "line %d: %s listed twice", lineno, addr);
				return -1;
			}
		}
		if (w->n == P_MAX) {
			snprintf(why, whylen, "line %d: more than %d devices", lineno, P_MAX);
			return -1;
		}
		strcpy(w->v[w->n].addr, addr);
		w->v[w->n++].type = t;
	}
	return 0;
}

static void at(char *buf, size_t len, const char *root, const char *path)
{
	snprintf(buf, len, "%s%s", strcmp(root, "/") ? root : "", path);
}

int wishes_load(const char *root, struct wishes *w, char *why, size_t whylen)
{
	char path[PATH_MAX], text[P_MAX * 96], line[256];
	int fd;
	ssize_t n;

	at(path, sizeof(path), root, CONF);
	memset(w, 0, sizeof(*w));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(text)) {
		snprintf(why, whylen, "%s: %s", path, n < 0 ? strerror(errno) : "too large");
		return -1;
	}
	if (wishes_parse(text, (size_t)n, w, line, sizeof(line))) {
		snprintf(why, whylen, "%s: %s", path, line);
		return -1;
	}
	return 0;
}

/* mkdir -p of @path's directory. */
static int mkparents(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int put(const char *path, const char *text, mode_t mode, char *why, size_t whylen)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, ok;

	if (strf(tmp, sizeof(tmp), "%s.new", path)) {
		snprintf(why, whylen, "%s: path too long", path);
		return -1;
	}
	if (mkparents(path) || (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ok = write(fd, text, len) == (ssize_t)len && !fsync(fd);
	ok = !close(fd) && ok && !rename(tmp, path);
	if (!ok) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static __attribute__((format(printf, 3, 4)))
void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int wishes_save(const char *root, const struct wishes *w, char *why, size_t whylen)
{
	char conf[PATH_MAX];
	char text[P_MAX * 96 + 512];

	at(conf, sizeof(conf), root, CONF);
	snprintf(text, sizeof(text), "# IOMMU group types applied at boot (iommu-admin "
		 "set-type --persist).\n# DEVICE TYPE\n");
	for (int i = 0; i < w->n; i++)
		cat(text, sizeof(text), "%s %s\n", w->v[i].addr, group_type_name(w->v[i].type));
	return put(conf, text, 0644, why, whylen);
}

/* Where udev and systemd read shipped and local files, in their order. */
static const char *const rule_dirs[] = { "/etc/udev/rules.d", "/usr/lib/udev/rules.d",
					 "/lib/udev/rules.d" };
static const char *const unit_dirs[] = { "/etc/systemd/system", "/usr/lib/systemd/system",
					 "/lib/systemd/system" };

static bool found_in(const char *root, const char *const *dirs, size_t n, const char *name)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%s/%s", strcmp(root, "/") ? root : "", dirs[i], name);
		if (!access(path, R_OK))
			return true;
	}
	return false;
}

int hooks_installed(const char *root, char *why, size_t whylen)
{
	bool rule = found_in(root, rule_dirs, 3, HOOK_RULE);
	bool unit = found_in(root, unit_dirs, 3, HOOK_UNIT);

	if (rule && unit)
		return 0;
	snprintf(why, whylen, "the boot hooks that apply persisted types are not installed (%s%s%s "
		 "in the udev and systemd directories%s): 'make install' or the iommu-admin "
		 "package ships them", rule ? "" : HOOK_RULE, rule || unit ? "" : " and ",
		 unit ? "" : HOOK_UNIT, strcmp(root, "/") ? " below --root" : "");
	return -1;
}

int wishes_set(struct wishes *w, const char *addr, enum group_type t)
{
	for (int i = 0; i < w->n; i++) {
		if (!strcmp(w->v[i].addr, addr)) {
			w->v[i].type = t;
			return 0;
		}
	}
	if (w->n == P_MAX)
		return -1;
	snprintf(w->v[w->n].addr, sizeof(w->v[0].addr), "%s", addr);
	w->v[w->n++].type = t;
	return 0;
}

int wishes_drop(struct wishes *w, const char *addr)
{
	for (int i = 0; i < w->n; i++) {
		if (!strcmp(w->v[i].addr, addr)) {
			memmove(&w->v[i], &w->v[i + 1], (size_t)(w->n - i - 1) * sizeof(w->v[0]));
			w->n--;
			return 1;
		}
	}
	return 0;
}
