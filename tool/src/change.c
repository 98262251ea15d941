// SPDX-License-Identifier: GPL-2.0
/*
 * set-type: plan (kernel rules, safety checks), consent, then under a
 * host-wide lock: journal, unbind, write the type, bind again, verify,
 * drop the journal. Any failure puts the group back on its type and every
 * device back on its driver. recover does the same from the journal a
 * killed set-type left behind; explain and --dry-run print the plan.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libsmartcols.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "change.h"
#include "iommu_abi.h"
#include "checks.h"
#include "journal.h"
#include "model.h"
#include "persist.h"
#include "rules.h"
#include "sysfs_ops.h"
#include "target.h"
#include "util.h"

#define JOURNAL IA_RUNDIR "/journal"
#define LOCK IA_RUNDIR "/lock"

struct plan {
	struct ia_model m;
	const struct ia_group *g;
	enum group_type to;
	struct kver k;
	struct rule_result rule;
	struct findings f;
	char priv[320];		/* "" when privileged (or not asked) */
	int code;		/* what set-type exits with */
	char verdict[640];
	int nunbind;		/* devices set-type would unbind */
};

static void plan_free(struct plan *p)
{
	findings_free(&p->f);
	ia_free(&p->m);
}

static bool unbinds(const struct plan *p)
{
	return p->rule.verdict == RULE_CHANGE;
}

/*
 * Everything set-type decides before it changes anything. 0, or an exit
 * code with @why for a target, type or tree that cannot be planned for.
 */
static int plan_make(const struct set_opts *o, const char *target, const char *type,
		     struct plan *p, char *why, size_t whylen)
{
	char name[PATH_MAX];
	int gi;

	memset(p, 0, sizeof(*p));
	p->to = group_type_parse(type, true);
	if (p->to == GROUP_TYPE_UNKNOWN || p->to == GROUP_TYPE_BLOCKED) {
		snprintf(why, whylen, "unknown type '%s' (identity, DMA, DMA-FQ or auto)", type);
		return EXIT_USAGE;
	}
	if (ia_load(o->sysroot, &p->m, why, whylen))
		return EXIT_FAILED;
	gi = resolve_target(&p->m, target_name(&p->m, o->sysroot, target, name, sizeof(name)),
			    why, whylen);
	if (gi < 0) {
		ia_free(&p->m);
		return EXIT_USAGE;
	}
	if (kernel_release(o->sysroot, &p->k)) {
		snprintf(why, whylen, "cannot tell the kernel's version (its rules depend on it)%s",
			 strcmp(o->sysroot, "/") ? ": the tree has no readable "
			 "proc/sys/kernel/osrelease" : "");
		ia_free(&p->m);
		return EXIT_FAILED;
	}
	ia_add_names(&p->m);
	p->g = &p->m.groups[gi];
	kernel_rules(&p->k, iommu_driver_at(o->sysroot), p->g, p->to, &p->rule);
	check_group(o->sysroot, p->g, unbinds(p), &p->f);
	if (!strcmp(o->sysroot, "/"))
		check_privilege(p->priv, sizeof(p->priv));
	for (int i = 0; unbinds(p) && i < p->g->ndevs; i++)
		p->nunbind += !!p->g->devs[i].driver[0];

	if (p->priv[0]) {
		p->code = EXIT_PRIV;
		snprintf(p->verdict, sizeof(p->verdict), "not permitted: %s", p->priv);
	} else if (p->rule.verdict == RULE_REFUSED) {
		p->code = EXIT_KERNEL;
		strf(p->verdict, sizeof(p->verdict), "the kernel would refuse: %s%s%s",
			 p->rule.why, p->rule.advice[0] ? ". What you can do: " : "",
			 p->rule.advice);
	} else if (p->rule.verdict == RULE_NOOP) {
		p->code = EXIT_DONE;
		snprintf(p->verdict, sizeof(p->verdict), "nothing to do: %s", p->rule.why);
	} else if (findings_worst(&p->f, o->force) >= V_FORCE) {
		bool forceable = findings_worst(&p->f, 1) < V_REFUSED;

		p->code = EXIT_UNSAFE;
		snprintf(p->verdict, sizeof(p->verdict), "refused as unsafe: a device is in use "
			 "(%s)", forceable ?
			 "--force overrides the network, SR-IOV and open-device checks" :
			 "--force does not override this");
	} else {
		p->code = EXIT_DONE;
		snprintf(p->verdict, sizeof(p->verdict), "would change group %d from %s to %s%s",
			 p->g->id, p->g->type_text, group_type_name(p->to),
			 p->nunbind ? ", unbinding and rebinding its drivers" :
			 unbinds(p) ? " (no driver to unbind)" : " with drivers bound");
	}
	return 0;
}

/* ---- dry run and explain ---- */

static void row(struct libscols_table *tb, const char *a, const char *b, const char *c,
		const char *d)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);

	if (!ln)
		return;
	scols_line_set_data(ln, 0, a);
	scols_line_set_data(ln, 1, b);
	scols_line_set_data(ln, 2, c);
	scols_line_set_data(ln, 3, d);
}

