// SPDX-License-Identifier: GPL-2.0
/*
 * Safety checks. The network side asks the kernel over rtnetlink (libnl)
 * which addresses and routes use an interface or any interface stacked
 * on it (its master, a vlan or macvlan on it, and theirs); link-local
 * addresses and routes, which every up interface has, do not count. The
 * storage side reads the mount table, the swap list and the holders
 * directories, and then asks the kernel itself with an exclusive open of
 * each block device, which it refuses while anything has the device
 * claimed, whatever this process can see. Character devices (a GPU's DRM
 * nodes, RDMA verbs, an NVMe controller's admin node, a VFIO device) are
 * in use when a process has one open, as the kernel's fd tables say.
 */
#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/capability.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks.h"
#include "iommu_abi.h"
#include "util.h"

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = { "ok", "info", "refused-unless-force", "refused" };

	return names[v];
}

static __attribute__((format(printf, 5, 6)))
void add(struct findings *f, const char *dev, const char *check, enum verdict v,
	 const char *fmt, ...)
{
	struct finding *n = realloc(f->v, (size_t)(f->n + 1) * sizeof(*n));
	va_list ap;

	if (!n)
		return;
	f->v = n;
	n = &f->v[f->n++];
	memset(n, 0, sizeof(*n));
	snprintf(n->device, sizeof(n->device), "%s", dev);
	snprintf(n->check, sizeof(n->check), "%s", check);
	n->v = v;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

void findings_free(struct findings *f)
{
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

enum verdict findings_worst(const struct findings *f, int force)
{
	enum verdict w = V_OK;

	for (int i = 0; i < f->n; i++) {
		enum verdict v = f->v[i].v;

		if (v == V_FORCE && force)
			v = V_OK;
		if (v == V_INFO)
			v = V_OK;
		if (v > w)
			w = v;
	}
	return w;
}

int check_privilege(char *why, size_t whylen)
{
	int admin, rawio;

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_get_caps_process()) {
		snprintf(why, whylen, "cannot read this process's capabilities");
		return -1;
	}
	admin = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN);
	rawio = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_RAWIO);
	if (admin && rawio)
		return 0;
	snprintf(why, whylen, "missing capability %s%s%s: the kernel lets only a process with "
		 "both CAP_SYS_ADMIN and CAP_SYS_RAWIO write a group's type (run as root)",
		 admin ? "" : "CAP_SYS_ADMIN", !admin && !rawio ? " and " : "",
		 rawio ? "" : "CAP_SYS_RAWIO");
	return -1;
}

/* ---- network ---- */

struct net {
	struct nl_sock *sk;
	struct nl_cache *links, *addrs, *routes;
};

static int net_open(struct net *n)
{
	memset(n, 0, sizeof(*n));
	n->sk = nl_socket_alloc();
	if (!n->sk || nl_connect(n->sk, NETLINK_ROUTE) ||
	    rtnl_link_alloc_cache(n->sk, AF_UNSPEC, &n->links) ||
	    rtnl_addr_alloc_cache(n->sk, &n->addrs) ||
	    rtnl_route_alloc_cache(n->sk, AF_UNSPEC, 0, &n->routes))
		return -1;
	return 0;
}

static void net_close(struct net *n)
{
	if (n->routes)
		nl_cache_free(n->routes);
	if (n->addrs)
		nl_cache_free(n->addrs);
	if (n->links)
		nl_cache_free(n->links);
	if (n->sk)
		nl_socket_free(n->sk);
}

static void append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s);
}

