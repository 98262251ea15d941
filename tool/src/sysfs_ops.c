// SPDX-License-Identifier: GPL-2.0
/*
 * Unbind, bind and type writes through a group's own directory
 * (/sys/kernel/iommu_groups/N/devices/DEV/...), so that PCI and platform
 * devices take the same path. The kernel's log lines printed during a
 * failed write are collected from /dev/kmsg and reported with its errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysfs_ops.h"

#define GROUPS "/sys/kernel/iommu_groups"
#define BIND_TIMEOUT_MS 15000

int dev_driver(int group, const char *addr, char *drv, size_t len)
{
	char path[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), GROUPS "/%d/devices/%s/driver", group, addr);
	drv[0] = '\0';
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		snprintf(path, sizeof(path), GROUPS "/%d/devices/%s", group, addr);
		return access(path, F_OK) ? -ENODEV : 0;
	}
	buf[n] = '\0';
	snprintf(drv, len, "%s", strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf);
	return 0;
}

/* The first line of the sysfs file @path, without its newline. 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n ? -errno : -ENODATA;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

enum group_type group_type_now(int group)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), GROUPS "/%d/type", group);
	if (read_line(path, buf, sizeof(buf)))
		return GROUP_TYPE_UNKNOWN;
	return group_type_parse(buf, false);
}

/* /dev/kmsg positioned at its end: what the kernel prints from now on. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Append the kernel's new lines to @why ("kernel: ..."), then close @fd. */
static void kmsg_collect(int fd, char *why, size_t whylen)
{
	char rec[1024];
	ssize_t n;
	int lines = 0;

	if (fd < 0)
		return;
	while (lines < 8 && (n = read(fd, rec, sizeof(rec) - 1)) > 0) {
		char *msg = memchr(rec, ';', (size_t)n);
		size_t used = strlen(why);

		rec[n] = '\0';
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(why + used, whylen - used, "\n  kernel: %s", msg);
		lines++;
	}
	close(fd);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int dev_unbind(int group, const char *addr, char *why, size_t whylen)
{
	char path[PATH_MAX];
	int k = kmsg_open(), ret;

	snprintf(path, sizeof(path), GROUPS "/%d/devices/%s/driver/unbind", group, addr);
	ret = write_file(path, addr);
	if (ret) {
		snprintf(why, whylen, "unbinding %s: %s", addr, strerror(-ret));
		kmsg_collect(k, why, whylen);
	} else if (k >= 0) {
		close(k);
	}
	return ret;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait on @mon for "bind" of @addr; 0, or -ETIMEDOUT. */
static int wait_bind(struct udev_monitor *mon, const char *addr)
{
	struct pollfd p = { .fd = udev_monitor_get_fd(mon), .events = POLLIN };
	long deadline = now_ms() + BIND_TIMEOUT_MS;

	for (long left; (left = deadline - now_ms()) > 0;) {
		struct udev_device *d;
		int hit;

		if (poll(&p, 1, (int)left) <= 0)
			continue;
		d = udev_monitor_receive_device(mon);
		if (!d)
			continue;
		hit = !strcmp(udev_device_get_sysname(d), addr) &&
		      !strcmp(udev_device_get_action(d) ?: "", "bind");
		udev_device_unref(d);
		if (hit)
			return 0;
	}
	return -ETIMEDOUT;
}

/* nvme's controller must be live again, not only bound (lib/iommu_abi.h). */
static int settle(int group, const char *addr, char *why, size_t whylen)
{
	char dir[PATH_MAX], state[32];
	int ret;

	snprintf(dir, sizeof(dir), GROUPS "/%d/devices/%s", group, addr);
	ret = nvme_settle(dir, BIND_TIMEOUT_MS, state, sizeof(state));
	if (ret == -ENODEV)
		snprintf(why, whylen, "binding %s: its nvme controller went away after the "
			 "bind (the driver's probe failed)", addr);
	else if (ret)
		snprintf(why, whylen, "binding %s: its nvme controller is still %s after %d s, "
			 "not live", addr, state, BIND_TIMEOUT_MS / 1000);
	return ret;
}

int dev_bind(int group, const char *addr, const char *drv, char *why, size_t whylen)
{
	struct udev *u = udev_new();
	struct udev_monitor *mon = u ? udev_monitor_new_from_netlink(u, "kernel") : NULL;
	char path[PATH_MAX], now[64];
	int k, ret;

	if (!mon || udev_monitor_enable_receiving(mon)) {
		snprintf(why, whylen, "binding %s: cannot open a uevent monitor", addr);
		ret = -EIO;
		goto out;
	}
	udev_monitor_set_receive_buffer_size(mon, 1 << 20);
	k = kmsg_open();
	snprintf(path, sizeof(path), GROUPS "/%d/devices/%s/subsystem/drivers/%s/bind", group,
		 addr, drv);
	ret = write_file(path, addr);
	if (ret) {
		snprintf(why, whylen, "binding %s to %s: %s", addr, drv, strerror(-ret));
		kmsg_collect(k, why, whylen);
		goto out;
	}
	ret = wait_bind(mon, addr);
	if (ret) {
		/* The bind event came before v4.14; trust the driver link then. */
		if (!dev_driver(group, addr, now, sizeof(now)) && !strcmp(now, drv))
			ret = 0;
		else
			snprintf(why, whylen, "binding %s to %s: no bind event in %d s and not "
				 "bound", addr, drv, BIND_TIMEOUT_MS / 1000);
	}
	if (!ret)
		ret = settle(group, addr, why, whylen);
	if (ret)
		kmsg_collect(k, why, whylen);
	else if (k >= 0)
		close(k);
out:
	if (mon)
		udev_monitor_unref(mon);
	if (u)
		udev_unref(u);
	return ret;
}

int group_write_type(int group, enum group_type t, char *why, size_t whylen)
{
	char path[PATH_MAX];
	int k = kmsg_open(), ret;

	snprintf(path, sizeof(path), GROUPS "/%d/type", group);
	ret = write_file(path, group_type_name(t));
	if (ret) {
		snprintf(why, whylen, "writing %s to %s: %s (errno %d)", group_type_name(t), path,
			 strerror(-ret), -ret);
		kmsg_collect(k, why, whylen);
	} else if (k >= 0) {
		close(k);
	}
	return ret;
}

#ifndef IA_TEST_HOOKS
void step_boundary(const char *fmt, ...)
{
	(void)fmt;
}
#else
void step_boundary(const char *fmt, ...)
{
	const char *kill_at = getenv("IOMMU_ADMIN_TEST_KILL_AT");
	const char *pause_at = getenv("IOMMU_ADMIN_TEST_PAUSE_AT");
	char name[64];
	va_list ap;
	size_t n;

	if (!kill_at && !pause_at)
		return;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (kill_at && !strcmp(kill_at, name)) {
		fflush(NULL);
		raise(SIGKILL);
	}
	n = strlen(name);
	if (pause_at && !strncmp(pause_at, name, n) && pause_at[n] == ':') {
		long ms = strtol(pause_at + n + 1, NULL, 10);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		fprintf(stderr, "iommu-admin: test pause at %s for %ld ms\n", name, ms);
		nanosleep(&ts, NULL);
	}
}
#endif
