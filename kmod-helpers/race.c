// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-reporting races (SPEC §3): the module plays the IOMMU driver that
 * reports faults and the consumers that register, unregister and answer,
 * all at once, and checks on every handler call and at every unregister
 * what the API promises. Handler data is never freed while a scenario
 * runs (it is poisoned instead), so a broken kernel or a broken mock shows
 * up as a counted violation rather than as memory corruption here.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "iconf.h"
#include "mock.h"

#if ICONF_HAVE_IOPF_HANDLE
ICONF_IMPORT_IOMMUFD_NS();
#endif

#define RACE_LIVE	0x11fe11feU
#define RACE_DEAD	0xdead0f00U
#define RACE_REGS	65536	/* handler data, reused round robin */
#define RACE_QLEN	64	/* page requests awaiting our answer */
#define RACE_GRACE_MS	10000	/* past the bound, the threads are stuck */
#define RACE_PRQ_EVERY	8	/* one report in this many is a page request */

/* A fault's address says which thread reported it, and its sequence. */
#define RACE_TAG(thr, n)	(((u64)(thr) << 40) | (((n) & 0xfffffffULL) << 12))
#define RACE_TAG_THREAD(a)	((a) >> 40)

/* One registration's handler data, or one domain handler's token. */
struct race_reg {
	u32 magic;		/* RACE_LIVE until its unregister returned */
	u32 gen;
	atomic_t running;	/* handler calls inside it right now */
	struct race *r;
};

struct race;

#if ICONF_HAVE_IOPF_HANDLE
/* An attach handle: the core hands it back in every iopf_group. */
struct race_handle {
	struct iommu_attach_handle h;
	struct race_reg reg;
};

#define RACE_HANDLES	4096
#define RACE_GRPS	4096	/* answer slots; a slot is reused RACE_GRPS later */
/* A slot: raised by a reporter, then ICONF_RSI_ANSWER(count, last code). */
#define RACE_RAISED	(1 << 16)
#define RACE_ANSWERS(v)	((v) & 0xffff)
#endif

struct race_worker {
	struct race *r;
	unsigned int idx;
	int (*fn)(struct race_worker *w);
};

#if ICONF_HAVE_DEV_FAULT_API
typedef int (*race_report_fn)(struct device *dev, struct iommu_fault_event *evt);
#endif

struct race {
	struct device *dev;
	struct iommu_domain *domain;
	u32 threads, flags;
	u64 iterations, start, deadline;
	bool page_req;
	bool stop;
#if ICONF_HAVE_DEV_FAULT_API
	race_report_fn report;
#endif

	atomic_t workers;
	struct completion done;

	atomic64_t ops, registered, busy, reports, handled, no_handler;
	atomic64_t page_requests, responses;
	atomic_t response_ret;
	atomic_t violations[ICONF_RV_NR];
	spinlock_t vlock;	/* first_ns and detail */
	u64 first_ns;
	char detail[96];

	struct race_reg *regs;
	atomic_t next_reg;
	atomic_t owner;		/* registering thread that holds the registration */

	spinlock_t qlock;	/* the handler adds, the owner answers */
	struct { u32 gen, grpid; } q[RACE_QLEN];
	unsigned int qlen;
	atomic_t grpid;

	atomic64_t dom_gen;	/* the domain handler generation installed */
	u64 min_gen[ICONF_RACE_MAX_THREADS];

#if ICONF_HAVE_IOPF_HANDLE
	struct iommu_group *group;
	struct iommu_domain *iopf_dom[2];	/* attached in turn */
	struct race_handle *handles;		/* RACE_HANDLES, round robin */
	atomic_t next_handle;
	atomic_t *answers;			/* RACE_GRPS slots, by group id */
	int (*page_request)(struct device *dev, struct iopf_fault *evt);
	int (*set_answer_hook)(struct device *dev, iconf_mock_answer_fn fn, void *data);
	struct list_head held;			/* groups the consumer answers later */
	bool contract, contract_leave;
	struct iopf_group *kept;		/* IOPF_CONTRACT's held group */
	size_t group_faults;
#endif
};

static __printf(3, 4) void race_violation(struct race *r, int kind, const char *fmt, ...)
{
	unsigned long fl;
	va_list args;

	atomic_inc(&r->violations[kind]);
	spin_lock_irqsave(&r->vlock, fl);
	if (!r->first_ns) {
		r->first_ns = max_t(u64, ktime_get_ns() - r->start, 1);
		va_start(args, fmt);
		vsnprintf(r->detail, sizeof(r->detail), fmt, args);
		va_end(args);
	}
	spin_unlock_irqrestore(&r->vlock, fl);
	if (r->flags & ICONF_RACE_STOP_AT_VIOLATION)
		WRITE_ONCE(r->stop, true);
}

static bool race_over(struct race *r, u64 n)
{
	return READ_ONCE(r->stop) || ktime_get_ns() >= r->deadline ||
	       (r->iterations && n >= r->iterations);
}

static struct race_reg *race_new_reg(struct race *r)
{
	u32 gen = atomic_inc_return(&r->next_reg);
	struct race_reg *reg = &r->regs[gen % RACE_REGS];

	reg->gen = gen;
	atomic_set(&reg->running, 0);
	reg->r = r;
	WRITE_ONCE(reg->magic, RACE_LIVE);
	return reg;
}

static int race_refs(struct device *dev)
{
	return kref_read(&dev->kobj.kref);
}

#if ICONF_HAVE_DEV_FAULT_API

static bool race_push(struct race *r, u32 gen, u32 grpid)
{
	bool ok;

	spin_lock(&r->qlock);
	ok = r->qlen < RACE_QLEN;
	if (ok) {
		r->q[r->qlen].gen = gen;
		r->q[r->qlen++].grpid = grpid;
	}
	spin_unlock(&r->qlock);
	return ok;
}