static int link_local6(struct nl_addr *a)
{
	const unsigned char *b = nl_addr_get_binary_addr(a);

	return nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16 &&
	       b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

/*
 * IPv4 link-local (169.254.0.0/16, RFC 3927): "ip addr add" gives such an
 * address global scope unless told otherwise, so the scope does not say it.
 * An address is link-local by itself; a route only if its whole
 * destination lies in 169.254.0.0/16 (@prefix: a route's).
 */
static int link_local4(struct nl_addr *a, bool prefix)
{
	const unsigned char *b = nl_addr_get_binary_addr(a);

	return nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4 &&
	       b[0] == 169 && b[1] == 254 && (!prefix || nl_addr_get_prefixlen(a) >= 16);
}

/* What @ifindex carries, into @what; the count. */
static int carried(struct net *n, int ifindex, char *what, size_t len)
{
	struct nl_object *o;
	char a[128];
	int count = 0;

	what[0] = '\0';
	for (o = nl_cache_get_first(n->addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ad = (struct rtnl_addr *)o;

		if (rtnl_addr_get_ifindex(ad) != ifindex || rtnl_addr_get_scope(ad) == RT_SCOPE_LINK ||
		    link_local4(rtnl_addr_get_local(ad), false))
			continue;
		nl_addr2str(rtnl_addr_get_local(ad), a, sizeof(a));
		count++;
		append(what, len, a);
	}
	for (o = nl_cache_get_first(n->routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		int uses = 0;

		if (rtnl_route_get_table(r) == RT_TABLE_LOCAL || rtnl_route_get_type(r) != RTN_UNICAST ||
		    (dst && (link_local6(dst) || link_local4(dst, true))))
			continue;
		for (int i = 0; i < rtnl_route_get_nnexthops(r); i++)
			if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, i)) == ifindex)
				uses = 1;
		if (!uses)
			continue;
		if (!dst || !nl_addr_get_prefixlen(dst))
			snprintf(a, sizeof(a), "route default (%s)",
				 rtnl_route_get_family(r) == AF_INET6 ? "IPv6" : "IPv4");
		else
			snprintf(a, sizeof(a), "route %s", nl_addr2str(dst, (char[128]){ 0 }, 128));
		count++;
		append(what, len, a);
	}
	return count;
}

/* The interfaces whose traffic goes through a device's interface, breadth first. */
struct iface_walk {
	struct {
		int ifindex;
		int from;	/* the step it was found from (-1: the device's own) */
	} *step;
	int n;
};

static int walk_add(struct iface_walk *w, int ifindex, int from)
{
	void *more;

	for (int i = 0; i < w->n; i++)
		if (w->step[i].ifindex == ifindex)
			return 0;
	more = realloc(w->step, (size_t)(w->n + 1) * sizeof(*w->step));
	if (!more)
		return -1;
	w->step = more;
	w->step[w->n].ifindex = ifindex;
	w->step[w->n++].from = from;
	return 0;
}

/*
 * Every interface that stops working when @ifindex goes: its master (bond,
 * bridge, team, vrf) and the links stacked on it (vlan, macvlan, ipvlan,
 * whose IFLA_LINK names it), and theirs in turn, as the kernel's link
 * table says, with no depth limit. An Open vSwitch datapath (ovs-system,
 * kind openvswitch, the uplink's master) carries nothing itself: the
 * bridge's addresses are on its internal ports (br0, kind openvswitch too,
 * not linked to the datapath), so those are followed. -1 when out of memory.
 */
static int walk_up(struct net *n, int ifindex, struct iface_walk *w)
{
	if (walk_add(w, ifindex, -1))
		return -1;
	for (int i = 0; i < w->n; i++) {
		struct rtnl_link *l = rtnl_link_get(n->links, w->step[i].ifindex);
		const char *kind = l ? rtnl_link_get_type(l) : NULL;
		int master = l ? rtnl_link_get_master(l) : 0;
		bool datapath = kind && !strcmp(kind, "openvswitch");

		if (l)
			rtnl_link_put(l);
		if (master && walk_add(w, master, i))
			return -1;
		for (struct nl_object *o = nl_cache_get_first(n->links); o;
		     o = nl_cache_get_next(o)) {
			struct rtnl_link *up = (struct rtnl_link *)o;

			const char *up_kind = rtnl_link_get_type(up);

			/*
			 * Internal ports are not linked to their datapath (only
			 * uplinks are, as IFLA_MASTER): every openvswitch link is
			 * one (ovs-vswitchd puts every bridge in one datapath).
			 */
			if (datapath && up_kind && !strcmp(up_kind, "openvswitch") &&
			    walk_add(w, rtnl_link_get_ifindex(up), i))
				return -1;

			/* A link in another namespace names an ifindex of that namespace. */
			if (rtnl_link_get_link(up) == w->step[i].ifindex &&
			    rtnl_link_get_ifindex(up) != w->step[i].ifindex &&
			    rtnl_link_get_link_netnsid(up, &(int32_t){ 0 }) &&
			    walk_add(w, rtnl_link_get_ifindex(up), i))
				return -1;
		}
	}
	return 0;
}

/*
 * "bond0 (bond) > bond0.10 (vlan)": the way up from the device to entry @i
 * of @w, for the message; its first 64 steps (the walk itself has no limit).
 */
static void walk_path(struct net *n, const struct iface_walk *w, int i, char *buf, size_t len)
{
	int steps[64], k = 0;

	buf[0] = '\0';
	for (; i > 0 && k < (int)(sizeof(steps) / sizeof(steps[0])); i = w->step[i].from)
		steps[k++] = i;
	while (k--) {
		struct rtnl_link *l = rtnl_link_get(n->links, w->step[steps[k]].ifindex);
		const char *kind = l ? rtnl_link_get_type(l) : NULL;
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s%s%s%s", used ? " > " : "",
			 l ? rtnl_link_get_name(l) : "?", kind ? " (" : "", kind ? kind : "",
			 kind ? ")" : "");
		if (l)
			rtnl_link_put(l);
	}
}