static void print_dry_run(const struct set_opts *o, const struct plan *p)
{
	struct libscols_table *tb = scols_new_table();
	const struct ia_group *g = p->g;
	char grp[32], buf[640];

	if (!tb)
		return;
	scols_table_new_column(tb, "STEP", 9, 0);
	scols_table_new_column(tb, "DEVICE", 12, 0);
	scols_table_new_column(tb, "VERDICT", 8, 0);
	scols_table_new_column(tb, "DETAIL", 0.6, o->json ? 0 : SCOLS_FL_WRAP);
	scols_table_enable_json(tb, o->json);
	scols_table_enable_raw(tb, o->raw);
	scols_table_enable_noheadings(tb, o->noheadings);
	scols_table_set_name(tb, "plan");
	snprintf(grp, sizeof(grp), "group %d", g->id);
	if (strcmp(o->sysroot, "/"))
		row(tb, "privilege", "-", "info", "not checked below --sysroot");
	else
		row(tb, "privilege", "-", p->priv[0] ? "refused" : "ok",
		    p->priv[0] ? p->priv : "CAP_SYS_ADMIN and CAP_SYS_RAWIO");
	strf(buf, sizeof(buf), "%s%s%s", p->rule.why, p->rule.advice[0] ? ". " : "",
		 p->rule.advice);
	row(tb, "kernel", grp, p->rule.verdict == RULE_REFUSED ? "refused" : "ok", buf);
	for (int i = 0; i < p->f.n; i++)
		row(tb, p->f.v[i].check, p->f.v[i].device, verdict_name(p->f.v[i].v),
		    p->f.v[i].text);
	/* The steps, when there would be any. */
	if (!p->code && p->rule.verdict != RULE_NOOP) {
		row(tb, "plan", "-", "-", "take " LOCK ", write " JOURNAL);
		for (int i = 0; unbinds(p) && i < g->ndevs; i++) {
			if (!g->devs[i].driver[0])
				continue;
			snprintf(buf, sizeof(buf), "unbind from %s", g->devs[i].driver);
			row(tb, "plan", g->devs[i].addr, "-", buf);
		}
		snprintf(buf, sizeof(buf), "write %s to type (now %s)", group_type_name(p->to),
			 g->type_text);
		row(tb, "plan", grp, "-", buf);
		for (int i = 0; unbinds(p) && i < g->ndevs; i++) {
			if (!g->devs[i].driver[0])
				continue;
			snprintf(buf, sizeof(buf), "bind to %s, wait for its bind event",
				 g->devs[i].driver);
			row(tb, "plan", g->devs[i].addr, "-", buf);
		}
		row(tb, "plan", grp, "-", "verify type and bindings, remove the journal");
	}
	strf(buf, sizeof(buf), "%s (exit %d)", p->verdict, p->code);
	row(tb, "verdict", grp, p->code ? "refused" : "ok", buf);
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void print_explain(const struct plan *p)
{
	const struct ia_group *g = p->g;
	char esc[sizeof(p->f.v[0].text) * 4];
	int shown = 0;

	printf("Group %d is %s and holds %d device%s:\n", g->id, g->type_text, g->ndevs,
	       g->ndevs == 1 ? "" : "s");
	for (int i = 0; i < g->ndevs; i++) {
		const struct ia_device *d = &g->devs[i];

		char id[24] = "";

		if (d->vendor[0])
			snprintf(id, sizeof(id), " %s:%s", d->vendor, d->device);
		printf("  %s%s, %s%s%s%s\n", d->addr, id, d->driver[0] ? "driver " : "",
		       d->driver[0] ? d->driver : "no driver", d->name[0] ? ", " : "", d->name);
	}
	printf("\nTo make it %s on kernel %s: %s.\n", group_type_name(p->to), p->k.release, p->rule.why);
	if (p->rule.advice[0])
		printf("What you can do: %s.\n", p->rule.advice);
	if (p->rule.verdict == RULE_CHANGE && p->nunbind)
		printf("So iommu-admin would unbind %d driver%s, write the type, bind each device "
		       "to the driver it had, and check the result; if any step fails, it puts "
		       "the type and the drivers back.\n", p->nunbind, p->nunbind == 1 ? "" : "s");
	printf("\n");
	for (int i = 0; i < p->f.n; i++) {
		const struct finding *f = &p->f.v[i];

		if (f->v == V_OK)
			continue;
		/* Names in it (an interface's) are whoever set them: text, never escapes. */
		printf("%s %s (%s): %s.\n", f->device, f->check,
		       f->v == V_FORCE ? "refused unless --force" :
		       f->v == V_REFUSED ? "refused, even with --force" : "not checked",
		       safe_text(f->text, esc, sizeof(esc)));
		shown++;
	}
	if (!shown)
		printf("No device is in use in a way the change would break (addresses, routes, "
		       "mounts, swap, holders, the root filesystem, vfio).\n");
	if (p->priv[0])
		printf("This process may not make the change: %s.\n", p->priv);
	printf("\nVerdict: %s (set-type would exit %d).\n", p->verdict, p->code);
}

int cmd_explain(const struct set_opts *o, const char *target, const char *type)
{
	struct plan p;
	char why[512];
	int ret = plan_make(o, target, type, &p, why, sizeof(why));

	if (ret) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		return ret;
	}
	/* Prose for a person; the dry run's table for a program (-J, -r, -n). */
	if (o->dry_run || o->json || o->raw || o->noheadings)
		print_dry_run(o, &p);
	else
		print_explain(&p);
	ret = p.code;
	/* What set-type would answer first, whatever the plan: recover before anything. */
	if (!strcmp(o->sysroot, "/") && !access(JOURNAL, F_OK)) {
		fprintf(stderr, "iommu-admin: an interrupted set-type left %s: set-type would exit "
			"1 until 'iommu-admin recover' (or 'recover --discard')\n", JOURNAL);
		ret = EXIT_FAILED;
	}
	plan_free(&p);
	return ret;
}