/*
 * Requests registration @gen accepted and nobody answered. Only its own:
 * once it is gone, the next registration's handler may be queueing more.
 */
static unsigned int race_queued(struct race *r, u32 gen)
{
	unsigned int i, n = 0;

	spin_lock(&r->qlock);
	for (i = 0; i < r->qlen; i++)
		n += r->q[i].gen == gen;
	spin_unlock(&r->qlock);
	return n;
}

/* Answer every page request the handler accepted; how many there were. */
static unsigned int race_answer(struct race *r)
{
	struct iommu_page_response msg = {
		.argsz = sizeof(msg),
		.version = IOMMU_PAGE_RESP_VERSION_1,
		.code = IOMMU_PAGE_RESP_INVALID,	/* nothing was mapped */
	};
	unsigned int n = 0;
	bool more = true;

	while (more) {
		spin_lock(&r->qlock);
		more = r->qlen > 0;
		if (more)
			msg.grpid = r->q[--r->qlen].grpid;
		spin_unlock(&r->qlock);
		if (!more)
			break;
		atomic_set(&r->response_ret, iommu_page_response(r->dev, &msg));
		atomic64_inc(&r->responses);
		atomic64_inc(&r->ops);
		n++;
	}
	return n;
}

static int race_dev_handler(struct iommu_fault *fault, void *data)
{
	struct race_reg *reg = data;
	struct race *r = reg->r;
	u32 magic = READ_ONCE(reg->magic);
	u64 addr;
	int ret = 0;

	atomic_inc(&reg->running);
	atomic64_inc(&r->handled);
	if (magic != RACE_LIVE)
		race_violation(r, ICONF_RV_AFTER_UNREG,
			       "device handler ran with registration %u's data after its unregister returned",
			       reg->gen);
	addr = fault->type == IOMMU_FAULT_PAGE_REQ ? fault->prm.addr : fault->event.addr;
	if ((fault->type != IOMMU_FAULT_PAGE_REQ && fault->type != IOMMU_FAULT_DMA_UNRECOV) ||
	    RACE_TAG_THREAD(addr) >= r->threads)
		race_violation(r, ICONF_RV_FAULT_ARGS,
			       "device handler got fault type %u addr %#llx, never reported",
			       fault->type, addr);
	if (fault->type == IOMMU_FAULT_PAGE_REQ &&
	    (fault->prm.flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE)) {
		/* Accepted: it stays pending until the owner answers it. */
		if (race_push(r, reg->gen, fault->prm.grpid))
			atomic64_inc(&r->page_requests);
		else
			ret = -ENOSPC;
	}
	atomic_dec(&reg->running);
	return ret;
}

static void race_fill(struct race *r, struct iommu_fault_event *evt,
		      unsigned int thr, u64 n, bool prq)
{
	memset(evt, 0, sizeof(*evt));
	if (prq) {
		evt->fault.type = IOMMU_FAULT_PAGE_REQ;
		evt->fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
		evt->fault.prm.grpid = atomic_inc_return(&r->grpid) & 0x1ff;
		evt->fault.prm.perm = IOMMU_FAULT_PERM_READ;
		evt->fault.prm.addr = RACE_TAG(thr, n);
	} else {
		evt->fault.type = IOMMU_FAULT_DMA_UNRECOV;
		evt->fault.event.reason = IOMMU_FAULT_REASON_PTE_FETCH;
		evt->fault.event.flags = IOMMU_FAULT_UNRECOV_ADDR_VALID;
		evt->fault.event.perm = IOMMU_FAULT_PERM_WRITE;
		evt->fault.event.addr = RACE_TAG(thr, n);
	}
}

static int race_dev_reporter(struct race_worker *w)
{
	struct race *r = w->r;
	struct iommu_fault_event evt;
	u64 n;

	for (n = 0; !race_over(r, n); n++) {
		bool prq = r->page_req && n % RACE_PRQ_EVERY == RACE_PRQ_EVERY - 1;
		int ret;

		race_fill(r, &evt, w->idx, n, prq);
		ret = r->report(r->dev, &evt);
		atomic64_inc(&r->reports);
		atomic64_inc(&r->ops);
		if (ret == -EINVAL)
			atomic64_inc(&r->no_handler);
		else if (ret && !(prq && ret == -ENOSPC))	/* -ENOSPC: our queue */
			race_violation(r, ICONF_RV_RETCODE,
				       "report: %d (expected 0, or -EINVAL with no handler)", ret);
		cond_resched();
	}
	return 0;
}

/*
 * Unregister @reg's registration, answering its pending page requests
 * between tries as a consumer would. Only this thread answers, so every
 * request the core still holds is in our queue: -EBUSY with an empty
 * queue, or success with a full one, is the core getting it wrong.
 */
static int race_unregister(struct race *r, struct race_reg *reg, int me)
{
	u64 giveup = r->deadline + RACE_GRACE_MS / 2 * NSEC_PER_MSEC;
	unsigned int pending;
	int ret;

	for (;;) {
		atomic_set(&r->owner, 0);
		ret = iommu_unregister_device_fault_handler(r->dev);
		atomic64_inc(&r->ops);
		if (ret != -EBUSY)
			break;
		atomic64_inc(&r->busy);
		if (atomic_cmpxchg(&r->owner, 0, me))
			race_violation(r, ICONF_RV_DOUBLE_REG,
				       "a registration succeeded while registration %u was still held",
				       reg->gen);
		if (r->flags & ICONF_RACE_FOREIGN_RESPONSE)
			cond_resched();	/* the responder thread answers */
		else if (!race_answer(r))
			race_violation(r, ICONF_RV_PENDING,
				       "unregister: -EBUSY with no page request pending");
		if (ktime_get_ns() > giveup)
			return ret;
	}
	if (ret) {
		race_violation(r, ICONF_RV_RETCODE,
			       "unregister: %d (expected 0 or -EBUSY)", ret);
		return ret;
	}
	pending = race_queued(r, reg->gen);
	if (pending)
		race_violation(r, ICONF_RV_PENDING,
			       "unregister succeeded with %u page request(s) unanswered",
			       pending);
	if (atomic_read(&reg->running))
		race_violation(r, ICONF_RV_RUNNING_AT_UNREG,
			       "unregister of registration %u returned while its handler ran",
			       reg->gen);
	WRITE_ONCE(reg->magic, RACE_DEAD);
	return 0;
}