static void check_iface(struct net *n, const char *dev, const char *ifname, struct findings *f)
{
	char what[400], path[256];
	struct iface_walk w = { 0 };
	int idx = rtnl_link_name2i(n->links, ifname), used = 0;

	if (!idx) {
		add(f, dev, "network", V_FORCE, "%s is not in this network namespace (moved to "
		    "another, a container's?): what it carries cannot be seen from here; --force "
		    "if nothing", ifname);
		return;
	}
	if (walk_up(n, idx, &w)) {
		add(f, dev, "network", V_REFUSED, "%s: out of memory following the interfaces on "
		    "it: treated as in use", ifname);
		goto out;
	}
	for (int i = 0; i < w.n; i++) {
		if (!carried(n, w.step[i].ifindex, what, sizeof(what)))
			continue;
		used++;
		if (i == 0) {
			add(f, dev, "network", V_FORCE, "%s carries %s", ifname, what);
			continue;
		}
		walk_path(n, &w, i, path, sizeof(path));
		add(f, dev, "network", V_FORCE, "%s is under %s, which carries %s", ifname, path,
		    what);
	}
	if (!used) {
		path[0] = '\0';
		for (int i = 1; i < w.n; i++) {
			struct rtnl_link *l = rtnl_link_get(n->links, w.step[i].ifindex);

			if (l) {
				append(path, sizeof(path), rtnl_link_get_name(l));
				rtnl_link_put(l);
			}
		}
		add(f, dev, "network", V_OK, "%s carries no address or route (link-local ones not "
		    "counted)%s%s", ifname, path[0] ? "; nor do the interfaces on it: " : "", path);
	}
out:
	free(w.step);
}

/* ---- network namespaces ---- */

static int read_line(const char *path, char *buf, size_t len);

/*
 * The machine's other network namespaces, asked about a device whose
 * interfaces sysfs does not show here (sysfs shows a device's interfaces
 * only to a mount made in their namespace): each one, from /run/netns
 * (ip netns) and every process's /proc/PID/ns/net, once per namespace. In
 * a child that enters it, mounts a sysfs of its own there and reads the
 * device's net/ directory, then checks each interface found as here;
 * what it finds comes back over a pipe as "VERDICT\tTEXT" lines.
 */
static void check_in_netns(int nsfd, const char *addr, int wfd)
{
	char dir[] = "/tmp/iommu-admin-sysfs-XXXXXX", path[PATH_MAX];
	struct findings f = { 0 };
	struct dirent *e;
	struct net net;
	DIR *d;

	if (setns(nsfd, CLONE_NEWNET) || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || !mkdtemp(dir))
		_exit(1);
	if (mount("sysfs", dir, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		rmdir(dir);
		_exit(1);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net", dir, addr);
	d = opendir(path);
	if (d && net_open(&net)) {
		net_close(&net);
		dprintf(wfd, "%d\tits interfaces there: cannot read them over rtnetlink\n", V_FORCE);
	} else {
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				check_iface(&net, addr, e->d_name, &f);
		if (d)
			net_close(&net);
	}
	for (int i = 0; i < f.n; i++)
		dprintf(wfd, "%d\t%s\n", f.v[i].v, f.v[i].text);
	if (d)
		closedir(d);
	umount(dir);
	rmdir(dir);
	_exit(0);
}

/* "netns NAME" or "the network namespace of pid N (comm)", for @path. */
static void netns_name(const char *path, char *buf, size_t len)
{
	char comm[64] = "?", p[96];
	int pid;

	if (!strncmp(path, "/run/netns/", 11)) {
		snprintf(buf, len, "netns %.100s", path + 11);
		return;
	}
	pid = atoi(path + 6);
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	read_line(p, comm, sizeof(comm));
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(buf, len, "the network namespace of pid %d (%s)", pid, comm);
}

/* Returns how many namespaces hold an interface of @d (0: none found; -1: could not ask). */
static int check_other_netns(const struct ia_device *d, struct findings *f)
{
	struct stat self, st;
	ino_t *seen = NULL;
	int nseen = 0, found = 0, asked = 0;
	char path[PATH_MAX], name[160], line[600];
	struct dirent *e;
	DIR *dir;

	if (stat("/proc/self/ns/net", &self))
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		dir = opendir(pass ? "/proc" : "/run/netns");
		while (dir && (e = readdir(dir))) {
			int nsfd, pfd[2], got = 0;
			pid_t child;
			FILE *r;

			if (e->d_name[0] == '.' || (pass && (e->d_name[0] < '1' || e->d_name[0] > '9')))
				continue;
			snprintf(path, sizeof(path), pass ? "/proc/%s/ns/net" : "/run/netns/%s", e->d_name);
			if (stat(path, &st) || st.st_ino == self.st_ino)
				continue;
			for (int k = 0; k < nseen; k++)
				got |= seen[k] == st.st_ino;
			if (got)
				continue;
			ino_t *ns = realloc(seen, (size_t)(nseen + 1) * sizeof(*seen));

			if (!ns)
				break;
			seen = ns;
			seen[nseen++] = st.st_ino;
			nsfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nsfd < 0 || pipe(pfd)) {
				if (nsfd >= 0)
					close(nsfd);
				continue;
			}
			fflush(NULL);
			child = fork();
			if (child == 0) {
				close(pfd[0]);
				check_in_netns(nsfd, d->addr, pfd[1]);
			}
			close(pfd[1]);
			close(nsfd);
			netns_name(path, name, sizeof(name));
			r = fdopen(pfd[0], "r");
			while (r && fgets(line, sizeof(line), r)) {
				char *tab = strchr(line, '\t');
				int v = atoi(line);

				if (!tab || v < V_OK || v > V_REFUSED)
					continue;
				line[strcspn(line, "\n")] = '\0';
				add(f, d->addr, "network", (enum verdict)v, "in %s: %s", name, tab + 1);
				got = 1;
			}
			if (r)
				fclose(r);
			else
				close(pfd[0]);
			if (child > 0) {
				int status;

				waitpid(child, &status, 0);
				asked += WIFEXITED(status) && !WEXITSTATUS(status);
			}
			found += got;
		}
		if (dir)
			closedir(dir);
	}
	free(seen);
	return found ? found : asked || nseen == 0 ? 0 : -1;
}