/* ---- set-type and recover as data ---- */

/*
 * set-type and recover with -J, -r or -n: their lines go to stderr (they
 * are for a person) and stdout gets one table, shaped as the dry run's
 * plan (STEP, DEVICE, VERDICT, DETAIL): what was refused and why, or what
 * the journal said, each device's driver as read back from the kernel, and
 * the verdict with the exit code.
 */
void outcome_begin(const struct set_opts *o, struct outcome *oc, const char *name)
{
	oc->tb = NULL;
	oc->saved_stdout = -1;
	if (!o->json && !o->raw && !o->noheadings)
		return;
	oc->tb = scols_new_table();
	if (!oc->tb)
		return;
	scols_table_new_column(oc->tb, "STEP", 9, 0);
	scols_table_new_column(oc->tb, "DEVICE", 12, 0);
	scols_table_new_column(oc->tb, "VERDICT", 8, 0);
	scols_table_new_column(oc->tb, "DETAIL", 0.6, o->json ? 0 : SCOLS_FL_WRAP);
	scols_table_enable_json(oc->tb, o->json);
	scols_table_enable_raw(oc->tb, o->raw);
	scols_table_enable_noheadings(oc->tb, o->noheadings);
	scols_table_set_name(oc->tb, name);
	fflush(stdout);
	oc->saved_stdout = dup(STDOUT_FILENO);
	if (oc->saved_stdout >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
}

void outcome_row(struct outcome *oc, const char *step, const char *dev, const char *verdict,
		 const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	if (!oc->tb)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	row(oc->tb, step, dev, verdict, detail);
}

int outcome_end(struct outcome *oc, int code)
{
	if (!oc->tb)
		return code;
	outcome_row(oc, "verdict", "-", code == EXIT_DONE ? "ok" :
		    code == EXIT_UNSAFE || code == EXIT_KERNEL || code == EXIT_PRIV ? "refused" :
		    "failed", "exit %d", code);
	fflush(stdout);
	if (oc->saved_stdout >= 0) {
		dup2(oc->saved_stdout, STDOUT_FILENO);
		close(oc->saved_stdout);
	}
	scols_print_table(oc->tb);
	scols_unref_table(oc->tb);
	oc->tb = NULL;
	return code;
}

/*
 * Each device of the journal as the kernel has it now, read once: a row
 * (a one-word verdict), and with @lines a line for a person; for a device
 * the change left unbound, the command that binds it back.
 */
static void outcome_devices(struct outcome *oc, const struct journal *j, bool lines)
{
	char now[64], text[512];
	const char *v;

	for (int i = 0; (oc->tb || lines) && i < j->ndevs; i++) {
		const struct j_dev *d = &j->devs[i];
		int ret = dev_driver(j->group, d->addr, now, sizeof(now));

		if (ret == -ENODEV) {
			v = "gone";
			snprintf(text, sizeof(text), "no longer in group %d", j->group);
		} else if (ret) {
			v = "unknown";
			snprintf(text, sizeof(text), "its driver unreadable (%s)", strerror(-ret));
		} else if (!now[0] && d->driver[0]) {
			v = "unbound";
			snprintf(text, sizeof(text), "no driver (it had %s; to bind it: echo %s > "
				 "/sys/kernel/iommu_groups/%d/devices/%s/subsystem/drivers/%s/bind)",
				 d->driver, d->addr, j->group, d->addr, d->driver);
		} else {
			v = now[0] ? "bound" : "no driver";
			snprintf(text, sizeof(text), "%s%s", now[0] ? now : "no driver",
				 strcmp(now, d->driver) ? " (changed since the journal)" : "");
		}
		if (lines)
			printf("  %s: %s\n", d->addr, text);
		outcome_row(oc, "device", d->addr, v, "%s", text);
	}
}

/* ---- the lock ---- */

/*
 * IA_RUNDIR holds the lock and the journal recover acts on: only root may
 * have made it. A symlink, a file, another owner or a mode that lets
 * others in is refused, not repaired: what made it is for the
 * administrator to find out before anything trusts it.
 */
static int rundir_check(char *why, size_t whylen)
{
	struct stat st;

	if (mkdir(IA_RUNDIR, 0700) && errno != EEXIST) {
		snprintf(why, whylen, "%s: %s", IA_RUNDIR, strerror(errno));
		return -1;
	}
	if (lstat(IA_RUNDIR, &st)) {
		snprintf(why, whylen, "%s: %s", IA_RUNDIR, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory (%s): refusing to write through it; "
			 "remove it once you know what put it there", IA_RUNDIR,
			 S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(why, whylen, "%s is owned by uid %u with mode %04o, not a directory of "
			 "uid %u that only it may enter (0700): refusing to trust its lock and "
			 "journal; remove it once you know what made it", IA_RUNDIR,
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			 (unsigned int)geteuid());
		return -1;
	}
	return 0;
}

/* flock(LOCK_EX) on @fd, giving up after @limit_s seconds (0: never). */
static int flock_within(int fd, int limit_s)
{
	struct timespec start, now;

	if (!limit_s)
		return flock(fd, LOCK_EX);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= limit_s) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(100000);
	}
	return 0;
}