static int race_dev_registrar(struct race_worker *w)
{
	struct race *r = w->r;
	struct race_reg *reg = NULL;
	int me = w->idx + 1;
	u64 n;

	for (n = 0; !race_over(r, n); n++) {
		int ret;

		/*
		 * A refused attempt keeps its data for the next one: a fresh
		 * slot per attempt would wrap the pool onto live registrations.
		 */
		if (!reg)
			reg = race_new_reg(r);
		ret = iommu_register_device_fault_handler(r->dev, race_dev_handler, reg);
		atomic64_inc(&r->ops);
		if (ret) {
			if (ret == -EBUSY)
				atomic64_inc(&r->busy);
			else
				race_violation(r, ICONF_RV_RETCODE,
					       "register: %d (expected 0 or -EBUSY)", ret);
			cond_resched();
			continue;
		}
		if (atomic_cmpxchg(&r->owner, 0, me))
			race_violation(r, ICONF_RV_DOUBLE_REG,
				       "registration %u succeeded while another was held", reg->gen);
		atomic64_inc(&r->registered);
		/* Held for a moment, so that reports find it. */
		if (n & 1)
			cond_resched();
		else
			usleep_range(10, 30);
		if (race_unregister(r, reg, me))
			return -EIO;	/* still registered: the end checks say so */
		reg = NULL;
	}
	if (reg)
		WRITE_ONCE(reg->magic, RACE_DEAD);
	return 0;
}

static int race_dev_responder(struct race_worker *w)
{
	struct race *r = w->r;
	u64 n;

	for (n = 0; !race_over(r, n); n++)
		if (!race_answer(r))
			cond_resched();
	return 0;
}

static int race_core_report(struct device *dev, struct iommu_fault_event *evt)
{
	return iommu_report_device_fault(dev, evt);
}

static int race_dev_contract(struct race *r, struct iconf_race *a)
{
	struct race_reg *first = race_new_reg(r), *second = race_new_reg(r);
	struct iommu_fault_event evt;
	int start = race_refs(r->dev);
	s32 *st = a->steps;

	st[ICONF_RS_REGISTER] = iommu_register_device_fault_handler(r->dev, race_dev_handler,
								    first);
	st[ICONF_RS_REGISTER_AGAIN] = iommu_register_device_fault_handler(r->dev,
									  race_dev_handler,
									  second);
	st[ICONF_RS_REF_HELD] = race_refs(r->dev) - start;
	race_fill(r, &evt, 0, 1, false);
	st[ICONF_RS_REPORT] = r->report(r->dev, &evt);
	if (r->page_req) {
		race_fill(r, &evt, 0, 2, true);
		st[ICONF_RS_REPORT_PRQ] = r->report(r->dev, &evt);
		st[ICONF_RS_UNREG_PENDING] = iommu_unregister_device_fault_handler(r->dev);
		if (race_answer(r))
			st[ICONF_RS_RESPONSE] = atomic_read(&r->response_ret);
	}
	st[ICONF_RS_UNREGISTER] = iommu_unregister_device_fault_handler(r->dev);
	WRITE_ONCE(first->magic, RACE_DEAD);
	WRITE_ONCE(second->magic, RACE_DEAD);
	race_fill(r, &evt, 0, 3, false);
	st[ICONF_RS_REPORT_NONE] = r->report(r->dev, &evt);
	st[ICONF_RS_UNREG_NONE] = iommu_unregister_device_fault_handler(r->dev);
	/* After the extra unregister: it must not drop a reference it lacks. */
	st[ICONF_RS_REF_AFTER] = race_refs(r->dev) - start;
	a->registered = !st[ICONF_RS_REGISTER];
	return 0;
}

/* Set up the device API's report path: the mock driver's, or the core's. */
static int race_dev_setup(struct race *r, struct iconf_race *a)
{
	const struct iommu_ops *ops;

	if (!r->dev->iommu)
		return -ENODEV;
	ops = dev_iommu_ops(r->dev);
	if (ops->page_response)
		a->caps |= ICONF_RACE_CAP_PAGE_RESPONSE;
	/*
	 * Without .page_response a last-page request could never be answered
	 * (iommu_page_response() is -ENODEV), so unregister would stay -EBUSY
	 * for good: such a driver never reports them, and neither do we.
	 */
	r->page_req = ops->page_response && !(a->flags & ICONF_RACE_NO_PAGE_REQ);
	r->report = race_core_report;
	if (iconf_is_mock(r->dev)) {
		r->report = symbol_get(iconf_mock_report);
		if (!r->report)
			return -ENODEV;
		a->caps |= ICONF_RACE_CAP_MOCK_PATH;
	}
	return 0;
}

static void race_dev_teardown(struct race *r)
{
	if (r->report != race_core_report && r->report)
		symbol_put(iconf_mock_report);
}

/* Take back what a scenario left registered; 0 when nothing remains. */
static int race_dev_release(struct race *r)
{
	race_answer(r);
	return iommu_unregister_device_fault_handler(r->dev);
}

#else /* !ICONF_HAVE_DEV_FAULT_API: the domain scenarios only */

static int race_dev_reporter(struct race_worker *w)
{
	return 0;
}

static int race_dev_registrar(struct race_worker *w)
{
	return 0;
}