/* ---- storage ---- */

struct mount {
	char majmin[16];
	char point[256];
	char fstype[32];
	char source[256];
};

static int read_mounts(const char *sysroot, struct mount **out)
{
	char path[4096], line[2048];
	struct mount *m = NULL;
	int n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", sysroot_prefix(sysroot));
#ifdef IA_TEST_HOOKS
	/* The test build: a mount table standing for this one (a root on NFS). */
	if (!strcmp(sysroot, "/") && getenv("IOMMU_ADMIN_TEST_MOUNTINFO"))
		snprintf(path, sizeof(path), "%s", getenv("IOMMU_ADMIN_TEST_MOUNTINFO"));
#endif
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		struct mount x;
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %15s %*s %255s", x.majmin, x.point) != 2 ||
		    sscanf(dash + 3, "%31s %255s", x.fstype, x.source) != 2)
			continue;
		struct mount *nm = realloc(m, (size_t)(n + 1) * sizeof(*m));

		if (!nm)
			break;
		m = nm;
		m[n++] = x;
	}
	fclose(fp);
	*out = m;
	return n;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "re");
	int ok;

	if (!fp)
		return -1;
	ok = fgets(buf, (int)len, fp) != NULL;
	fclose(fp);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * A block device's name and its partitions' (sysfs class/block/NAME/NAMEp1...),
 * however many. -1 when out of memory: the caller must treat it as in use.
 */
static int block_family(const char *sysroot, const char *disk, struct ia_names *names)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int ret = ia_names_add(names, disk);

	snprintf(path, sizeof(path), "%s/sys/class/block/%s", sysroot_prefix(sysroot),
		 disk);
	d = opendir(path);
	while (!ret && d && (e = readdir(d))) {
		char p[4200];
		struct stat st;

		strf(p, sizeof(p), "%s/%s/partition", path, e->d_name);
		if (e->d_name[0] != '.' && !stat(p, &st))
			ret = ia_names_add(names, e->d_name);
	}
	if (d)
		closedir(d);
	return ret;
}

/*
 * The kernel's word on @name (@majmin) after what was read: 1 when it is
 * in use and nothing read said so (@seen: something did), else 0. A
 * device the kernel could not be asked about is refused: its use is
 * unknown.
 */
static int ask_kernel(const char *dev, const char *name, const char *majmin, bool seen,
		      struct findings *f)
{
	unsigned int ma, mi;
	int ret;

