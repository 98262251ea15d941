// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "iommu_sysfs.h"

/* iommu_group_resv_type_string[] in drivers/iommu/iommu.c */
static const char *const resv_types[] = {
	"direct", "direct-relaxable", "reserved", "msi",
};

static const char *const group_types[] = {
	"blocked", "identity", "unmanaged", "DMA", "DMA-FQ", "unknown",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* The kernel prints "0x%016llx": exactly 16 hex digits after "0x". */
static int parse_addr(const char **p, unsigned long long *out)
{
	const char *s = *p;
	char *end;

	if (s[0] != '0' || s[1] != 'x')
		return -1;
	for (int i = 2; i < 18; i++)
		if (!s[i] || !strchr("0123456789abcdef", s[i]))
			return -1;
	errno = 0;
	*out = strtoull(s, &end, 16);
	if (errno || end != s + 18)
		return -1;
	*p = end;
	return 0;
}

int resv_region_parse(const char *line, struct resv_region *r,
		      const char **why)
{
	const char *p = line;
	size_t tlen;

	if (parse_addr(&p, &r->start)) {
		*why = "start is not 0x followed by 16 lower-case hex digits";
		return -1;
	}
	if (*p++ != ' ') {
		*why = "no single space after start";
		return -1;
	}
	if (parse_addr(&p, &r->end)) {
		*why = "end is not 0x followed by 16 lower-case hex digits";
		return -1;
	}
	if (*p++ != ' ') {
		*why = "no single space after end";
		return -1;
	}
	tlen = strcspn(p, "\n");
	if (p[tlen] == '\n' && p[tlen + 1]) {
		*why = "text after the end of the line";
		return -1;
	}
	if (tlen == 0 || tlen >= sizeof(r->type)) {
		*why = "type missing or too long";
		return -1;
	}
	memcpy(r->type, p, tlen);
	r->type[tlen] = '\0';
	if (!in_list(r->type, resv_types,
		     ARRAY_SIZE(resv_types))) {
		*why = "unknown region type";
		return -1;
	}
	if (r->start > r->end) {
		*why = "start is above end";
		return -1;
	}
	return 0;
}

bool group_type_documented(const char *s)
{
	return in_list(s, group_types,
		       ARRAY_SIZE(group_types));
}

const char *sysfs_root(void)
{
	const char *root = getenv("IOMMU_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

int sysfs_read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return (int)n;
}

int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