static int race_dev_responder(struct race_worker *w)
{
	return 0;
}

static int race_dev_release(struct race *r)
{
	return 0;
}

#endif /* ICONF_HAVE_DEV_FAULT_API */

#if ICONF_HAVE_IOPF_HANDLE
/*
 * The successor of the device-level API (v6.11+). The mock driver is the
 * IOMMU driver: its device sends page requests while a fault-capable
 * domain is attached, and every page response it gets is shown to
 * race_iopf_answered(). The module is the consumer iommufd would be: it
 * attaches its domains with attach handles, takes groups in the domain's
 * iopf_handler, answers some at once, keeps some (dequeued, as iommufd
 * does) and answers them after detach, and lets the core abort others.
 * Invariants: each page request is answered exactly once; none reaches a
 * handler whose detach has returned, or a domain other than the one it was
 * raised under; the device's references come back.
 */
static atomic_t *race_slot(struct race *r, u32 grpid)
{
	return &r->answers[grpid % RACE_GRPS];
}

/* The mock driver got a page response: count it against its request. */
static void race_iopf_answered(void *data, const struct iommu_page_response *msg)
{
	struct race *r = data;
	atomic_t *slot = race_slot(r, msg->grpid);
	int old, new;

	do {
		old = atomic_read(slot);
		new = (old & ~0xff) + ICONF_RSI_ANSWER(1, 0) + (msg->code & 0xff);
	} while (atomic_cmpxchg(slot, old, new) != old);
	if (!(old & RACE_RAISED) || RACE_ANSWERS(old) >> 8)
		race_violation(r, ICONF_RV_PENDING,
			       "page request %u answered again (code %u) or never raised (slot %#x)",
			       msg->grpid, msg->code, old);
	if (msg->code > IOMMU_PAGE_RESP_FAILURE)
		race_violation(r, ICONF_RV_FAULT_ARGS,
			       "page request %u answered with code %u", msg->grpid, msg->code);
}

/*
 * A new page request on its slot. The request RACE_GRPS before it may
 * still wait for its answer (kept by the consumer until its next detach,
 * and that thread may not have run for a while): wait for it, as a device
 * with a bounded number of outstanding groups would. Past the bound the
 * slot stays as it is, for the end check to judge; false then.
 */
static bool race_raise(struct race *r, u32 grpid)
{
	atomic_t *slot = race_slot(r, grpid);
	u64 n = 0;

	for (;;) {
		int old = atomic_read(slot);

		if (!(old & RACE_RAISED) || RACE_ANSWERS(old)) {
			if (atomic_cmpxchg(slot, old, RACE_RAISED) == old)
				return true;
			continue;
		}
		if (race_over(r, 0))
			return false;
		if (++n % 64 == 0)
			usleep_range(10, 20);
		else
			cond_resched();
	}
}

static int race_answers(struct race *r, u32 grpid)
{
	return RACE_ANSWERS(atomic_read(race_slot(r, grpid)));
}

static struct race_handle *race_new_handle(struct race *r)
{
	u32 i = atomic_inc_return(&r->next_handle) % RACE_HANDLES;
	struct race_handle *rh = &r->handles[i];

	rh->reg.gen = i;
	atomic_set(&rh->reg.running, 0);
	rh->reg.r = r;
	WRITE_ONCE(rh->reg.magic, RACE_LIVE);
	return rh;
}

static int race_dom_index(struct race *r, u64 dom)
{
	return dom == (uintptr_t)r->iopf_dom[0] ? 0 : dom == (uintptr_t)r->iopf_dom[1] ? 1 : -1;
}

static void race_iopf_answer(struct iopf_group *group, enum iommu_page_response_code code)
{
	iopf_group_response(group, code);
	iopf_free_group(group);
}

/* Answer every group the consumer kept, as iommufd does after detach. */
static unsigned int race_iopf_answer_held(struct race *r)
{
	struct iopf_group *group, *next;
	unsigned int n = 0;
	LIST_HEAD(mine);

	spin_lock(&r->qlock);
	list_splice_init(&r->held, &mine);
	spin_unlock(&r->qlock);
	list_for_each_entry_safe(group, next, &mine, node) {
		list_del(&group->node);
		race_iopf_answer(group, IOMMU_PAGE_RESP_INVALID);
		atomic64_inc(&r->responses);
		atomic64_inc(&r->ops);
		n++;
	}
	return n;
}

static int race_iopf_handler(struct iopf_group *group)
{
	struct race_handle *rh = container_of(group->attach_handle, struct race_handle, h);
	struct iommu_fault *f = &group->last_fault.fault;
	struct race *r = rh->reg.r;
	u64 raised_under = f->prm.private_data[0];
	int ret = 0;

	atomic_inc(&rh->reg.running);
	atomic64_inc(&r->handled);
	if (READ_ONCE(rh->reg.magic) != RACE_LIVE)
		race_violation(r, ICONF_RV_AFTER_UNREG,
			       "iopf handler ran for attach handle %u after its detach returned",
			       rh->reg.gen);
	if (f->type != IOMMU_FAULT_PAGE_REQ ||
	    !(f->prm.flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE) ||
	    RACE_TAG_THREAD(f->prm.addr) >= r->threads)
		race_violation(r, ICONF_RV_FAULT_ARGS,
			       "iopf handler got fault type %u flags %#x addr %#llx, never reported",
			       f->type, f->prm.flags, f->prm.addr);
	if (raised_under != (uintptr_t)group->attach_handle->domain)
		race_violation(r, ICONF_RV_STALE_HANDLER,
			       "page request %u raised under domain %d reached domain %d's handler",
			       f->prm.grpid, race_dom_index(r, raised_under),
			       race_dom_index(r, (uintptr_t)group->attach_handle->domain));
	if (r->contract) {
		r->group_faults = group->fault_count;
		if (!r->contract_leave) {
			iopf_group_dequeue(group);
			r->kept = group;
		}
		/* else: left on the core's list, for detach to answer */
	} else if (f->prm.grpid % 8 == 0) {
		ret = -ENOSPC;	/* the core aborts it: IOMMU_PAGE_RESP_FAILURE */
	} else if (f->prm.grpid % 8 < 4) {
		race_iopf_answer(group, IOMMU_PAGE_RESP_INVALID);
		atomic64_inc(&r->responses);
	} else {
		/* Kept: dequeued, so that only we answer it, later. */
		iopf_group_dequeue(group);
		spin_lock(&r->qlock);
		list_add_tail(&group->node, &r->held);
		spin_unlock(&r->qlock);
		atomic64_inc(&r->page_requests);
	}
	atomic_dec(&rh->reg.running);
	return ret;
}

