// SPDX-License-Identifier: GPL-2.0
/*
 * The set-type journal: a crash between unbinding a device and binding it
 * again must leave enough on disk (well, in /run: the state is only worth
 * keeping until the next boot, which rebinds everything anyway) to finish
 * or undo the change.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "util.h"

static const char *const phases[PH_MAX] = {
	[PH_BEGIN] = "begin", [PH_UNBIND] = "unbind", [PH_TYPE] = "type",
	[PH_REBIND] = "rebind", [PH_VERIFY] = "verify",
};

const char *phase_name(enum j_phase p)
{
	return p < PH_MAX ? phases[p] : "?";
}

static int bad(char *why, size_t whylen, int line, const char *what)
{
	snprintf(why, whylen, "journal line %d: %s", line, what);
	return -1;
}

int journal_parse(const char *buf, size_t len, struct journal *j, char *why, size_t whylen)
{
	unsigned int seen = 0;	/* bits: header pid group from to phase */
	int lineno = 0;
	size_t off = 0;

	memset(j, 0, sizeof(*j));
	for (;;) {
		char line[256], key[32], a[256], b[256], extra[2];
		const char *err;
		int k = next_line(buf, len, &off, line, sizeof(line), 1, &err);

		if (!k)
			break;
		lineno++;
		if (k < 0)
			return bad(why, whylen, lineno, err);
		a[0] = b[0] = '\0';
		k = sscanf(line, "%31s %255s %255s %1s", key, a, b, extra);
		if (k < 2 || k > 3)
			return bad(why, whylen, lineno, "want KEY VALUE");
		if (lineno == 1) {
			if (strcmp(key, "iommu-admin-journal") || strcmp(a, "1") || k != 2)
				return bad(why, whylen, lineno, "not an iommu-admin journal, version 1");
			seen |= 1;
			continue;
		}
		if (!strcmp(key, "device")) {
			if (k != 3 || !valid_dev_name(a, sizeof(j->devs[0].addr)) ||
			    !valid_dev_name(b, sizeof(j->devs[0].driver)))
				return bad(why, whylen, lineno, "want: device ADDRESS DRIVER|-");
			if (j->ndevs == J_MAX_DEVS)
				return bad(why, whylen, lineno, "too many devices");
			for (int i = 0; i < j->ndevs; i++)
				if (!strcmp(j->devs[i].addr, a))
					return bad(why, whylen, lineno, "device listed twice");
			strcpy(j->devs[j->ndevs].addr, a);
			strcpy(j->devs[j->ndevs].driver, strcmp(b, "-") ? b : "");
			j->ndevs++;
			continue;
		}
		if (k != 2)
			return bad(why, whylen, lineno, "want KEY VALUE");
		if (!strcmp(key, "pid") || !strcmp(key, "group")) {
			char *end;
			long v;

			errno = 0;
			v = strtol(a, &end, 10);
			if (errno || *end || a[0] < '0' || a[0] > '9' || v > INT_MAX)
				return bad(why, whylen, lineno, "not a number");
			if (!strcmp(key, "pid"))
				j->pid = v, seen |= 2;
			else
				j->group = (int)v, seen |= 4;
		} else if (!strcmp(key, "from") || !strcmp(key, "to")) {
			enum group_type t = group_type_parse(a, !strcmp(key, "to"));

			/* A journal is of a change between the types set-type makes. */
			if (t == GROUP_TYPE_UNKNOWN || t == GROUP_TYPE_BLOCKED ||
			    t == GROUP_TYPE_UNMANAGED || (t == GROUP_TYPE_AUTO && key[0] == 'f'))
				return bad(why, whylen, lineno, "not a type");
			if (key[0] == 'f')
				j->from = t, seen |= 8;
			else
				j->to = t, seen |= 16;
		} else if (!strcmp(key, "phase")) {
			int p;

			for (p = 0; p < PH_MAX && strcmp(a, phases[p]); p++)
				;
			if (p == PH_MAX)
				return bad(why, whylen, lineno, "unknown phase");
			j->phase = (enum j_phase)p;
			seen |= 32;
		} else {
			return bad(why, whylen, lineno, "unknown key");
		}
	}
	if (seen != 63 || !j->ndevs) {
		snprintf(why, whylen, "journal incomplete: needs the header, pid, group, from, "
			 "to, phase and at least one device");
		return -1;
	}
	return 0;
}

int journal_format(const struct journal *j, char *buf, size_t len)
{
	size_t used;
	int n;

	n = snprintf(buf, len, "iommu-admin-journal 1\npid %ld\ngroup %d\nfrom %s\nto %s\n"
		     "phase %s\n", j->pid, j->group, group_type_name(j->from), group_type_name(j->to),
		     phase_name(j->phase));
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (int i = 0; i < j->ndevs; i++) {
		n = snprintf(buf + used, len - used, "device %s %s\n", j->devs[i].addr,
			     j->devs[i].driver[0] ? j->devs[i].driver : "-");
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int journal_write(const char *path, const struct journal *j)
{
	char tmp[PATH_MAX], text[J_MAX_DEVS * 140 + 256];
	int n = journal_format(j, text, sizeof(text)), fd, ret = 0;

	if (n < 0)
		return -ENOSPC;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	/* A stale one from a crash goes; whatever is there is never followed. */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || fsync(fd))
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir_of(path);
}

int journal_read(const char *path, struct journal *j, char *why, size_t whylen)
{
	char text[J_MAX_DEVS * 140 + 512];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(text)) {
		snprintf(why, whylen, "%s: too large to be a journal", path);
		return -EINVAL;
	}
	if (journal_parse(text, (size_t)n, j, why, whylen))
		return -EINVAL;
	return 0;
}

int journal_remove(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return fsync_dir_of(path);
}

int journal_set_aside(const char *path, const char *to)
{
	if (rename(path, to))
		return -errno;
	return fsync_dir_of(path);
}
