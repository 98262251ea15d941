// SPDX-License-Identifier: GPL-2.0
/*
 * The persisted wishes and the boot hooks that apply them. As driverctl
 * does for driver overrides: a file per machine under /etc, a udev rule
 * for devices that appear, and a unit for those that are there before
 * udev's coldplug. Every file is written whole to a temporary name and
 * renamed, so a crash leaves the old or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"
#include "util.h"

#define CONF "/etc/iommu-admin/types.conf"
#define RULE "/etc/udev/rules.d/70-iommu-admin.rules"
#define UNIT "/etc/systemd/system/iommu-admin-apply.service"
#define WANTS "/etc/systemd/system/sysinit.target.wants/iommu-admin-apply.service"

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

	snprintf(tmp, sizeof(tmp), "%s.new", path);
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

int wishes_save(const char *root, const struct wishes *w, const char *exe, char *why,
		size_t whylen)
{
	char conf[PATH_MAX], rule[PATH_MAX], unit[PATH_MAX], wants[PATH_MAX];
	char text[P_MAX * 96 + 512];

	at(conf, sizeof(conf), root, CONF);
	at(rule, sizeof(rule), root, RULE);
	at(unit, sizeof(unit), root, UNIT);
	at(wants, sizeof(wants), root, WANTS);
	snprintf(text, sizeof(text), "# IOMMU group types applied at boot (iommu-admin "
		 "set-type --persist).\n# DEVICE TYPE\n");
	for (int i = 0; i < w->n; i++)
		cat(text, sizeof(text), "%s %s\n", w->v[i].addr, group_type_name(w->v[i].type));
	if (put(conf, text, 0644, why, whylen))
		return -1;
	if (!w->n) {
		unlink(rule);
		unlink(wants);
		unlink(unit);
		return 0;
	}
	/*
	 * RUN keys run in the order rules add them: this file sorts before
	 * 80-drivers.rules, so apply runs before udev loads the driver.
	 */
	snprintf(text, sizeof(text), "# Installed by iommu-admin set-type --persist.\n"
		 "ACTION==\"add\", TEST==\"iommu_group\", RUN+=\"%s apply --udev %%k\"\n", exe);
	if (put(rule, text, 0644, why, whylen))
		return -1;
	snprintf(text, sizeof(text), "# Installed by iommu-admin set-type --persist.\n"
		 "[Unit]\nDescription=Apply persisted IOMMU group types\n"
		 "DefaultDependencies=no\nBefore=systemd-udev-trigger.service sysinit.target\n"
		 "ConditionPathExists=%s\n\n[Service]\nType=oneshot\nExecStart=%s apply\n"
		 "RemainAfterExit=yes\n\n[Install]\nWantedBy=sysinit.target\n", CONF, exe);
	if (put(unit, text, 0644, why, whylen))
		return -1;
	/* What systemctl enable does, without needing systemctl. */
	unlink(wants);
	if (mkparents(wants) || symlink(UNIT, wants)) {
		snprintf(why, whylen, "%s: %s", wants, strerror(errno));
		return -1;
	}
	return 0;
}

void wishes_set(struct wishes *w, const char *addr, enum group_type t)
{
	for (int i = 0; i < w->n; i++) {
		if (!strcmp(w->v[i].addr, addr)) {
			w->v[i].type = t;
			return;
		}
	}
	if (w->n < P_MAX) {
		snprintf(w->v[w->n].addr, sizeof(w->v[0].addr), "%s", addr);
		w->v[w->n++].type = t;
	}
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