static void race_iopf_fill(struct iopf_fault *evt, u32 grpid, bool last, unsigned int thr, u64 n)
{
	memset(evt, 0, sizeof(*evt));
	evt->fault.type = IOMMU_FAULT_PAGE_REQ;
	evt->fault.prm.flags = last ? IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE : 0;
	evt->fault.prm.grpid = grpid;
	evt->fault.prm.perm = IOMMU_FAULT_PERM_READ;
	evt->fault.prm.addr = RACE_TAG(thr, n);
}

/* The device sends one last-page request; the report's code is checked. */
static void race_iopf_request(struct race *r, unsigned int thr, u64 n)
{
	u32 grpid = atomic_inc_return(&r->grpid);
	struct iopf_fault evt;
	int ret;

	race_iopf_fill(&evt, grpid, true, thr, n);
	if (!race_raise(r, grpid))
		return;
	ret = r->page_request(r->dev, &evt);
	atomic64_inc(&r->reports);
	atomic64_inc(&r->ops);
	if (ret == -ENODEV) {
		/* PRI off: the device could not send it, nobody may answer it. */
		if (atomic_cmpxchg(race_slot(r, grpid), RACE_RAISED, 0) != RACE_RAISED)
			race_violation(r, ICONF_RV_PENDING,
				       "page request %u answered though PRI was off", grpid);
		atomic64_inc(&r->no_handler);
	} else if (ret == -EINVAL) {
		/* No handler: the core answers it, before returning. */
		atomic64_inc(&r->no_handler);
		if (race_answers(r, grpid) != ICONF_RSI_ANSWER(1, IOMMU_PAGE_RESP_INVALID))
			race_violation(r, ICONF_RV_PENDING,
				       "report -EINVAL (no handler) and the device got %#x for it",
				       race_answers(r, grpid));
	} else if (ret) {
		race_violation(r, ICONF_RV_RETCODE,
			       "iommu_report_device_fault: %d (expected 0, or -EINVAL with no handler)",
			       ret);
	}
}

static int race_iopf_reporter(struct race_worker *w)
{
	u64 n;

	for (n = 0; !race_over(w->r, n); n++) {
		race_iopf_request(w->r, w->idx, n);
		cond_resched();
	}
	return 0;
}

static int race_iopf_attacher(struct race_worker *w)
{
	struct race *r = w->r;
	u64 n;

	for (n = 0; !race_over(r, n); n++) {
		struct race_handle *rh = race_new_handle(r);
		struct iommu_domain *dom = r->iopf_dom[n & 1];
		int ret = iommu_attach_group_handle(dom, r->group, &rh->h);

		atomic64_inc(&r->ops);
		if (ret) {
			WRITE_ONCE(rh->reg.magic, RACE_DEAD);
			race_violation(r, ICONF_RV_RETCODE,
				       "iommu_attach_group_handle: %d (expected 0)", ret);
			return ret;
		}
		atomic64_inc(&r->registered);
		/* Held for a moment, so that requests find it. */
		if (n & 1)
			cond_resched();
		else
			usleep_range(10, 30);
		race_iopf_answer_held(r);
		iommu_detach_group_handle(dom, r->group);
		atomic64_inc(&r->ops);
		if (atomic_read(&rh->reg.running))
			race_violation(r, ICONF_RV_RUNNING_AT_UNREG,
				       "detach of attach handle %u returned while its handler ran",
				       rh->reg.gen);
		WRITE_ONCE(rh->reg.magic, RACE_DEAD);
		race_iopf_answer_held(r);
	}
	return 0;
}