	if (sscanf(majmin, "%u:%u", &ma, &mi) != 2) {
		add(f, dev, "block", V_REFUSED, "%s: its device number reads \"%s\": cannot "
		    "ask the kernel whether it is in use", name, majmin);
		return 1;
	}
	ret = block_claimed(ma, mi);
	if (ret == -EBUSY && !seen) {
		add(f, dev, "block", V_REFUSED, "%s is in use: the kernel refuses an exclusive "
		    "open (EBUSY), though no mount, holder or swap seen here explains it (a "
		    "mount in another namespace, a loop device's backing, a btrfs or ZFS "
		    "pool member, an exclusive opener): find and stop that user first", name);
		return 1;
	}
	if (ret == -EACCES || ret == -EPERM) {
		/* A dry run by a user; set-type runs as root and asks. */
		add(f, dev, "block", V_INFO, "%s: the kernel was not asked whether it is in use "
		    "(exclusive open: %s; set-type, as root, asks)", name, strerror(-ret));
		return 0;
	}
	if (ret && ret != -EBUSY) {
		add(f, dev, "block", V_REFUSED, "%s: cannot ask the kernel whether it is in "
		    "use (exclusive open: %s)", name, strerror(-ret));
		return 1;
	}
	return 0;
}

static void check_block(const char *sysroot, const char *dev, const char *disk,
			const struct mount *mounts, int nmounts, struct findings *f)
{
	const char *root = sysroot_prefix(sysroot);
	struct ia_names family = { 0 };
	char path[4200], line[512];
	int bad = 0, n;
	FILE *fp;

	if (block_family(sysroot, disk, &family)) {
		ia_names_free(&family);
		add(f, dev, "block", V_REFUSED, "%s: out of memory reading its partitions: "
		    "treated as in use", disk);
		return;
	}
	n = family.n;
	for (int i = 0; i < n; i++) {
		const char *name = family.v[i];
		int bad_until_name = bad;	/* what was read said nothing of @name yet */
		char majmin[16] = "", dpath[64];
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "%s/sys/class/block/%s/dev", root, name);
		read_line(path, majmin, sizeof(majmin));
		strf(dpath, sizeof(dpath), "/dev/%s", name);
		for (int m = 0; m < nmounts; m++) {
			if ((!majmin[0] || strcmp(mounts[m].majmin, majmin)) &&
			    strcmp(mounts[m].source, dpath))
				continue;
			bad++;
			if (!strcmp(mounts[m].point, "/"))
				add(f, dev, "root", V_REFUSED, "%s holds the root filesystem (%s): "
				    "unbinding it would take the system down", name,
				    mounts[m].fstype);
			else
				add(f, dev, "block", V_REFUSED, "%s is mounted on %s (%s): unmount "
				    "it first", name, mounts[m].point, mounts[m].fstype);
		}
		snprintf(path, sizeof(path), "%s/sys/class/block/%s/holders", root, name);
		d = opendir(path);
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			bad++;
			add(f, dev, "block", V_REFUSED, "%s is held by %s (device-mapper, md or "
			    "the like): take that down first", name, e->d_name);
		}
		if (d)
			closedir(d);
		snprintf(path, sizeof(path), "%s/proc/swaps", root);
		fp = fopen(path, "re");
		while (fp && fgets(line, sizeof(line), fp)) {
			char file[256];
			struct stat st;
			unsigned int ma, mi;
			int same = 0;

			if (sscanf(line, "%255s", file) != 1 || !strcmp(file, "Filename"))
				continue;
			same = !strcmp(file, dpath);
			if (!same && !root[0] && majmin[0] && sscanf(majmin, "%u:%u", &ma, &mi) == 2 &&
			    !stat(file, &st) && S_ISBLK(st.st_mode))
				same = st.st_rdev == makedev(ma, mi);
			if (same) {
				bad++;
				add(f, dev, "block", V_REFUSED, "%s is active swap: swapoff it "
				    "first", name);
			}
		}
		if (fp)
			fclose(fp);
		if (!root[0] && majmin[0])
			bad += ask_kernel(dev, name, majmin, bad != bad_until_name, f);
	}
	ia_names_free(&family);
	if (!bad)
		add(f, dev, "block", V_OK, "%s%s: %s", disk, n > 1 ? " and its partitions" : "",
		    nmounts ? "not mounted, not swap, no holders" : "not swap, no holders");
}

/* A mount whose filesystem a device carries: the root refused as such. */
static void carried_mount(struct findings *f, const char *dev, const char *what,
			  const struct mount *mt)
{
	if (!strcmp(mt->point, "/"))
		add(f, dev, "root", V_REFUSED, "carries the root filesystem (%s tag %s): unbinding "
		    "it would take the system down", what, mt->source);
	else
		add(f, dev, "block", V_REFUSED, "carries the %s filesystem %s mounted on %s",
		    what, mt->source, mt->point);
}

