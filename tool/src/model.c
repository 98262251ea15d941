// SPDX-License-Identifier: GPL-2.0
/*
 * Everything iommu-admin knows of a machine, read from sysfs below a
 * sysroot so that the same code runs on this machine and on the recorded
 * trees in fixtures/admin/. Groups come sorted by number, devices by
 * address, names sorted: output is the same on every run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu_abi.h"
#include "model.h"
#include "util.h"

/* Room for one more element at the end of *@arr (zeroed); NULL if none. */
static void *grow(void *arr, int *n, size_t size)
{
	char *p = realloc(*(void **)arr, (size_t)(*n + 1) * size);

	if (!p)
		return NULL;
	*(void **)arr = p;
	memset(p + (size_t)*n * size, 0, size);
	return p + (size_t)(*n)++ * size;
}

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	const struct ia_group *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct ia_device *)a)->addr, ((const struct ia_device *)b)->addr);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ia_names_add(struct ia_names *names, const char *name)
{
	char **v;

	for (int i = 0; i < names->n; i++)
		if (!strcmp(names->v[i], name))
			return 0;
	v = realloc(names->v, (names->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	names->v = v;
	names->v[names->n] = strdup(name);
	if (!names->v[names->n])
		return -1;
	names->n++;
	return 0;
}

void ia_names_free(struct ia_names *names)
{
	for (int i = 0; i < names->n; i++)
		free(names->v[i]);
	free(names->v);
	memset(names, 0, sizeof(*names));
}

/*
 * Network interfaces and block devices below a device, the way sysfs
 * nests them: DEV/net/eth0, DEV/virtio1/net/eth0, DEV/nvme/nvme0/nvme0n1,
 * DEV/virtio2/block/vda, DEV/ata1/.../block/sda, and as deep as they go
 * (USB storage behind xHCI, disks behind a SAS HBA and its expanders).
 * Real directories only: symlinks (driver, subsystem, iommu_group) lead
 * out of the device, so the walk ends where sysfs does. -1: out of memory.
 */
/*
 * @dirfd's directory, if it is a character device's (a dev file, a
 * subsystem other than block), added to @d's. -1 when out of memory.
 */
static int add_chardev(int dirfd, const char *name, struct ia_device *d)
{
	char buf[32], link[PATH_MAX];
	struct ia_chardev *c;
	unsigned int ma, mi;
	ssize_t n;
	int fd;

	fd = openat(dirfd, "dev", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	n = readlinkat(dirfd, "subsystem", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (n <= 0 || sscanf(buf, "%u:%u", &ma, &mi) != 2 ||
	    !strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link, "block"))
		return 0;
	c = grow(&d->chr, &d->nchr, sizeof(*c));
	if (!c)
		return -1;
	c->major = ma;
	c->minor = mi;
	strf(c->name, sizeof(c->name), "%s", name);
	return 0;
}

static int scan_children(int dirfd, struct ia_device *d, const char *parent)
{
	DIR *dir;
	struct dirent *e;
	int ret = 0;

	dir = fdopendir(dirfd);
	if (!dir) {
		close(dirfd);
		return 0;
	}
	while (!ret && (e = readdir(dir))) {
		struct stat st;
		int fd;

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		if (!strcmp(parent, "net"))
			ret = ia_names_add(&d->net, e->d_name);
		else if (!strcmp(parent, "block") ||
			 (!strncmp(e->d_name, "nvme", 4) && strchr(e->d_name + 4, 'n') &&
			  !strcmp(parent, "nvme_ctrl")))
			ret = ia_names_add(&d->block, e->d_name);
		fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (ret || fd < 0)
			continue;
		ret = add_chardev(fd, e->d_name, d);
		if (ret) {
			close(fd);
			continue;
		}
		/* nvme namespaces sit in the controller's directory, nvme/nvme0/. */
		ret = scan_children(fd, d, !strcmp(parent, "nvme") ? "nvme_ctrl" : e->d_name);
	}
	closedir(dir);
	return ret;
}

static int load_device(const char *devlink, const char *name, struct ia_device *d);

/* A physical function's virtfnN links, each loaded as a device. -1: out of memory. */
static int load_vfs(const char *devlink, struct ia_device *d)
{
	char path[PATH_MAX], buf[PATH_MAX];
	struct dirent *e;
	unsigned int n;
	DIR *dir;
	int end, ret = 0;

	dir = opendir(devlink);
	while (dir && !ret && (e = readdir(dir))) {
		struct ia_device *vf;
		ssize_t len;

		end = 0;
		if (sscanf(e->d_name, "virtfn%u%n", &n, &end) != 1 || e->d_name[end])
			continue;
		strf(path, sizeof(path), "%s/%s", devlink, e->d_name);
		len = readlink(path, buf, sizeof(buf) - 1);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		vf = grow(&d->vfs, &d->nvfs, sizeof(*vf));
		if (!vf) {
			ret = -1;
			break;
		}
		ret = load_device(path, strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, vf);
	}
	if (dir)
		closedir(dir);
	return ret;
}

static int load_device(const char *devlink, const char *name, struct ia_device *d)
{
	char path[PATH_MAX], buf[PATH_MAX];
	ssize_t n;
	int fd;

	memset(d, 0, sizeof(*d));
	strf(d->addr, sizeof(d->addr), "%s", name);
	strf(path, sizeof(path), "%s/class", devlink);
	read_text(path, d->class_, sizeof(d->class_));
	strf(path, sizeof(path), "%s/vendor", devlink);
	if (!read_text(path, buf, sizeof(buf)) && !strncmp(buf, "0x", 2))
		snprintf(d->vendor, sizeof(d->vendor), "%.4s", buf + 2);
	strf(path, sizeof(path), "%s/device", devlink);
	if (!read_text(path, buf, sizeof(buf)) && !strncmp(buf, "0x", 2))
		snprintf(d->device, sizeof(d->device), "%.4s", buf + 2);
	strf(path, sizeof(path), "%s/driver", devlink);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		strf(d->driver, sizeof(d->driver), "%s", strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf);
	}
	fd = open(devlink, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && scan_children(fd, d, ""))
		return -1;
	if (load_vfs(devlink, d))
		return -1;
	if (d->net.n)
		qsort(d->net.v, d->net.n, sizeof(*d->net.v), cmp_name);
	if (d->block.n)
		qsort(d->block.v, d->block.n, sizeof(*d->block.v), cmp_name);
	return 0;
}

static int load_group(const char *gdir, struct ia_group *g, char *why, size_t whylen)
{
	char path[PATH_MAX];
	char line[256];
	DIR *dir;
	struct dirent *e;
	FILE *f;

	strf(path, sizeof(path), "%s/type", gdir);
	if (read_text(path, g->type_text, sizeof(g->type_text)))
		snprintf(g->type_text, sizeof(g->type_text), "?");
	g->type = group_type_parse(g->type_text, false);
	strf(path, sizeof(path), "%s/reserved_regions", gdir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		struct resv_region r, *nr;
		const char *bad;

		if (resv_region_parse(line, &r, &bad)) {
			snprintf(why, whylen, "%s: malformed line (%s): %.80s", path, bad, line);
			fclose(f);
			return -1;
		}
		nr = grow(&g->resv, &g->nresv, sizeof(*nr));
		if (!nr) {
			fclose(f);
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		*nr = r;
	}
	if (f)
		fclose(f);
	strf(path, sizeof(path), "%s/devices", gdir);
	dir = opendir(path);
	if (!dir) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(dir))) {
		char link[PATH_MAX];
		struct ia_device *nd;

		if (e->d_name[0] == '.')
			continue;
		nd = grow(&g->devs, &g->ndevs, sizeof(*nd));
		if (!nd)
			break;
		strf(link, sizeof(link), "%s/%s", path, e->d_name);
		if (load_device(link, e->d_name, nd))
			break;
	}
	closedir(dir);
	if (e) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	qsort(g->devs, g->ndevs, sizeof(*g->devs), cmp_dev);
	return 0;
}

/* "nvme2c5n1" (a path of a multipath namespace): its controller's instance, 5. */
static bool nvme_path_name(const char *name, unsigned int *ctrl)
{
	unsigned int subsys, ns;
	int end = 0;

	return sscanf(name, "nvme%uc%un%u%n", &subsys, ctrl, &ns, &end) == 3 && !name[end];
}

/* "nvme2n1": a namespace's block device, or a multipath head. */
static bool nvme_ns_name(const char *name)
{
	unsigned int subsys, ns;
	int end = 0;

	return sscanf(name, "nvme%un%u%n", &subsys, &ns, &end) == 2 && !name[end];
}

/*
 * NVMe multipath: below the PCI device sysfs shows only the paths
 * (nvme0c0n1, hidden disks with no node); the block device that is
 * mounted is the head (nvme0n1), a child of the subsystem device. The
 * heads of a controller's subsystem (sys/class/nvme-subsystem/S/, which
 * links the controller nvmeC) are the device's block devices too: its
 * unbind takes a path of each away, the last path the head itself.
 */
static int add_multipath_heads(const char *root, struct ia_device *d)
{
	char ctrl_name[32], path[PATH_MAX], sub[PATH_MAX];
	struct dirent *e, *h;
	unsigned int ctrl;
	struct stat st;
	DIR *subs, *dir;
	int ret = 0;

	for (int k = 0; k < d->block.n && !ret; k++) {
		if (!nvme_path_name(d->block.v[k], &ctrl))
			continue;
		snprintf(ctrl_name, sizeof(ctrl_name), "nvme%u", ctrl);
		strf(path, sizeof(path), "%s/sys/class/nvme-subsystem", root);
		subs = opendir(path);
		while (subs && !ret && (e = readdir(subs))) {
			if (e->d_name[0] == '.')
				continue;
			strf(sub, sizeof(sub), "%s/%s/%s", path, e->d_name, ctrl_name);
			if (lstat(sub, &st))	/* the link itself: a recorded tree may cut its target */
				continue;
			strf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			dir = opendir(sub);
			while (dir && !ret && (h = readdir(dir))) {
				bool have = false;

				if (!nvme_ns_name(h->d_name))
					continue;
				for (int i = 0; i < d->block.n; i++)
					have |= !strcmp(d->block.v[i], h->d_name);
				if (!have)
					ret = ia_names_add(&d->block, h->d_name);
			}
			if (dir)
				closedir(dir);
		}
		if (subs)
			closedir(subs);
	}
	if (d->block.n)
		qsort(d->block.v, d->block.n, sizeof(*d->block.v), cmp_name);
	return ret;
}

int ia_load(const char *sysroot, struct ia_model *m, char *why, size_t whylen)
{
	char base[PATH_MAX], gdir[PATH_MAX];
	DIR *dir;
	struct dirent *e;

	memset(m, 0, sizeof(*m));
	strf(base, sizeof(base), "%s/sys/kernel/iommu_groups",
		 sysroot_prefix(sysroot));
	dir = opendir(base);
	if (!dir) {
		snprintf(why, whylen, "%s: %s%s", base, strerror(errno),
			 errno == ENOENT ? " (no IOMMU groups: is an IOMMU enabled?)" : "");
		return -1;
	}
	while ((e = readdir(dir))) {
		struct ia_group *ng;
		int id;

		if (parse_group_number(e->d_name, &id))
			continue;
		ng = grow(&m->groups, &m->ngroups, sizeof(*ng));
		if (!ng) {
			closedir(dir);
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		ng->id = id;
		strf(gdir, sizeof(gdir), "%s/%s", base, e->d_name);
		if (load_group(gdir, ng, why, whylen)) {
			closedir(dir);
			return -1;
		}
	}
	closedir(dir);
	if (m->ngroups)
		qsort(m->groups, m->ngroups, sizeof(*m->groups), cmp_int);
	for (int i = 0; i < m->ngroups; i++)
		for (int k = 0; k < m->groups[i].ndevs; k++)
			if (add_multipath_heads(sysroot_prefix(sysroot),
						&m->groups[i].devs[k])) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
	return 0;
}

static void device_free(struct ia_device *d)
{
	ia_names_free(&d->net);
	ia_names_free(&d->block);
	for (int k = 0; k < d->nvfs; k++)
		device_free(&d->vfs[k]);
	free(d->vfs);
	free(d->chr);
}

void ia_free(struct ia_model *m)
{
	for (int i = 0; i < m->ngroups; i++) {
		for (int j = 0; j < m->groups[i].ndevs; j++)
			device_free(&m->groups[i].devs[j]);
		free(m->groups[i].resv);
		free(m->groups[i].devs);
	}
	free(m->groups);
	memset(m, 0, sizeof(*m));
}

void ia_add_names(struct ia_model *m)
{
	struct udev *u = udev_new();
	struct udev_hwdb *hwdb = u ? udev_hwdb_new(u) : NULL;

	for (int i = 0; hwdb && i < m->ngroups; i++) {
		for (int j = 0; j < m->groups[i].ndevs; j++) {
			struct ia_device *d = &m->groups[i].devs[j];
			struct udev_list_entry *e;
			char modalias[64];
			const char *vend = NULL, *model = NULL;

			if (!d->vendor[0] || !d->device[0])
				continue;
			snprintf(modalias, sizeof(modalias), "pci:v0000%.4sd0000%.4s", d->vendor, d->device);
			for (char *p = modalias; *p; p++)
				if (*p >= 'a' && *p <= 'f')
					*p = (char)(*p - 'a' + 'A');
			udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
				if (!strcmp(udev_list_entry_get_name(e), "ID_MODEL_FROM_DATABASE"))
					model = udev_list_entry_get_value(e);
				else if (!strcmp(udev_list_entry_get_name(e), "ID_VENDOR_FROM_DATABASE"))
					vend = udev_list_entry_get_value(e);
			}
			if (model)
				snprintf(d->name, sizeof(d->name), "%s%s%s", vend ? vend : "",
					 vend ? " " : "", model);
		}
	}
	if (hwdb)
		udev_hwdb_unref(hwdb);
	if (u)
		udev_unref(u);
}