static int race_iopf_contract(struct race *r, struct iconf_race *a)
{
	struct race_handle *first = race_new_handle(r), *second = race_new_handle(r);
	int start = race_refs(r->dev);
	u32 held = atomic_inc_return(&r->grpid), left, none;
	s32 *st = a->steps;
	struct iopf_fault evt;

	r->contract = true;
	st[ICONF_RSI_ATTACH] = iommu_attach_group_handle(r->iopf_dom[0], r->group, &first->h);
	if (st[ICONF_RSI_ATTACH])
		return 0;
	a->registered = 1;
	st[ICONF_RSI_ATTACH_AGAIN] = iommu_attach_group_handle(r->iopf_dom[1], r->group,
							       &second->h);
	st[ICONF_RSI_REF_HELD] = race_refs(r->dev) - start;
	race_iopf_fill(&evt, held, false, 0, 1);
	st[ICONF_RSI_PARTIAL] = r->page_request(r->dev, &evt);
	race_iopf_fill(&evt, held, true, 0, 2);
	race_raise(r, held);
	st[ICONF_RSI_LAST] = r->page_request(r->dev, &evt);
	st[ICONF_RSI_GROUP_FAULTS] = r->group_faults;
	r->contract_leave = true;
	left = atomic_inc_return(&r->grpid);
	race_iopf_fill(&evt, left, true, 0, 3);
	race_raise(r, left);
	st[ICONF_RSI_LEFT] = r->page_request(r->dev, &evt);
	iommu_detach_group_handle(st[ICONF_RSI_ATTACH_AGAIN] ? r->iopf_dom[0] : r->iopf_dom[1],
				  r->group);
	WRITE_ONCE(first->reg.magic, RACE_DEAD);
	WRITE_ONCE(second->reg.magic, RACE_DEAD);
	st[ICONF_RSI_DETACH_LEFT] = race_answers(r, left);
	st[ICONF_RSI_DETACH_HELD] = race_answers(r, held);
	if (r->kept) {
		race_iopf_answer(r->kept, IOMMU_PAGE_RESP_SUCCESS);
		r->kept = NULL;
	}
	st[ICONF_RSI_RESPONSE] = race_answers(r, held);
	none = atomic_inc_return(&r->grpid);
	race_iopf_fill(&evt, none, true, 0, 4);
	race_raise(r, none);
	st[ICONF_RSI_REPORT_NONE] = iommu_report_device_fault(r->dev, &evt);
	if (race_answers(r, none) != ICONF_RSI_ANSWER(1, IOMMU_PAGE_RESP_INVALID))
		race_violation(r, ICONF_RV_PENDING,
			       "a report with nothing attached: the device got %#x, not one INVALID",
			       race_answers(r, none));
	st[ICONF_RSI_REF_AFTER] = race_refs(r->dev) - start;
	return 0;
}

/* Every request raised was answered: the end of a stress run. */
static void race_iopf_check_answered(struct race *r)
{
	unsigned int i, never = 0;

	for (i = 0; i < RACE_GRPS; i++)
		never += atomic_read(&r->answers[i]) == RACE_RAISED;
	if (never)
		race_violation(r, ICONF_RV_PENDING,
			       "%u page request(s) never answered after the last detach", never);
}

static void race_iopf_teardown(struct race *r)
{
	int i;

	if (r->set_answer_hook) {
		r->set_answer_hook(r->dev, NULL, NULL);
		symbol_put(iconf_mock_set_answer_hook);
	}
	if (r->page_request)
		symbol_put(iconf_mock_page_request);
	for (i = 0; i < ARRAY_SIZE(r->iopf_dom); i++)
		if (!IS_ERR_OR_NULL(r->iopf_dom[i]))
			iommu_domain_free(r->iopf_dom[i]);
	if (r->group)
		iommu_group_put(r->group);
	kvfree(r->answers);
	kvfree(r->handles);
}

/* Two fault-capable domains of the mock's device, and its page-request path. */
static int race_iopf_setup(struct race *r, struct iconf_race *a)
{
	int i;

	INIT_LIST_HEAD(&r->held);
	if (!r->dev->iommu || !iconf_is_mock(r->dev))
		return -ENODEV;	/* only the mock's device sends page requests */
	r->page_request = symbol_get(iconf_mock_page_request);
	r->set_answer_hook = symbol_get(iconf_mock_set_answer_hook);
	r->group = iommu_group_get(r->dev);
	r->handles = kvcalloc(RACE_HANDLES, sizeof(*r->handles), GFP_KERNEL);
	r->answers = kvcalloc(RACE_GRPS, sizeof(*r->answers), GFP_KERNEL);
	if (!r->page_request || !r->set_answer_hook || !r->group)
		return -ENODEV;
	if (!r->handles || !r->answers)
		return -ENOMEM;
	a->caps |= ICONF_RACE_CAP_MOCK_PATH | ICONF_RACE_CAP_PAGE_RESPONSE;
	for (i = 0; i < ARRAY_SIZE(r->iopf_dom); i++) {
		r->iopf_dom[i] = iconf_paging_domain_alloc(r->dev);
		if (IS_ERR(r->iopf_dom[i]))
			return PTR_ERR(r->iopf_dom[i]);
		r->iopf_dom[i]->iopf_handler = race_iopf_handler;
	}
	return r->set_answer_hook(r->dev, race_iopf_answered, r);
}
#else
static int race_iopf_reporter(struct race_worker *w)
{
	return 0;
}

static int race_iopf_attacher(struct race_worker *w)
{
	return 0;
}
#endif /* ICONF_HAVE_IOPF_HANDLE */

static int race_dom_handler(struct iommu_domain *domain, struct device *dev,
			    unsigned long iova, int flags, void *token)
{
	struct race_reg *tok = token;
	struct race *r = tok ? tok->r : NULL;
	u64 thr = RACE_TAG_THREAD(iova);
	int want;

	if (!tok || READ_ONCE(tok->magic) != RACE_LIVE) {
		pr_err("iommu_conformance: domain handler called with token %p\n", token);
		return -EINVAL;	/* no scenario to count it in: the test sees -EINVAL */
	}
	atomic64_inc(&r->handled);
	want = (iova >> 12) & 1 ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ;
	if (domain != r->domain || dev != r->dev || thr >= r->threads || flags != want) {
		race_violation(r, ICONF_RV_FAULT_ARGS,
			       "domain handler got iova %#lx flags %#x dev %s, not what was reported",
			       iova, flags, dev ? dev_name(dev) : "(null)");
		return 0;
	}
	if (tok->gen < READ_ONCE(r->min_gen[thr]))
		race_violation(r, ICONF_RV_STALE_HANDLER,
			       "a report begun after handler %llu was installed ran handler %u",
			       READ_ONCE(r->min_gen[thr]), tok->gen);
	return 0;
}

static int race_dom_report(struct race *r, unsigned int thr, u64 n)
{
	int flags = n & 1 ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ;

	return report_iommu_fault(r->domain, r->dev, RACE_TAG(thr, n), flags);
}