/*
 * The virtio transports of shared filesystems are PCI devices too, and
 * what they carry is mounted by tag: a 9p transport's tag is its
 * mount_tag; a virtio-fs device's is /sys/fs/virtiofs/N/tag, whose
 * "device" link names the virtio device (v6.9 on). Where the kernel has
 * no such table and a virtiofs filesystem is mounted, a virtio-fs device
 * (virtio id 26) may carry it: refused, said so.
 */
static void check_virtio_mounts(const char *sysroot, int group, const struct ia_device *d,
				const struct mount *mounts, int nmounts, struct findings *f)
{
	const char *root = sysroot_prefix(sysroot);
	char path[4200], tag[256], p[4400], link[PATH_MAX], needle[96];
	bool has_fs_dev = false, table;
	struct dirent *e;
	DIR *dir;
	ssize_t n;

	strf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/devices/%s", root, group, d->addr);
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		if (strncmp(e->d_name, "virtio", 6))
			continue;
		strf(p, sizeof(p), "%s/%s/device", path, e->d_name);
		if (!read_line(p, tag, sizeof(tag)) && !strcmp(tag, "0x001a"))
			has_fs_dev = true;
		strf(p, sizeof(p), "%s/%s/mount_tag", path, e->d_name);
		if (read_line(p, tag, sizeof(tag)))
			continue;
		for (int m = 0; m < nmounts; m++)
			if (!strcmp(mounts[m].fstype, "9p") && !strcmp(mounts[m].source, tag)) {
				carried_mount(f, d->addr, "9p", &mounts[m]);
				break;
			}
	}
	if (dir)
		closedir(dir);
	if (!has_fs_dev)
		return;
	strf(path, sizeof(path), "%s/sys/fs/virtiofs", root);
	dir = opendir(path);
	table = dir != NULL;
	snprintf(needle, sizeof(needle), "/%s/virtio", d->addr);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		strf(p, sizeof(p), "%s/%s/device", path, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		strf(p, sizeof(p), "%s/%s/tag", path, e->d_name);
		if (!strstr(link, needle) || read_line(p, tag, sizeof(tag)))
			continue;
		for (int m = 0; m < nmounts; m++)
			if (!strcmp(mounts[m].fstype, "virtiofs") && !strcmp(mounts[m].source, tag))
				carried_mount(f, d->addr, "virtiofs", &mounts[m]);
	}
	if (dir)
		closedir(dir);
	for (int m = 0; !table && m < nmounts; m++)
		if (!strcmp(mounts[m].fstype, "virtiofs")) {
			add(f, d->addr, strcmp(mounts[m].point, "/") ? "block" : "root", V_REFUSED,
			    "a virtio-fs device, and virtiofs %s is mounted on %s: this kernel has "
			    "no /sys/fs/virtiofs to say which device carries which tag",
			    mounts[m].source, mounts[m].point);
			break;
		}
}

/*
 * The filesystem mounted on @point over the network: NFS, SMB, Ceph, GlusterFS, sshfs,
 * or a disk on an iSCSI session or an NBD device. Which NIC it travels
 * over is the routing table's to say at any moment; any NIC that carries
 * addresses may carry it, so on such a host that use is not overridable.
 * True with @what describing it.
 */
static bool fs_over_network(const char *sysroot, const struct mount *mounts, int n,
			    const char *point, char *what, size_t len)
{
	static const char *const netfs[] = { "nfs", "nfs4", "cifs", "smb3", "ceph", "glusterfs",
					     "fuse.glusterfs", "fuse.sshfs" };
	const char *root = sysroot_prefix(sysroot);
	const struct mount *r = NULL;
	char path[PATH_MAX], real[PATH_MAX];

	for (int m = 0; m < n; m++)	/* the last mount on a point is the one seen */
		if (!strcmp(mounts[m].point, point))
			r = &mounts[m];
	if (!r)
		return false;
	for (size_t i = 0; i < sizeof(netfs) / sizeof(netfs[0]); i++)
		if (!strcmp(r->fstype, netfs[i])) {
			snprintf(what, len, "%s from %s on %s", r->fstype, r->source, point);
			return true;
		}
	if (strncmp(r->source, "/dev/", 5))
		return false;
	if (!strncmp(r->source + 5, "nbd", 3)) {
		snprintf(what, len, "on the network block device %s on %s", r->source, point);
		return true;
	}
	strf(path, sizeof(path), "%s/sys/class/block/%s", root, r->source + 5);
	if (realpath(path, real) && strstr(real, "/session")) {
		snprintf(what, len, "on %s, a disk of an iSCSI session, on %s", r->source, point);
		return true;
	}
	return false;
}