/*
 * Who holds the lock on @fd, as the kernel says (/proc/locks: the pid that
 * took the flock, matched by device and inode), its name from
 * /proc/PID/comm: "another iommu-admin (pid 12)" or "pid 12 (flock)".
 * The pid a holder wrote into the file is only a fallback: a program that
 * is not iommu-admin (flock(1), a backup script) writes none.
 */
static void lock_holder(int fd, char *who, size_t len)
{
	char line[256], path[64], comm[32] = "", written[32] = "";
	unsigned int maj, min;
	unsigned long ino;
	long pid = 0, p;
	struct stat st;
	FILE *f;
	ssize_t n;

	if (!fstat(fd, &st) && (f = fopen("/proc/locks", "re"))) {
		while (!pid && fgets(line, sizeof(line), f))
			if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &p, &maj, &min, &ino) == 4 &&
			    maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino && p > 0)
				pid = p;
		fclose(f);
	}
	if (!pid) {
		n = pread(fd, written, sizeof(written) - 1, 0);
		written[n > 0 ? n : 0] = '\0';
		pid = strtol(written, NULL, 10);
	}
	if (pid <= 0) {
		snprintf(who, len, "another program (pid unknown)");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (sysfs_read_str(path, comm, sizeof(comm)) < 0)
		snprintf(who, len, "pid %ld", pid);
	else if (!strncmp(comm, "iommu-admin", 11))
		snprintf(who, len, "another iommu-admin (pid %ld)", pid);
	else
		snprintf(who, len, "pid %ld (%s)", pid, comm);
}

static int lock_take(bool wait, int limit_s, char *why, size_t whylen)
{
	char holder[96] = "";
	int fd;

	if (rundir_check(why, whylen))
		return -1;
	fd = open(LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", LOCK, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		lock_holder(fd, holder, sizeof(holder));
		if (!wait) {
			snprintf(why, whylen, "%s holds %s: a group is being changed; "
				 "--wait waits for it", holder, LOCK);
			close(fd);
			return -2;
		}
		fprintf(stderr, "iommu-admin: waiting for %s to let go of %s\n", holder, LOCK);
		if (flock_within(fd, limit_s)) {
			int busy = errno == ETIMEDOUT;

			if (busy)
				snprintf(why, whylen, "%s still holds %s after %d s (--wait=%d)",
					 holder, LOCK, limit_s, limit_s);
			else
				snprintf(why, whylen, "%s: %s", LOCK, strerror(errno));
			close(fd);
			return busy ? -2 : -1;
		}
	}
	snprintf(holder, sizeof(holder), "%ld\n", (long)getpid());
	/* The pid is only for the message of whoever waits: failure is harmless. */
	if (!ftruncate(fd, 0))
		(void)!pwrite(fd, holder, strlen(holder), 0);
	return fd;
}

/* ---- doing it ---- */

static bool type_is(enum group_type now, enum group_type want)
{
	if (want == GROUP_TYPE_AUTO)
		return now == GROUP_TYPE_IDENTITY || now == GROUP_TYPE_DMA || now == GROUP_TYPE_DMA_FQ;
	return now == want;
}

/*
 * Bring the journal's group to type @t with every device on the driver
 * the journal says it had. Idempotent: what is already right is left
 * alone. 0, or -1 with @log saying what is still wrong.
 */