static int race_dom_reporter(struct race_worker *w)
{
	struct race *r = w->r;
	u64 n;

	for (n = 0; !race_over(r, n); n++) {
		int ret;

		/* Every handler installed before this point is too old to run. */
		WRITE_ONCE(r->min_gen[w->idx], atomic64_read_acquire(&r->dom_gen));
		ret = race_dom_report(r, w->idx, n);
		atomic64_inc(&r->reports);
		atomic64_inc(&r->ops);
		if (ret)
			race_violation(r, ICONF_RV_RETCODE,
				       "report_iommu_fault: %d (the handler returned 0)", ret);
		cond_resched();
	}
	return 0;
}

static int race_dom_replacer(struct race_worker *w)
{
	struct race *r = w->r;
	u64 n;

	for (n = 0; !race_over(r, n); n++) {
		struct race_reg *tok = race_new_reg(r);

		/*
		 * Old tokens stay valid: the API gives no way to know when a
		 * report that read the old handler has finished with it.
		 */
		iommu_set_fault_handler(r->domain, race_dom_handler, tok);
		atomic64_set_release(&r->dom_gen, tok->gen);
		atomic64_inc(&r->registered);
		atomic64_inc(&r->ops);
		cond_resched();
	}
	return 0;
}

/*
 * With a handler set once per domain (ICONF_FAULT_HANDLER_ONCE), the
 * domain must be fresh, and its handler stays set until the client frees
 * it, right after the scenario: the kernel has no call that clears it.
 */
static int race_dom_contract(struct race *r, struct iconf_race *a)
{
	struct race_reg *tok = race_new_reg(r);

	if (!iconf_fault_handler_settable(r->domain))
		return -EBUSY;
	if (!ICONF_FAULT_HANDLER_ONCE)
		iommu_set_fault_handler(r->domain, NULL, NULL);
	a->steps[ICONF_RS_REPORT_NONE] = race_dom_report(r, 0, 1);
	iommu_set_fault_handler(r->domain, race_dom_handler, tok);
	a->steps[ICONF_RS_REPORT] = race_dom_report(r, 0, 2);
	if (!ICONF_FAULT_HANDLER_ONCE)
		iommu_set_fault_handler(r->domain, NULL, NULL);
	a->registered = 1;
	return 0;
}

static int race_thread(void *arg)
{
	struct race_worker *w = arg;
	struct race *r = w->r;

	w->fn(w);
	if (atomic_dec_and_test(&r->workers))
		complete(&r->done);
	module_put_and_kthread_exit(0);
}

/* Start one worker per @fns entry; false if not all could start. */
static bool race_start(struct race *r, struct race_worker *ws,
		       int (*const *fns)(struct race_worker *), unsigned int n)
{
	unsigned int i;

	atomic_set(&r->workers, 1);	/* ours, dropped once all are started */
	for (i = 0; i < n; i++) {
		struct task_struct *t;

		ws[i].r = r;
		ws[i].fn = fns[i];
		atomic_inc(&r->workers);
		__module_get(THIS_MODULE);
		t = kthread_run(race_thread, &ws[i], "iconf-race/%u", i);
		if (IS_ERR(t)) {
			module_put(THIS_MODULE);
			atomic_dec(&r->workers);
			WRITE_ONCE(r->stop, true);
			break;
		}
	}
	if (atomic_dec_and_test(&r->workers))
		complete(&r->done);
	return i == n;
}

static void race_out(struct race *r, struct iconf_race *a)
{
	int i;

	a->elapsed_ns = ktime_get_ns() - r->start;
	a->ops = atomic64_read(&r->ops);
	a->registered += atomic64_read(&r->registered);
	a->busy = atomic64_read(&r->busy);
	a->reports = atomic64_read(&r->reports);
	a->handled = atomic64_read(&r->handled);
	a->no_handler = atomic64_read(&r->no_handler);
	a->page_requests = atomic64_read(&r->page_requests);
	a->responses = atomic64_read(&r->responses);
	a->response_ret = atomic_read(&r->response_ret);
	for (i = 0; i < ICONF_RV_NR; i++)
		a->violations[i] = atomic_read(&r->violations[i]);
	spin_lock_irq(&r->vlock);
	a->first_violation_ns = r->first_ns;
	memcpy(a->detail, r->detail, sizeof(a->detail));
	spin_unlock_irq(&r->vlock);
}

static int race_run(struct race *r, struct iconf_race *a)
{
	int (*fns[ICONF_RACE_MAX_THREADS + 3])(struct race_worker *);
	struct race_worker *ws;
	unsigned int i, n = 0;
	bool dom = a->scenario == ICONF_RACE_DOM_STRESS;
	bool iopf = a->scenario == ICONF_RACE_IOPF_STRESS;
	int start = race_refs(r->dev);
	bool started;

	ws = kcalloc(ARRAY_SIZE(fns), sizeof(*ws), GFP_KERNEL);
	if (!ws)
		return -ENOMEM;
	for (i = 0; i < a->threads; i++) {
		ws[n].idx = i;
		fns[n++] = dom ? race_dom_reporter : iopf ? race_iopf_reporter : race_dev_reporter;
	}
	if (iopf) {
		/* One consumer attaches and detaches: two would only meet -EBUSY. */
		fns[n++] = race_iopf_attacher;
	} else if (dom) {
		struct race_reg *first = race_new_reg(r);

		/* The first handler before any report: none may find it missing. */
		iommu_set_fault_handler(r->domain, race_dom_handler, first);
		atomic64_set(&r->dom_gen, first->gen);
		atomic64_inc(&r->registered);
		/* Replacing it is the race, where the kernel allows replacing. */
		if (!ICONF_FAULT_HANDLER_ONCE)
			fns[n++] = race_dom_replacer;
	} else {
		/* Two registering threads: the second races the first. */
		ws[n].idx = 0;
		fns[n++] = race_dev_registrar;
		ws[n].idx = 1;
		fns[n++] = race_dev_registrar;
		if (r->flags & ICONF_RACE_FOREIGN_RESPONSE)
			fns[n++] = race_dev_responder;
	}
	started = race_start(r, ws, fns, n);
	if (!wait_for_completion_timeout(&r->done, msecs_to_jiffies(a->duration_ms +
								   RACE_GRACE_MS))) {
		race_violation(r, ICONF_RV_DEADLINE,
			       "%d thread(s) still running %u ms past the bound",
			       atomic_read(&r->workers), RACE_GRACE_MS);
		race_out(r, a);
		a->result = -ETIMEDOUT;
		return -ETIMEDOUT;	/* r and ws stay: the threads use them */
	}
	kfree(ws);
	if (dom && !ICONF_FAULT_HANDLER_ONCE)
		iommu_set_fault_handler(r->domain, NULL, NULL);
	else if (!dom && !iopf && race_dev_release(r))
		return -EBUSY;	/* still holds our data: r must stay */
#if ICONF_HAVE_IOPF_HANDLE
	if (iopf)
		race_iopf_check_answered(r);
#endif
	a->ref_delta = race_refs(r->dev) - start;
	if (a->ref_delta)
		race_violation(r, ICONF_RV_REFCOUNT,
			       "device refcount %+lld after the scenario", a->ref_delta);
	return started ? 0 : -EAGAIN;
}