/* The root or /usr filesystem (either one gone takes the system down). */
static bool root_over_network(const char *sysroot, const struct mount *mounts, int n,
			      char *what, size_t len)
{
	return fs_over_network(sysroot, mounts, n, "/", what, len) ||
	       fs_over_network(sysroot, mounts, n, "/usr", what, len);
}

/* ---- character devices ---- */

struct chardev {
	dev_t rdev;
	const char *node;	/* its sysfs name, as udev names /dev/NODE */
	const char *owner;	/* the group's device (or VF) it is below */
};

struct chardevs {
	struct chardev *v;
	int n;
};

/* @d's character devices (the model's walk found them) added to @out. -1: out of memory. */
static int add_chardevs(const struct ia_device *d, struct chardevs *out)
{
	struct chardev *c;

	if (!d->nchr)
		return 0;
	c = realloc(out->v, (size_t)(out->n + d->nchr) * sizeof(*c));
	if (!c)
		return -1;
	out->v = c;
	for (int k = 0; k < d->nchr; k++)
		out->v[out->n++] = (struct chardev){ makedev(d->chr[k].major, d->chr[k].minor),
						     d->chr[k].name, d->addr };
	return 0;
}

/*
 * Who has one of @c open: every process's fd table (/proc/PID/fd). Only
 * links into /dev are stat'ed (a character device node lives there; a
 * stat of a file on a hung FUSE mount would hang this check). A device the
 * unbind takes away ends what the process does with it: --force.
 */
