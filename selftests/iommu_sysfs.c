// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "iommu_sysfs.h"

const char *sysfs_root(void)
{
	static char dir[4096];

	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s/sys", sysroot_prefix(getenv("IOMMU_SYSROOT")));
	return dir;
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