long iconf_race(struct iconf_file *f, void *arg)
{
	struct iconf_race *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	bool dom = a->scenario == ICONF_RACE_DOM_CONTRACT ||
		   a->scenario == ICONF_RACE_DOM_STRESS;
	bool iopf = a->scenario == ICONF_RACE_IOPF_CONTRACT ||
		    a->scenario == ICONF_RACE_IOPF_STRESS;
	struct iconf_dom *m = NULL;
	struct race *r;
	int i, ret = 0;

	if (!d)
		return -ENOENT;
	if (a->scenario < ICONF_RACE_DEV_CONTRACT || a->scenario > ICONF_RACE_IOPF_STRESS ||
	    !a->threads || a->threads > ICONF_RACE_MAX_THREADS || !a->duration_ms ||
	    a->duration_ms > ICONF_RACE_MAX_MS ||
	    a->flags & ~(ICONF_RACE_STOP_AT_VIOLATION | ICONF_RACE_NO_PAGE_REQ |
			 ICONF_RACE_FOREIGN_RESPONSE) ||
	    a->result || a->caps || a->ops || a->violations[0] || a->detail[0])
		return -EINVAL;
	if (dom) {
		m = iconf_dom_lookup(f, a->dom_id);
		if (!m)
			return -ENOENT;
	} else if (a->dom_id) {
		return -EINVAL;
	}
	for (i = 0; i < ICONF_RS_NR; i++)
		a->steps[i] = ICONF_RS_NOT_RUN;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->regs = kvcalloc(RACE_REGS, sizeof(*r->regs), GFP_KERNEL);
	if (!r->regs) {
		kfree(r);
		return -ENOMEM;
	}
	r->dev = d->dev;
	r->domain = m ? m->domain : NULL;
	r->threads = a->threads;
	r->flags = a->flags;
	r->iterations = a->iterations;
	spin_lock_init(&r->vlock);
	spin_lock_init(&r->qlock);
	init_completion(&r->done);
	r->start = ktime_get_ns();
	r->deadline = r->start + (u64)a->duration_ms * NSEC_PER_MSEC;

	if (iopf) {
#if ICONF_HAVE_IOPF_HANDLE
		ret = race_iopf_setup(r, a);
		if (!ret)
			ret = a->scenario == ICONF_RACE_IOPF_CONTRACT ?
			      race_iopf_contract(r, a) : race_run(r, a);
		if (ret == -ETIMEDOUT || ret == -EBUSY)
			goto left;
		race_iopf_teardown(r);
		if (ret == -ENODEV) {
			a->result = -ENODEV;	/* not the mock's device */
			goto out;
		}
#else
		a->result = -EOPNOTSUPP;
		goto out;
#endif
	} else if (!dom) {
#if ICONF_HAVE_DEV_FAULT_API
		ret = race_dev_setup(r, a);
		if (!ret)
			ret = a->scenario == ICONF_RACE_DEV_CONTRACT ?
			      race_dev_contract(r, a) : race_run(r, a);
		if (ret != -ETIMEDOUT && ret != -EBUSY)
			race_dev_teardown(r);
#else
		a->result = -EOPNOTSUPP;
		goto out;
#endif
	} else if (!iconf_fault_handler_settable(r->domain)) {
		ret = -EBUSY;	/* a handler set before: the domain is not fresh */
	} else {
		if (ICONF_FAULT_HANDLER_ONCE)
			a->caps |= ICONF_RACE_CAP_HANDLER_ONCE;
		ret = a->scenario == ICONF_RACE_DOM_CONTRACT ?
		      race_dom_contract(r, a) : race_run(r, a);
	}
#if ICONF_HAVE_IOPF_HANDLE
left:
#endif
	if (ret == -ETIMEDOUT || ret == -EBUSY) {
		pr_err("iommu_conformance: race scenario %u on %s did not end cleanly (%d); its state is left allocated\n",
		       a->scenario, dev_name(r->dev), ret);
		race_out(r, a);
		a->result = ret;
		return 0;
	}
	race_out(r, a);
	if (a->scenario == ICONF_RACE_DEV_CONTRACT || a->scenario == ICONF_RACE_DOM_CONTRACT)
		for (i = 0; i < ICONF_RS_NR; i++)
			a->ops += a->steps[i] != ICONF_RS_NOT_RUN &&
				  i != ICONF_RS_REF_HELD && i != ICONF_RS_REF_AFTER;
	a->result = ret;
out:
	kvfree(r->regs);
	kfree(r);
	return 0;
}
