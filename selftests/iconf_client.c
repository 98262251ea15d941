// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "contracts.h"
#include "iconf_client.h"
#include "iommu_sysfs.h"
#include "kmsg.h"
#include "modload.h"

/* modprobe the module from the kernel's module tree (DKMS installs it there). */
static bool modprobe_conf(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execlp("modprobe", "modprobe", "-q", "iommu_conformance", conf_params(),
		       (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/*
 * Open /dev/iommu_conformance, loading the module if it is not there:
 * $IOMMU_CONF_KO when set (the gate's build, which an installed module
 * must not shadow), else by modprobe (DKMS, a kselftest install with the
 * module installed), else the .ko beside the program (gen_tar, an
 * install directory).
 */
int iconf_open(char *why, size_t whylen)
{
	const char *ko = getenv("IOMMU_CONF_KO");
	int fd = open("/dev/" ICONF_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	char beside[PATH_MAX];
	int ret;

	if (fd >= 0)
		return fd;
	if (ko && *ko) {
		ret = mod_load(ko, conf_params());
		if (ret) {
			snprintf(why, whylen, "cannot load IOMMU_CONF_KO=%s: %s", ko, strerror(-ret));
			return -1;
		}
	} else if (!modprobe_conf()) {
		conf_ko_path(beside, sizeof(beside));
		if (access(beside, R_OK)) {
			snprintf(why, whylen, "no /dev/" ICONF_DEVICE_NAME ": modprobe iommu_conformance failed, no %s, no IOMMU_CONF_KO",
				 beside);
			return -1;
		}
		ret = mod_load(beside, conf_params());
		if (ret) {
			snprintf(why, whylen, "cannot load %s: %s", beside, strerror(-ret));
			return -1;
		}
	}
	fd = open("/dev/" ICONF_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		snprintf(why, whylen, "module loaded, yet /dev/" ICONF_DEVICE_NAME ": %s",
			 strerror(errno));
	return fd;
}

static unsigned int read_hex(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	if (sysfs_read_str(path, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoul(buf, NULL, 16);
}

int pci_find(unsigned int vendor, const unsigned int *devices, char *bdf,
	     size_t bdflen, char *driver, size_t drvlen)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while (ret && (de = readdir(d))) {
		unsigned int dev;

		if (de->d_name[0] == '.' || read_hex(de->d_name, "vendor") != vendor)
			continue;
		dev = read_hex(de->d_name, "device");
		for (const unsigned int *p = devices; *p; p++) {
			char path[PATH_MAX], link[PATH_MAX];
			ssize_t n;

			if (*p != dev)
				continue;
			snprintf(bdf, bdflen, "%s", de->d_name);
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver",
				 de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			link[n > 0 ? n : 0] = '\0';
			snprintf(driver, drvlen, "%s",
				 n > 0 ? strrchr(link, '/') + 1 : "");
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Where @bdf's "iommu" link leads ("" when it has none). */
static void iommu_of(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	snprintf(out, len, "%s", realpath(path, real) ? real : "");
}

int pci_edu_behind_other_iommu(const char *bdf, char *other, size_t len)
{
	char mine[PATH_MAX], theirs[PATH_MAX];
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int ret = -ENOENT;

	if (!d)
		return -errno;
	iommu_of(bdf, mine, sizeof(mine));
	while (mine[0] && ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || read_hex(de->d_name, "vendor") != 0x1234 ||
		    read_hex(de->d_name, "device") != 0x11e8)
			continue;
		iommu_of(de->d_name, theirs, sizeof(theirs));
		if (theirs[0] && strcmp(mine, theirs)) {
			snprintf(other, len, "%s", de->d_name);
			ret = 0;
		}
	}
	closedir(d);
	return ret;
}

int pci_unbind(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	return sysfs_write(path, bdf);
}

int pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	ret = sysfs_write(path, bdf);
	return ret ? ret : pci_settle(bdf);
}

/* A rebound device must be up again before a test goes on (lib/iommu_abi.h). */
int pci_settle(const char *bdf)
{
	char dir[PATH_MAX], state[32];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	return nvme_settle(dir, 20000, state, sizeof(state));
}

/* glibc knows every name (strerrorname_np(), glibc 2.32): no table here. */
const char *errno_name(int neg)
{
	static char other[64];
	const char *name;

	if (iconf_refused(neg)) {
		neg = -neg - ICONF_REFUSED_BASE;
		name = strerrorname_np(neg);
		snprintf(other, sizeof(other), "the module refused the request: %s",
			 name ? name : "an unknown errno");
		return other;
	}
	name = neg < 0 ? strerrorname_np(-neg) : NULL;
	if (neg == 0)
		return "0";
	if (name)
		return name;
	snprintf(other, sizeof(other), neg < 0 ? "errno %d" : "%d", neg < 0 ? -neg : neg);
	return other;
}

int mock_knob_set(enum iconf_mock_knob knob)
{
	size_t n;
	const struct mock_knob *k = mock_knob_table(&n);

	if ((size_t)knob >= n)
		return -EINVAL;
	return sysfs_write(ICONF_MOCK_KNOB_PATH, k[knob].name);
}

static bool class_has(const char *prefix, char *name, size_t len)
{
	return dir_has_prefix("/sys/class/iommu", prefix, name, len);
}

const char *iommu_driver(void)
{
	if (class_has("dmar", NULL, 0))
		return "intel";
	if (class_has("ivhd", NULL, 0))
		return "amd";
	if (class_has("smmu3.", NULL, 0))
		return "arm-smmu-v3";
	if (class_has("riscv-iommu@", NULL, 0))
		return "riscv";
	/*
	 * A kernel with the driver built in has its directory with no vIOMMU:
	 * only a bound virtio device says there is one.
	 */
	if (dir_has_prefix("/sys/bus/virtio/drivers/virtio_iommu", "virtio", NULL, 0))
		return "virtio";
	if (!access("/sys/module/iommu_mock", F_OK))
		return "mock";
	return "";
}

const char *hazard_skip(int kernel_hazard_id)
{
	static char why[512];
	const struct kernel_hazard *h;
	const char *unsafe;
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return NULL;
	h = kernel_hazard_at(kernel_hazard_id, iommu_driver(), major, minor);
	if (!h)
		return NULL;
	unsafe = getenv(h->unsafe);
	if (unsafe && !strcmp(unsafe, "1"))
		return NULL;
	snprintf(why, sizeof(why), "%s=1 runs it: %s", h->unsafe, h->why);
	return why;
}

int mock_width(void)
{
	char buf[16];

	if (sysfs_read_str("/sys/module/iommu_mock/parameters/width", buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

/*
 * An intel IOMMU register as sysfs shows it (hex), in @val. 0, or -1 when
 * there is none. Unsigned: a register with bit 63 set (QEMU 11.1's CAP)
 * would saturate strtoll() to LLONG_MAX, every field then reading as ones.
 */
static int intel_reg(const char *reg, unsigned long long *val)
{
	char name[64], path[PATH_MAX], buf[64], *end;

	if (!class_has("dmar", name, sizeof(name)))
		return -1;
	snprintf(path, sizeof(path), "/sys/class/iommu/%s/intel-iommu/%s", name, reg);
	if (sysfs_read_str(path, buf, sizeof(buf)) <= 0)
		return -1;
	errno = 0;
	*val = strtoull(buf, &end, 16);
	return errno || end == buf ? -1 : 0;
}

int intel_width(void)
{
	unsigned long long cap;

	/* VT-d spec: CAP_REG bits 21:16 hold MGAW - 1. */
	return intel_reg("cap", &cap) ? -1 : (int)((cap >> 16) & 0x3f) + 1;
}

int intel_snoop_control(void)
{
	unsigned long long ecap;

	/* VT-d spec: ECAP_REG bit 7 is SC, snoop control. */
	return intel_reg("ecap", &ecap) ? -1 : (int)((ecap >> 7) & 1);
}

void kmsg_mark(struct kmsg_window *w)
{
	w->lines = 0;
	w->fd = kmsg_open(false);
}

void kmsg_collect(struct kmsg_window *w)
{
	struct kmsg_rec r;

	if (w->fd < 0)
		return;
	/* Debug-level lines are not prints for the contract (dev_dbg). */
	while (kmsg_next(w->fd, &r) > 0) {
		if (r.prio > 6)
			continue;
		if (w->lines < (int)ARRAY_SIZE(w->text))
			snprintf(w->text[w->lines], sizeof(w->text[0]), "<%d> %.240s",
				 r.prio, r.text);
		w->lines++;
	}
	close(w->fd);
	w->fd = -1;
}

const char *where_name(unsigned int where)
{
	switch (where) {
	case ICONF_ON_NONE: return "no domain";
	case ICONF_ON_BOOT: return "its boot (default) domain";
	case ICONF_ON_OURS: return "the test's domain";
	case ICONF_ON_OTHER: return "another domain";
	}
	return "?";
}

int multi_device_group(char names[][32], unsigned int max, unsigned int *n)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	struct dirent *de;
	int found = -1;

	while (d && found < 0 && (de = readdir(d))) {
		char path[PATH_MAX], drv[PATH_MAX + 300];
		struct dirent *ce;
		bool bound = false;
		DIR *c;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices", de->d_name);
		c = opendir(path);
		*n = 0;
		while (c && (ce = readdir(c))) {
			if (ce->d_name[0] == '.')
				continue;
			snprintf(drv, sizeof(drv), "%s/%s/driver", path, ce->d_name);
			bound |= access(drv, F_OK) == 0;
			if (names && *n < max)
				snprintf(names[*n], 32, "%.31s", ce->d_name);
			(*n)++;
		}
		if (c)
			closedir(c);
		if (*n > 1 && !bound)
			found = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

int dma_via_current_domain(const char *name, struct iconf_edu_dma *e,
			   char *why, size_t whylen)
{
	struct iconf_dev_get g = { .size = sizeof(g) };
	int fd = iconf_open(why, whylen), ret;

	if (fd < 0)
		return -ENODEV;
	snprintf(g.name, sizeof(g.name), "%s", name);
	ret = iconf_call(fd, ICONF_DEV_GET, &g);
	if (!ret) {
		memset(e, 0, sizeof(*e));
		e->size = sizeof(*e);
		e->dev_id = g.dev_id;
		ret = iconf_call(fd, ICONF_EDU_DMA, e);
	}
	close(fd);
	if (ret)
		snprintf(why, whylen, "DMA check on %s: %s", name, strerror(-ret));
	return ret;
}
