// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "modload.h"

int mod_load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

unsigned int edu_dma_bits(void)
{
	const char *env = getenv("ICONF_EDU_DMA_BITS");
	char *end;
	unsigned long bits;

	if (!env || !*env)
		return 28;
	bits = strtoul(env, &end, 10);
	/* The module refuses anything else at load, naming the parameter. */
	return *end || bits > 64 ? 0 : bits;
}

const char *conf_params(void)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "edu_dma_bits=%u", edu_dma_bits());
	return buf;
}

int mod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

bool mod_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

void conf_ko_path(char *buf, size_t len)
{
	const char *env = getenv("IOMMU_CONF_KO");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	snprintf(buf, len, "%s/iommu_conformance.ko", n < 0 ? "." : dirname(exe));
}

unsigned long kernel_taint(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}