static int restore(const struct journal *j, enum group_type t, char *log, size_t loglen)
{
	char drv[64], why[1024];
	int bad = 0;

	log[0] = '\0';
	if (!type_is(group_type_now(j->group), t)) {
		for (int i = 0; i < j->ndevs; i++) {
			if (dev_driver(j->group, j->devs[i].addr, drv, sizeof(drv)) || !drv[0])
				continue;
			if (dev_unbind(j->group, j->devs[i].addr, why, sizeof(why))) {
				snprintf(log, loglen, "%s", why);
				return -1;
			}
		}
		if (group_write_type(j->group, t, why, sizeof(why))) {
			snprintf(log, loglen, "%s", why);
			bad = 1;	/* still bind the drivers back */
		}
	}
	for (int i = 0; i < j->ndevs; i++) {
		const struct j_dev *d = &j->devs[i];

		if (!d->driver[0] || (!dev_driver(j->group, d->addr, drv, sizeof(drv)) &&
				      !strcmp(drv, d->driver)))
			continue;
		if ((drv[0] && dev_unbind(j->group, d->addr, why, sizeof(why))) ||
		    dev_bind(j->group, d->addr, d->driver, why, sizeof(why))) {
			size_t used = strlen(log);

			snprintf(log + used, loglen - used, "%s%s", used ? "\n" : "", why);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/*
 * Type @t and the journal's bindings: what the change (or recover) left.
 * @recovering: a device the journal had without a driver may have one now
 * (bound since the crash): recover leaves it alone, so does this.
 */
static int verify(const struct journal *j, enum group_type t, bool recovering, char *why,
		  size_t whylen)
{
	enum group_type now = group_type_now(j->group);
	char drv[64];

	if (!type_is(now, t)) {
		snprintf(why, whylen, "group %d reads %s after writing %s", j->group,
			 group_type_name(now), group_type_name(t));
		return -1;
	}
	for (int i = 0; i < j->ndevs; i++) {
		if (recovering && !j->devs[i].driver[0])
			continue;
		if (dev_driver(j->group, j->devs[i].addr, drv, sizeof(drv)) ||
		    strcmp(drv, j->devs[i].driver)) {
			snprintf(why, whylen, "%s is bound to %s, not %s", j->devs[i].addr,
				 drv[0] ? drv : "nothing", j->devs[i].driver[0] ?
				 j->devs[i].driver : "nothing");
			return -1;
		}
	}
	return 0;
}

static int set_phase(struct journal *j, enum j_phase ph)
{
	int ret;

	j->phase = ph;
	ret = journal_write(JOURNAL, j);
	if (ret)
		fprintf(stderr, "iommu-admin: cannot update %s: %s\n", JOURNAL, strerror(-ret));
	return ret;
}

/* After a failed step: everything back as the journal found it. */
static int roll_back(struct journal *j, const char *what)
{
	char log[2048];

	fprintf(stderr, "iommu-admin: failed: %s\n", what);
	if (restore(j, j->from, log, sizeof(log))) {
		fprintf(stderr, "iommu-admin: ROLLBACK INCOMPLETE: %s\n"
			"iommu-admin: the journal %s is kept: run 'iommu-admin recover'\n",
			log, JOURNAL);
		return EXIT_FAILED;
	}
	journal_remove(JOURNAL);
	fprintf(stderr, "iommu-admin: rolled back: group %d is %s again, every device on its "
		"driver\n", j->group, group_type_name(j->from));
	return EXIT_FAILED;
}

static int execute(const struct plan *p, struct journal *j)
{
	const struct ia_group *g = p->g;
	char why[2048];
	int ret, k = 0;

	memset(j, 0, sizeof(*j));
	j->pid = (long)getpid();
	j->group = g->id;
	j->from = g->type;
	j->to = p->to;
	for (int i = 0; i < g->ndevs && i < J_MAX_DEVS; i++) {
		snprintf(j->devs[i].addr, sizeof(j->devs[i].addr), "%s", g->devs[i].addr);
		snprintf(j->devs[i].driver, sizeof(j->devs[i].driver), "%s", g->devs[i].driver);
		j->ndevs++;
	}
	if (g->ndevs > J_MAX_DEVS) {
		fprintf(stderr, "iommu-admin: group %d has more than %d devices\n", g->id,
			J_MAX_DEVS);
		return EXIT_FAILED;
	}
	ret = journal_write(JOURNAL, j);
	if (ret) {
		fprintf(stderr, "iommu-admin: cannot write %s: %s; nothing changed\n", JOURNAL,
			strerror(-ret));
		return EXIT_FAILED;
	}
	step_boundary("after-journal");
	if (unbinds(p)) {
		if (set_phase(j, PH_UNBIND))
			return roll_back(j, "journal update");
		for (int i = 0; i < j->ndevs; i++) {
			if (!j->devs[i].driver[0])
				continue;
			if (dev_unbind(g->id, j->devs[i].addr, why, sizeof(why)))
				return roll_back(j, why);
			step_boundary("after-unbind:%d", ++k);
		}
	}
	if (set_phase(j, PH_TYPE))
		return roll_back(j, "journal update");
	if (group_write_type(g->id, p->to, why, sizeof(why)))
		return roll_back(j, why);
	step_boundary("after-type");
	if (set_phase(j, PH_REBIND))
		return roll_back(j, "journal update");
	k = 0;
	for (int i = 0; unbinds(p) && i < j->ndevs; i++) {
		if (!j->devs[i].driver[0])
			continue;
		if (dev_bind(g->id, j->devs[i].addr, j->devs[i].driver, why, sizeof(why)))
			return roll_back(j, why);
		step_boundary("after-bind:%d", ++k);
	}
	if (set_phase(j, PH_VERIFY))
		return roll_back(j, "journal update");
	if (verify(j, j->to, false, why, sizeof(why)))
		return roll_back(j, why);
	step_boundary("after-verify");
	ret = journal_remove(JOURNAL);
	if (ret)
		fprintf(stderr, "iommu-admin: done, but cannot remove %s: %s\n", JOURNAL,
			strerror(-ret));
	return EXIT_DONE;
}

/*
 * Signals that would stop the program half way: a Ctrl-C, a kill, the SSH
 * session that carried it hanging up, a closed terminal. Held back from
 * the journal to its removal (or the rollback's end), then let through:
 * the device is back on its driver before the signal ends the program.
 * SIGKILL cannot be held: the journal and recover cover it.
 */
static void defer_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void release_signals(const sigset_t *old)
{
	sigset_t pending;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	if (!sigpending(&pending))
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (sigismember(&pending, sigs[i]))
				fprintf(stderr, "iommu-admin: %s arrived during the change: the change "
					"was completed (or rolled back) first\n", strsignal(sigs[i]));
	/* SIGPIPE: a write to a closed terminal fails with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_SETMASK, old, NULL);
}

static bool consent(const struct set_opts *o, const struct plan *p)
{
	char answer[16] = "";

	if (o->yes || !p->nunbind)
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "iommu-admin: set-type unbinds %d device%s of group %d from their "
			"drivers:\n", p->nunbind, p->nunbind == 1 ? "" : "s", p->g->id);
		for (int i = 0; i < p->g->ndevs; i++)
			if (p->g->devs[i].driver[0])
				fprintf(stderr, "  %s (%s)\n", p->g->devs[i].addr,
					p->g->devs[i].driver);
		fprintf(stderr, "iommu-admin: not a terminal: confirm with --yes\n");
		return false;
	}
	printf("Group %d: %s -> %s. These devices lose their drivers until the change is "
	       "made:\n", p->g->id, p->g->type_text, group_type_name(p->to));
	for (int i = 0; i < p->g->ndevs; i++)
		if (p->g->devs[i].driver[0])
			printf("  %s %s (%s)\n", p->g->devs[i].addr, p->g->devs[i].name,
			       p->g->devs[i].driver);
	printf("Proceed? [y/N] ");
	fflush(stdout);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

static int persist(const struct set_opts *o, const struct plan *p)
{
	struct wishes w;
	char why[512];

	if (wishes_load(o->root, &w, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: --persist: %s\n", why);
		return EXIT_FAILED;
	}
	/*
	 * Every device of the group: whichever appears first at boot applies
	 * it. auto is what the kernel gives every group at boot: recorded, it
	 * would unbind and rebind the group at every boot for nothing, so it
	 * drops the group's entries instead.
	 */
	for (int i = 0; i < p->g->ndevs; i++) {
		if (p->to == GROUP_TYPE_AUTO) {
			wishes_drop(&w, p->g->devs[i].addr);
		} else if (wishes_set(&w, p->g->devs[i].addr, p->to)) {
			fprintf(stderr, "iommu-admin: --persist: %d devices have a persisted type "
				"already, the most there may be; nothing recorded\n", P_MAX);
			return EXIT_FAILED;
		}
	}
	if (wishes_save(o->root, &w, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: --persist: %s\n", why);
		return EXIT_FAILED;
	}
	if (!o->quiet && p->to == GROUP_TYPE_AUTO)
		printf("iommu-admin: group %d: auto is the kernel's own choice at every boot: "
		       "nothing recorded, and any type recorded for it dropped\n", p->g->id);
	else if (!o->quiet)
		printf("iommu-admin: group %d: %s recorded for the next boots\n", p->g->id,
		       group_type_name(p->to));
	return EXIT_DONE;
}

/*
 * A finding that refuses the change (--force lifts V_FORCE ones): said as
 * a line, escaped, and as an outcome row. Whether it refused.
 */
static bool refusing(const struct set_opts *o, const struct finding *f, struct outcome *oc)
{
	char esc[sizeof(f->text) * 4];

	if (f->v != V_REFUSED && (f->v != V_FORCE || o->force))
		return false;
	fprintf(stderr, "iommu-admin:   %s %s: %s%s\n", f->device, f->check,
		safe_text(f->text, esc, sizeof(esc)), f->v == V_FORCE ? " (--force overrides)" : "");
	outcome_row(oc, f->check, f->device, verdict_name(f->v), "%s", f->text);
	return true;
}

/* Why set-type refused, as lines and as the outcome's rows. */
static void print_refusal(const struct set_opts *o, const struct plan *p, struct outcome *oc)
{
	char grp[32];

	fprintf(stderr, "iommu-admin: group %d: %s\n", p->g->id, p->verdict);
	snprintf(grp, sizeof(grp), "group %d", p->g->id);
	if (p->rule.verdict == RULE_REFUSED)
		outcome_row(oc, "kernel", grp, "refused", "%s", p->rule.why);
	if (p->priv[0])
		outcome_row(oc, "privilege", "-", "refused", "%s", p->priv);
	for (int i = 0; i < p->f.n; i++)
		refusing(o, &p->f.v[i], oc);
	fprintf(stderr, "iommu-admin: nothing changed\n");
}

int cmd_set_type(const struct set_opts *o, const char *target, const char *type)
{
	struct outcome oc;
	struct journal j;
	struct plan p;
	char why[512];
	int lock = -1, ret;

	if (o->dry_run)
		return cmd_explain(o, target, type);
	if (strcmp(o->sysroot, "/")) {
		fprintf(stderr, "iommu-admin: --sysroot is for reading: set-type changes only "
			"the running system (--dry-run or explain show the plan)\n");
		return EXIT_USAGE;
	}
	if (group_type_parse(type, true) == GROUP_TYPE_UNKNOWN || group_type_parse(type, true) == GROUP_TYPE_BLOCKED) {
		fprintf(stderr, "iommu-admin: unknown type '%s' (identity, DMA, DMA-FQ or auto)\n",
			type);
		return EXIT_USAGE;
	}
	outcome_begin(o, &oc, "change");
	if (check_privilege(why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "privilege", "-", "refused", "%s", why);
		return outcome_end(&oc, EXIT_PRIV);
	}
	lock = lock_take(o->wait, o->wait_limit_s, why, sizeof(why));
	if (lock < 0) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "lock", "-", lock == -2 ? "busy" : "failed", "%s", why);
		return outcome_end(&oc, lock == -2 ? EXIT_BUSY : EXIT_FAILED);
	}
	if (!access(JOURNAL, F_OK)) {
		fprintf(stderr, "iommu-admin: an interrupted set-type left %s: run 'iommu-admin "
			"recover' first\n", JOURNAL);
		outcome_row(&oc, "journal", "-", "pending", "%s is there: run 'iommu-admin "
			    "recover' first", JOURNAL);
		close(lock);
		return outcome_end(&oc, EXIT_FAILED);
	}
	/* A type recorded that nothing applies at boot would be a silent loss. */
	if (o->persist && hooks_installed(o->root, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: --persist: %s; nothing changed\n", why);
		outcome_row(&oc, "persist", "-", "refused", "%s", why);
		close(lock);
		return outcome_end(&oc, EXIT_FAILED);
	}
	/* Planned under the lock: what another set-type changed is seen. */
	ret = plan_make(o, target, type, &p, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "plan", "-", "failed", "%s", why);
		close(lock);
		return outcome_end(&oc, ret);
	}
	snprintf(why, sizeof(why), "group %d", p.g->id);
	if (p.code) {
		print_refusal(o, &p, &oc);
		ret = p.code;
	} else if (p.rule.verdict == RULE_NOOP) {
		if (!o->quiet)
			printf("iommu-admin: %s\n", p.verdict);
		outcome_row(&oc, "type", why, "unchanged", "%s", p.verdict);
		ret = EXIT_DONE;
	} else if (!consent(o, &p)) {
		fprintf(stderr, "iommu-admin: not confirmed; nothing changed\n");
		outcome_row(&oc, "consent", why, "refused", "not confirmed; nothing changed");
		ret = EXIT_USAGE;
	} else {
		sigset_t old;

		defer_signals(&old);
		ret = execute(&p, &j);
		if (!ret && !o->quiet)
			printf("iommu-admin: group %d: %s -> %s%s\n", p.g->id, p.g->type_text,
			       group_type_name(group_type_now(p.g->id)),
			       p.nunbind ? "; every device back on its driver" : "");
		fflush(stdout);
		release_signals(&old);
		/* What the kernel says now, whether it was made or rolled back. */
		outcome_row(&oc, "type", why, ret ? "rolled back" : "changed", "%s -> %s, now %s",
			    p.g->type_text, group_type_name(p.to),
			    group_type_name(group_type_now(p.g->id)));
		outcome_devices(&oc, &j, false);
	}
	if (!ret && o->persist) {
		ret = persist(o, &p);
		outcome_row(&oc, "persist", why, ret ? "failed" : "recorded", "%s at every boot",
			    group_type_name(p.to));
	}
	plan_free(&p);
	close(lock);
	return outcome_end(&oc, ret);
}

/*
 * Whether recover may bring the journal's group to @t: it unbinds a device
 * that has a driver now when the type must be written, or when its driver
 * is not the journal's (bound since, by hand or by another tool). Such a
 * device gets set-type's in-use checks; 0, or EXIT_UNSAFE with the
 * findings printed.
 */
static int recover_safe(const struct set_opts *o, const struct journal *j, enum group_type t,
			struct outcome *oc)
{
	bool write_type = !type_is(group_type_now(j->group), t), any = false;
	char why[512], drv[64];
	struct findings f = { 0 };
	struct ia_model m;
	const struct ia_group *g = NULL;
	enum verdict worst = V_OK;

	for (int i = 0; i < j->ndevs && !any; i++)
		any = !dev_driver(j->group, j->devs[i].addr, drv, sizeof(drv)) && drv[0] &&
		      (write_type || (j->devs[i].driver[0] && strcmp(drv, j->devs[i].driver)));
	if (!any)
		return 0;
	if (ia_load("/", &m, why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: recover would unbind a device, and cannot check "
			"it: %s\n", why);
		outcome_row(oc, "checks", "-", "failed", "cannot check the devices: %s", why);
		return EXIT_FAILED;
	}
	ia_add_names(&m);
	for (int i = 0; i < m.ngroups && !g; i++)
		if (m.groups[i].id == j->group)
			g = &m.groups[i];
	if (g)
		check_group("/", g, true, &f);
	for (int i = 0; i < f.n; i++)
		if (f.v[i].v > worst && (f.v[i].v == V_REFUSED || !o->force))
			worst = f.v[i].v;
	if (worst >= V_FORCE) {
		fprintf(stderr, "iommu-admin: recover would unbind drivers of group %d, and a "
			"device is in use:\n", j->group);
		for (int i = 0; i < f.n; i++)
			refusing(o, &f.v[i], oc);
		fprintf(stderr, "iommu-admin: nothing changed; %s is kept ('recover --discard' "
			"drops it and leaves everything as it is)\n", JOURNAL);
	}
	findings_free(&f);
	ia_free(&m);
	return worst >= V_FORCE ? EXIT_UNSAFE : 0;
}

#define JOURNAL_DISCARDED IA_RUNDIR "/journal.discarded"

/*
 * recover --discard: the journal set aside (kept as JOURNAL_DISCARDED, for
 * whoever looks into what happened), nothing changed, and the state it
 * leaves said device by device: a device the interrupted change unbound
 * stays unbound, and the line says how to bind it back.
 */
static int discard(struct outcome *oc)
{
	char why[512];
	enum group_type now_type;
	struct journal j;
	int ret;

	ret = journal_read(JOURNAL, &j, why, sizeof(why));
	if (ret == -ENOENT) {
		printf("iommu-admin: nothing to discard (no %s)\n", JOURNAL);
		outcome_row(oc, "journal", "-", "none", "no %s", JOURNAL);
		return EXIT_DONE;
	}
	now_type = group_type_now(j.group);
	if (journal_set_aside(JOURNAL, JOURNAL_DISCARDED)) {
		fprintf(stderr, "iommu-admin: cannot set %s aside as %s: %s\n", JOURNAL,
			JOURNAL_DISCARDED, strerror(errno));
		return EXIT_FAILED;
	}
	if (ret) {
		printf("iommu-admin: discarded %s, which could not be read (%s); kept as %s.\n"
		       "iommu-admin: nothing was changed; what it described is unknown: "
		       "'iommu-admin list' shows devices without a driver\n", JOURNAL,
		       ret == -EINVAL ? why : strerror(-ret), JOURNAL_DISCARDED);
		outcome_row(oc, "journal", "-", "discarded", "could not be read (%s); kept as %s",
			    ret == -EINVAL ? why : strerror(-ret), JOURNAL_DISCARDED);
		return EXIT_DONE;
	}
	outcome_row(oc, "journal", "-", "discarded",
		    "set-type of group %d (%s -> %s, pid %ld) stopped at '%s'; kept as %s", j.group,
		    group_type_name(j.from), group_type_name(j.to), j.pid, phase_name(j.phase),
		    JOURNAL_DISCARDED);
	printf("iommu-admin: discarded the journal of a set-type of group %d (%s -> %s, pid %ld, "
	       "stopped at '%s'); kept as %s. Nothing was changed: group %d %s %s\n",
	       j.group, group_type_name(j.from), group_type_name(j.to), j.pid, phase_name(j.phase),
	       JOURNAL_DISCARDED, j.group, now_type == GROUP_TYPE_UNKNOWN ? "has" : "is",
	       now_type == GROUP_TYPE_UNKNOWN ? "no readable type (gone?)" :
	       group_type_name(now_type));
	outcome_devices(oc, &j, true);
	return EXIT_DONE;
}

int cmd_recover(const struct set_opts *o)
{
	struct outcome oc;
	struct journal j;
	char why[2048];
	sigset_t old;
	int lock, ret;
	bool finish;

	if (strcmp(o->sysroot, "/")) {
		/* The journal and the devices are the running system's, never a tree's. */
		fprintf(stderr, "iommu-admin: --sysroot is for reading: recover acts only on "
			"the running system\n");
		return EXIT_USAGE;
	}
	outcome_begin(o, &oc, "recovery");
	if (check_privilege(why, sizeof(why))) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "privilege", "-", "refused", "%s", why);
		return outcome_end(&oc, EXIT_PRIV);
	}
	lock = lock_take(true, 0, why, sizeof(why));
	if (lock < 0) {
		fprintf(stderr, "iommu-admin: %s\n", why);
		outcome_row(&oc, "lock", "-", "failed", "%s", why);
		return outcome_end(&oc, EXIT_FAILED);
	}
	if (o->discard) {
		ret = discard(&oc);
		close(lock);
		return outcome_end(&oc, ret);
	}
	ret = journal_read(JOURNAL, &j, why, sizeof(why));
	if (ret == -ENOENT) {
		if (!o->quiet)
			printf("iommu-admin: nothing to recover (no %s)\n", JOURNAL);
		outcome_row(&oc, "journal", "-", "none", "no %s: nothing to recover", JOURNAL);
		close(lock);
		return outcome_end(&oc, EXIT_DONE);
	}
	if (ret) {
		fprintf(stderr, "iommu-admin: %s: %s\niommu-admin: it cannot be applied; "
			"'iommu-admin recover --discard' drops it and changes nothing\n", JOURNAL,
			ret == -EINVAL ? why : strerror(-ret));
		outcome_row(&oc, "journal", "-", "unreadable", "%s; recover --discard drops it",
			    ret == -EINVAL ? why : strerror(-ret));
		close(lock);
		return outcome_end(&oc, EXIT_FAILED);
	}
	/*
	 * Past the type write, with the new type in place: finish the change
	 * (bind the drivers back). Before it: undo (same, with the old type).
	 */
	finish = j.phase >= PH_TYPE && type_is(group_type_now(j.group), j.to) &&
		 j.from != j.to;
	if (!o->quiet)
		fprintf(stderr, "iommu-admin: recovering group %d from a set-type (%s -> %s, "
			"pid %ld) stopped at '%s': %s\n", j.group, group_type_name(j.from),
			group_type_name(j.to), j.pid, phase_name(j.phase),
			finish ? "finishing it" : "undoing it");
	snprintf(why, sizeof(why), "group %d", j.group);
	outcome_row(&oc, "journal", why, finish ? "finish" : "undo",
		    "set-type %s -> %s (pid %ld) stopped at '%s'", group_type_name(j.from),
		    group_type_name(j.to), j.pid, phase_name(j.phase));
	ret = recover_safe(o, &j, finish ? j.to : j.from, &oc);
	if (ret) {
		close(lock);
		return outcome_end(&oc, ret);
	}
	defer_signals(&old);
	ret = restore(&j, finish ? j.to : j.from, why, sizeof(why));
	/* What restore says it did, read back from the kernel. */
	if (!ret)
		ret = verify(&j, finish ? j.to : j.from, true, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "iommu-admin: recovery incomplete: %s\niommu-admin: %s is kept: "
			"run recover again once that is fixed, or 'recover --discard' to drop it "
			"and leave everything as it is\n", why, JOURNAL);
		outcome_row(&oc, "restore", "-", "failed", "%s; the journal is kept", why);
	} else {
		journal_remove(JOURNAL);
		if (!o->quiet)
			printf("iommu-admin: %s: group %d is %s, every device on its driver\n",
			       finish ? "finished" : "undone", j.group,
			       group_type_name(group_type_now(j.group)));
	}
	fflush(stdout);
	release_signals(&old);
	close(lock);
	snprintf(why, sizeof(why), "group %d", j.group);
	outcome_row(&oc, "type", why, "now", "%s", group_type_name(group_type_now(j.group)));
	outcome_devices(&oc, &j, false);
	return outcome_end(&oc, ret ? EXIT_FAILED : EXIT_DONE);
}