static void check_chardevs(const struct chardevs *c, struct findings *f)
{
	char path[PATH_MAX], target[PATH_MAX], comm[64];
	struct dirent *p, *e;
	DIR *proc, *fds;

	proc = opendir("/proc");
	while (proc && (p = readdir(proc))) {
		bool reported = false;

		if (p->d_name[0] < '1' || p->d_name[0] > '9' || atoi(p->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && !reported && (e = readdir(fds))) {
			struct stat st;
			ssize_t n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, e->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 5 || strncmp(target, "/dev/", 5) || stat(path, &st) || !S_ISCHR(st.st_mode))
				continue;
			target[n] = '\0';
			for (int k = 0; k < c->n && !reported; k++) {
				if (st.st_rdev != c->v[k].rdev)
					continue;
				snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
				if (read_line(path, comm, sizeof(comm)))
					snprintf(comm, sizeof(comm), "?");
				add(f, c->v[k].owner, "chardev", V_FORCE, "%s (%s) is open by pid %s (%s): "
				    "unbinding its driver takes it away from that process; --force if that "
				    "may end", c->v[k].node, target, p->d_name, comm);
				reported = true;	/* one finding a process */
			}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* What every device's checks share: the tables read once per group. */
struct check_ctx {
	const char *sysroot;
	int group;
	struct mount *mounts;
	int nmounts;		/* -1: no mount table */
	bool live;
	struct net net;
	int have_net;		/* 0 not opened yet, 1 open, -1 could not */
	char netroot[320];	/* the root filesystem over the network, or "" */
};

/*
 * One device's use. @vf_of: the physical function's address when @d is
 * one of its SR-IOV virtual functions, which are in groups of their own
 * and go away with the PF's driver.
 */
static void check_device(struct check_ctx *c, const struct ia_device *d, const char *vf_of,
			 bool unbind, struct findings *f)
{
	int nm = c->nmounts < 0 ? 0 : c->nmounts;

	if (!strncmp(d->driver, "vfio", 4))
		add(f, d->addr, "driver", V_REFUSED, "%s%s%sbound to %s: a VM or userspace driver "
		    "may own %s; release it and unbind %s first", vf_of ? "SR-IOV VF of " : "",
		    vf_of ? vf_of : "", vf_of ? ", " : "", d->driver,
		    vf_of ? "it (the PF's unbind removes it)" : "the group", d->driver);
	else if (vf_of)
		add(f, d->addr, "driver", V_OK, "SR-IOV VF of %s, %s", vf_of,
		    d->driver[0] ? d->driver : "no driver bound");
	else if (d->driver[0])
		add(f, d->addr, "driver", V_OK, "bound to %s: %s", d->driver,
		    unbind ? "unbound, then bound again" :
		    "stays bound, so what it carries is not at risk");
	else
		add(f, d->addr, "driver", V_OK, "no driver bound");
	/* A device that keeps its driver loses no address, mount or root. */
	if (!unbind)
		return;
	for (int k = 0; k < d->net.n; k++) {
		if (!c->live) {
			add(f, d->addr, "network", V_INFO, "%s: not checked below --sysroot "
			    "(addresses and routes are the running host's)", d->net.v[k]);
			continue;
		}
		if (!c->have_net) {
			c->have_net = net_open(&c->net) ? -1 : 1;
			if (c->have_net < 0)
				net_close(&c->net);
		}
		if (c->have_net < 0)
			add(f, d->addr, "network", V_FORCE, "%s: cannot read addresses and "
			    "routes over rtnetlink: treated as in use", d->net.v[k]);
		else
			check_iface(&c->net, d->addr, d->net.v[k], f);
	}
	/*
	 * sysfs shows a device's interfaces only in the namespace they are
	 * in: a bound network controller with none here has them elsewhere.
	 */
	if (c->live && !d->net.n && d->driver[0] && !strncmp(d->class_, "0x02", 4)) {
		int there = check_other_netns(d, f);

		if (there < 0)
			add(f, d->addr, "network", V_FORCE, "a network controller bound to %s with "
			    "no interface in this network namespace, and the others could not be "
			    "asked (root enters them): they may carry a container's traffic; "
			    "--force if they do not", d->driver);
		else if (!there)
			add(f, d->addr, "network", V_FORCE, "a network controller bound to %s with "
			    "no interface in any network namespace (its driver made none, or one "
			    "this program cannot see); --force if it carries nothing", d->driver);
	}
	/* / or /usr over the network: what --force overrode here it may not. */
	for (int k = 0; c->netroot[0] && k < f->n; k++) {
		struct finding *x = &f->v[k];
		size_t used = strlen(x->text);

		if (x->v != V_FORCE || strcmp(x->check, "network") || strcmp(x->device, d->addr))
			continue;
		x->v = V_REFUSED;
		snprintf(x->text + used, sizeof(x->text) - used, "; the system's own "
			 "filesystem is %s, which may travel over it", c->netroot);
	}
	if (c->nmounts < 0 && d->block.n)
		add(f, d->addr, "block", c->live ? V_REFUSED : V_INFO, "no mount table%s",
		    c->live ? ": cannot tell what is mounted" : " recorded below --sysroot");
	/* Holders and swap are checked with or without it. */
	for (int k = 0; k < d->block.n; k++)
		check_block(c->sysroot, d->addr, d->block.v[k], c->mounts, nm, f);
	if (!vf_of)
		check_virtio_mounts(c->sysroot, c->group, d, c->mounts, nm, f);
}

void check_group(const char *sysroot, const struct ia_group *g, bool unbind, struct findings *f)
{
	struct check_ctx c = { .sysroot = sysroot, .group = g->id, .live = !strcmp(sysroot, "/") };

	memset(f, 0, sizeof(*f));
	c.nmounts = read_mounts(sysroot, &c.mounts);
	if (c.nmounts > 0 && !root_over_network(sysroot, c.mounts, c.nmounts, c.netroot,
						sizeof(c.netroot)))
		c.netroot[0] = '\0';
	for (int i = 0; i < g->ndevs; i++) {
		const struct ia_device *d = &g->devs[i];

		check_device(&c, d, NULL, unbind, f);
		if (!unbind || !d->nvfs)
			continue;
		/*
		 * The PF's driver takes its VFs with it on unbind (SR-IOV is
		 * disabled), and nothing brings them back but a write to
		 * sriov_numvfs, which set-type does not make.
		 */
		add(f, d->addr, "sriov", V_FORCE, "%d SR-IOV VF%s enabled: unbinding %s removes "
		    "them, and they come back only when sriov_numvfs is written again (set-type "
		    "does not); --force if they may go", d->nvfs, d->nvfs == 1 ? "" : "s",
		    d->driver[0] ? d->driver : "its driver");
		for (int k = 0; k < d->nvfs; k++)
			check_device(&c, &d->vfs[k], d->addr, unbind, f);
	}
	/* Open character devices: one look at every process, for the group. */
	if (unbind && c.live) {
		struct chardevs cd = { 0 };
		int bad = 0;

		for (int i = 0; i < g->ndevs; i++) {
			bad |= add_chardevs(&g->devs[i], &cd);
			for (int k = 0; k < g->devs[i].nvfs; k++)
				bad |= add_chardevs(&g->devs[i].vfs[k], &cd);
		}
		if (bad)
			add(f, "-", "chardev", V_REFUSED, "out of memory listing the character "
			    "devices: treated as in use");
		else if (cd.n)
			check_chardevs(&cd, f);
		free(cd.v);
	}
	if (c.have_net > 0)
		net_close(&c.net);
	free(c.mounts);
}
