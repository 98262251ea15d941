/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Control interface of the iommu_conformance test module.
 *
 * The selftests drive the module through ioctls on /dev/iommu_conformance.
 * Ioctl numbers do not encode a size (as in iommufd): every argument
 * struct starts with a __u32 size that the caller sets to
 * sizeof() of the struct it was built with, so the module can accept both
 * older and newer callers: a shorter size than the module's minimum is
 * -EINVAL, a longer one whose tail is not zero is -E2BIG (the rule of
 * copy_struct_from_user()).
 *
 * Objects (devices, domains) are named by small ids local to the open
 * file; closing the file detaches, unmaps and frees everything it made and
 * releases what it claimed, in that order.
 *
 * Calls that exercise the IOMMU API report the API's own return value in
 * an @api_ret field and return 0 from the ioctl: an ioctl error always
 * means the request itself was refused (bad id, bad size, wrong state).
 *
 * ABI history:
 *   1.0  ICONF_VERSION only.
 *   1.1  devices, domains, attach/detach, DMA ownership, edu DMA checks.
 *   1.2  ICONF_DEV_DOMAIN reports a domain @cookie.
 *   1.3  ICONF_AMD_V2.
 *   1.4  ICONF_FAULTS; ICONF_EDU_DMA reports @unmapped_iova.
 *   1.5  ICONF_RACE.
 *   1.6  ICONF_RACE_IOPF_*, ICONF_FEAT_IOPF.
 */
#ifndef _UAPI_IOMMU_CONFORMANCE_H
#define _UAPI_IOMMU_CONFORMANCE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ICONF_DEVICE_NAME	"iommu_conformance"
#define ICONF_ABI_MAJOR		1
#define ICONF_ABI_MINOR		6

/* Not in Documentation/userspace-api/ioctl/ioctl-number.rst: out of tree. */
#define ICONF_IOC_TYPE		0xCF

/*
 * ICONF_VERSION - which ABI the loaded module speaks.
 * @size:      in: sizeof(struct iconf_version) as the caller knows it.
 * @abi_major: out: ICONF_ABI_MAJOR of the module; callers refuse a mismatch.
 * @abi_minor: out: ICONF_ABI_MINOR of the module; additions only.
 * @features:  out: ICONF_FEAT_* bits the module implements.
 * @reserved:  must be zero.
 */
struct iconf_version {
	__u32 size;
	__u32 abi_major;
	__u32 abi_minor;
	__u32 reserved;
	__u64 features;
};

#define ICONF_VERSION		_IO(ICONF_IOC_TYPE, 0x00)

#define ICONF_FEAT_ATTACH	(1ULL << 0)	/* ICONF_DEV_* .. ICONF_DETACH */
#define ICONF_FEAT_EDU		(1ULL << 1)	/* ICONF_EDU_* */
#define ICONF_FEAT_DEV_FAULT	(1ULL << 2)	/* the kernel has the device fault API */
#define ICONF_FEAT_IOPF		(1ULL << 3)	/* ... or its successor, attach-handle iopf */

#define ICONF_MAX_DEVS		8
#define ICONF_MAX_DOMAINS	8

/*
 * ICONF_DEV_GET - take a reference to a PCI device for this file.
 * @name:     in: "0000:00:03.0" (domain:bus:slot.function, NUL-terminated),
 *            or a mock IOMMU device, "iconf-mock.0".
 * @dev_id:   out: id for the other calls.
 * @group_id: out: iommu_group_id() of its group, or -1 without a group.
 * @group_devices: out: how many devices share the group.
 * @flags:    out: ICONF_DEV_* facts.
 */
struct iconf_dev_get {
	__u32 size;
	char name[32];
	__u32 dev_id;
	__s32 group_id;
	__u32 group_devices;
	__u32 flags;
};
#define ICONF_DEV_HAS_DRIVER	(1U << 0)	/* a driver was bound */
#define ICONF_DEV_IS_EDU	(1U << 1)	/* bound to our edu driver */
#define ICONF_DEV_IS_MOCK	(1U << 2)	/* a device of the mock IOMMU */

/* Names of the mock IOMMU's devices: ICONF_MOCK_PREFIX "0" and on. */
#define ICONF_MOCK_PREFIX	"iconf-mock."

/*
 * The mock IOMMU's bug knobs (contracts/mock_knobs.def, which needs to be
 * on the include path): /sys/module/iommu_mock/parameters/knob takes and
 * shows their names, and refuses any other with -EINVAL.
 */
enum iconf_mock_knob {
#define MOCK_KNOB(name, rules, imitates) ICONF_MOCK_KNOB_##name,
#include "mock_knobs.def"
	ICONF_MOCK_KNOBS
};

/* Which domain the core says a device is on (iommu_get_domain_for_dev). */
enum iconf_where {
	ICONF_ON_NONE = 0,	/* NULL: no domain */
	ICONF_ON_BOOT = 1,	/* the one it had when ICONF_DEV_GET ran */
	ICONF_ON_OURS = 2,	/* one of this file's domains: @dom_id */
	ICONF_ON_OTHER = 3,	/* another domain (a blocking one, say) */
};

/*
 * ICONF_DEV_DOMAIN - where is the device now?
 * @type:   IOMMU_DOMAIN_* value of that domain (0 for none).
 * @cookie: (1.2) the same non-zero value for the same domain object, from
 *          any file, for as long as the module is loaded; a keyed hash, so
 *          it tells nothing of kernel addresses. 0 for no domain.
 */
struct iconf_dev_domain {
	__u32 size;
	__u32 dev_id;
	__u32 where;
	__u32 dom_id;
	__u32 type;
	__u32 reserved;
	__u64 cookie;
};

/*
 * ICONF_DOMAIN_ALLOC - allocate an unmanaged (paging) domain for the device's
 * bus (v6.1) or the device itself (v6.11+). @api_ret is 0 or -ENOMEM etc.
 */
struct iconf_domain_alloc {
	__u32 size;
	__u32 dev_id;
	__u32 dom_id;
	__s32 api_ret;
};

/*
 * ICONF_DOMAIN_FREE - free a domain of this file. -EBUSY while a device of
 * this file is attached to it (the API forbids freeing an attached domain).
 */
struct iconf_domain_free {
	__u32 size;
	__u32 dom_id;
};

/*
 * ICONF_MAP / ICONF_UNMAP - map @length bytes at @iova to pages the module
 * allocates (zeroed), or unmap them. @api_ret: iommu_map()'s return, or
 * for unmap the bytes iommu_unmap() reports.
 */
struct iconf_map {
	__u32 size;
	__u32 dom_id;
	__u64 iova;
	__u64 length;
	__s64 api_ret;
};

/*
 * ICONF_COHERENT - the domain's enforce_cache_coherency op, as VFIO calls
 * it: @api_ret 1 (enforced) or 0, -EOPNOTSUPP when the driver has no op.
 */
struct iconf_coherent {
	__u32 size;
	__u32 dom_id;
	__s32 api_ret;
	__u32 reserved;
};

/*
 * ICONF_ATTACH / ICONF_DETACH - iommu_attach_device() / _detach_device(),
 * or with ICONF_HOW_GROUP iommu_attach_group() / _detach_group().
 * @api_ret: the attach's return value (detach returns none: 0).
 */
struct iconf_attach {
	__u32 size;
	__u32 dev_id;
	__u32 dom_id;
	__u32 how;
	__s32 api_ret;
	__u32 reserved;
};
#define ICONF_HOW_DEVICE	0
#define ICONF_HOW_GROUP		1

/*
 * ICONF_OWN - iommu_group_claim_dma_owner() (@own = 1) or
 * iommu_group_release_dma_owner() (@own = 0) for the device's group.
 */
struct iconf_own {
	__u32 size;
	__u32 dev_id;
	__u32 own;
	__s32 api_ret;
};

/*
 * ICONF_EDU_DMA - DMA through the edu device, checked against canaries.
 *
 * With @dom_id = 0 the module uses the DMA API (whatever domain the device
 * is on by default): RAM -> edu -> RAM through dma_map_single() addresses.
 * With a domain id, it maps two pages of that domain itself, at IOVAs equal
 * to the physical addresses of two canary pages, and moves the data RAM ->
 * edu -> RAM through them; then it has edu write to a third, unmapped IOVA,
 * again equal to a canary page's physical address. Untranslated DMA would
 * land in the canaries, translated DMA in the mapped pages; a write to the
 * unmapped IOVA must land nowhere.
 *
 * The ioctl fails with -ENODEV when the device is not bound to iconf_edu.
 */
struct iconf_edu_dma {
	__u32 size;
	__u32 dev_id;
	__u32 dom_id;
	__u32 result;		/* out: ICONF_EDU_* bits */
	__u64 dma_addr;		/* out: the address the device was given */
	__u64 phys_addr;	/* out: the physical address behind it */
	__s32 map_ret;		/* out: iommu_map()/dma_map_single() outcome */
	__u32 reserved;
	__u64 unmapped_iova;	/* out (1.4): the IOVA of the unmapped write */
};
#define ICONF_EDU_ARRIVED	(1U << 0)  /* the pattern made the round trip */
#define ICONF_EDU_TIMEOUT	(1U << 1)  /* a transfer did not complete in 2 s */
#define ICONF_EDU_LEAKED	(1U << 2)  /* data landed at the IOVA as a physical address */
#define ICONF_EDU_CANARY_HIT	(1U << 3)  /* the unmapped IOVA's canary changed */
#define ICONF_EDU_UNMAPPED_RUN	(1U << 4)  /* the unmapped-IOVA write was tried */

/*
 * ICONF_AMD_V2 - amd_iommu_domain_enable_v2(domain, 1): make a domain an
 * IOMMUv2 (PASID) domain, which amd-iommu 6.1 refuses to attach to a
 * device whose default domain is not identity. Only for a device behind an
 * AMD IOMMU (-ENODEV otherwise); @api_ret -EOPNOTSUPP where the kernel has
 * no such call (it went with the iommu_v2 module in v6.7).
 */
struct iconf_amd_v2 {
	__u32 size;
	__u32 dev_id;
	__u32 dom_id;
	__s32 api_ret;
};

/*
 * ICONF_FAULTS - watch a domain's faults: iommu_set_fault_handler() with a
 * handler that records them (and declines them, non-zero, so the driver
 * still logs them as it would). @watch 1 installs and clears the record,
 * 0 only reads it. Out: how many faults, and the first one's IOVA and
 * IOMMU_FAULT_* flags (read 0x0, write 0x1) and device.
 */
struct iconf_faults {
	__u32 size;
	__u32 dom_id;
	__u32 watch;
	__u32 count;
	__u64 iova;
	__u32 flags;
	__u32 reserved;
	char dev[32];
};

/*
 * ICONF_RACE - run one fault-reporting scenario (SPEC §3) on a device and
 * report what its invariants saw. The module plays the IOMMU driver: its
 * threads report faults through the core (on a mock device, through the
 * mock driver's own fault path, where a seeded bug can live) while other
 * threads register, unregister, answer page requests or replace the
 * domain's handler. A scenario is bounded by @duration_ms (and
 * @iterations per thread); it then joins its threads and checks the end
 * state. Every handler call checks the data it was given.
 *
 * Scenarios:
 *   DEV_CONTRACT  one thread, step by step: the device API's return codes
 *                 and reference counting (@steps, ICONF_RS_*).
 *   DEV_STRESS    a registering thread (register, hold, unregister while
 *                 answering its own pending page requests) against
 *                 @threads reporting threads (unrecoverable faults and,
 *                 where the driver can answer them, last-page page
 *                 requests); a second registering thread races the first.
 *   DOM_CONTRACT  report_iommu_fault() without, then with a handler, on
 *                 the unmanaged domain @dom_id.
 *   DOM_STRESS    @threads threads report on @dom_id while one replaces
 *                 the handler (each new one with a new token).
 *   IOPF_CONTRACT the device API's successor (v6.11+), step by step on the
 *                 mock IOMMU's device (@steps, ICONF_RSI_*): a domain
 *                 whose iopf_handler takes page requests, attached with an
 *                 attach handle; partial and last requests; detach with
 *                 one group held by the consumer and one left to the core;
 *                 a report with nothing attached.
 *   IOPF_STRESS   @threads threads make the mock device send page requests
 *                 while one thread attaches a fault-capable domain (two,
 *                 in turn) with a fresh handle, holds it, detaches it and
 *                 answers the groups it kept, as iommufd does. Every page
 *                 request must be answered exactly once, and reach only
 *                 the handler of the domain it was raised under.
 *
 * @result: out: 0 the scenario ran; -EOPNOTSUPP this kernel has no
 * device-level fault API (gone in v6.9) or, for IOPF_*, no attach-handle
 * iopf API (before v6.11, or CONFIG_IOMMU_IOPF off); -ENODEV (IOPF_*) the
 * device is not the mock's: no QEMU device sends page requests; -ETIMEDOUT its threads did not
 * finish within @duration_ms + 10 s (a deadlock: they are left running).
 * @violations: out: how often each invariant broke (ICONF_RV_*);
 * @detail describes the first one, @first_violation_ns when it happened.
 */
enum iconf_race_scenario {
	ICONF_RACE_DEV_CONTRACT = 1,
	ICONF_RACE_DEV_STRESS,
	ICONF_RACE_DOM_CONTRACT,
	ICONF_RACE_DOM_STRESS,
	ICONF_RACE_IOPF_CONTRACT,
	ICONF_RACE_IOPF_STRESS,
};

#define ICONF_RACE_STOP_AT_VIOLATION	(1U << 0) /* end at the first one */
#define ICONF_RACE_NO_PAGE_REQ		(1U << 1) /* unrecoverable faults only */
/*
 * DEV_STRESS: page requests answered by a thread of their own while the
 * registering threads retry unregister, as a consumer answering from a
 * workqueue would. v6.1's iommu_page_response() takes only the fault
 * data's lock and reads dev->iommu->fault_param again to release it, so
 * an unregister in between frees it under the responder.
 */
#define ICONF_RACE_FOREIGN_RESPONSE	(1U << 2)

#define ICONF_RACE_CAP_PAGE_RESPONSE	(1U << 0) /* the driver has .page_response */
#define ICONF_RACE_CAP_MOCK_PATH	(1U << 1) /* reports went through the mock driver */
/* iommu_set_fault_handler() sets a domain's handler once (after 6.12): no replacing */
#define ICONF_RACE_CAP_HANDLER_ONCE	(1U << 2)

enum iconf_race_violation {
	ICONF_RV_AFTER_UNREG,	  /* a handler ran with data whose unregister had returned */
	ICONF_RV_RUNNING_AT_UNREG, /* unregister returned while its handler still ran */
	ICONF_RV_DOUBLE_REG,	  /* two registrations succeeded at once */
	ICONF_RV_RETCODE,	  /* an API returned a code outside SPEC §3 */
	ICONF_RV_PENDING,	  /* unregister vs pending page requests disagreed */
	ICONF_RV_REFCOUNT,	  /* the device's refcount did not come back */
	ICONF_RV_STALE_HANDLER,	  /* a report began after a replacement, ran the old handler */
	ICONF_RV_FAULT_ARGS,	  /* a handler got other fault data than was reported */
	ICONF_RV_DEADLINE,	  /* threads still ran 10 s past the bound */
	ICONF_RV_NR
};

/* DEV_CONTRACT and DOM_CONTRACT: what each step returned. */
enum iconf_race_step {
	ICONF_RS_REGISTER,	/* first registration */
	ICONF_RS_REGISTER_AGAIN, /* second, while the first holds */
	ICONF_RS_REF_HELD,	/* refcount delta while registered */
	ICONF_RS_REPORT,	/* an unrecoverable fault, handler present */
	ICONF_RS_REPORT_PRQ,	/* a last-page page request */
	ICONF_RS_UNREG_PENDING,	/* unregister with that request pending */
	ICONF_RS_RESPONSE,	/* iommu_page_response() to it */
	ICONF_RS_UNREGISTER,	/* unregister, nothing pending */
	ICONF_RS_REF_AFTER,	/* refcount delta after it */
	ICONF_RS_REPORT_NONE,	/* a report with no handler */
	ICONF_RS_UNREG_NONE,	/* unregister with no handler */
	ICONF_RS_NR = 12
};
/*
 * IOPF_CONTRACT's steps, in the same @steps slots. An answer the device
 * got is ICONF_RSI_ANSWER(count, code): how many page responses reached
 * the driver for that group, and the last one's code
 * (IOMMU_PAGE_RESP_SUCCESS 0, INVALID 1, FAILURE 2).
 */
enum iconf_race_iopf_step {
	ICONF_RSI_ATTACH,	 /* iommu_attach_group_handle(), fault-capable domain */
	ICONF_RSI_ATTACH_AGAIN,	 /* a second one while the first holds */
	ICONF_RSI_REF_HELD,	 /* device refcount delta while attached */
	ICONF_RSI_PARTIAL,	 /* report of a request that is not its group's last */
	ICONF_RSI_LAST,		 /* report of that group's last request */
	ICONF_RSI_GROUP_FAULTS,	 /* faults in the group the handler got */
	ICONF_RSI_LEFT,		 /* report of a group the handler leaves to the core */
	ICONF_RSI_DETACH_LEFT,	 /* answer for that group during detach */
	ICONF_RSI_DETACH_HELD,	 /* answer for the consumer's held group during detach */
	ICONF_RSI_RESPONSE,	 /* answer after the consumer's late iopf_group_response() */
	ICONF_RSI_REPORT_NONE,	 /* iommu_report_device_fault() with nothing attached */
	ICONF_RSI_REF_AFTER,	 /* device refcount delta after detach */
};
#define ICONF_RSI_ANSWER(count, code)	((count) << 8 | (code))
#define ICONF_RS_NOT_RUN	1	/* a step's value when it was not tried */

struct iconf_race {
	__u32 size;
	__u32 dev_id;
	__u32 dom_id;
	__u32 scenario;
	__u32 threads;		/* in: reporting threads, 1..ICONF_RACE_MAX_THREADS */
	__u32 duration_ms;	/* in: the bound, 1..ICONF_RACE_MAX_MS */
	__u64 iterations;	/* in: per thread, 0: until @duration_ms */
	__u32 flags;		/* in: ICONF_RACE_* */
	__s32 result;
	__u32 caps;		/* out: ICONF_RACE_CAP_* */
	__s32 response_ret;	/* out: the last iommu_page_response() value */
	__u64 elapsed_ns;	/* out */
	__u64 first_violation_ns; /* out: from the start; 0: none */
	__u64 ops;		/* out: API calls made */
	__u64 registered;	/* out: registrations (or replacements) that held */
	__u64 busy;		/* out: -EBUSY registrations and unregisters */
	__u64 reports;		/* out: reports made */
	__u64 handled;		/* out: handler calls */
	__u64 no_handler;	/* out: reports that found no handler */
	__u64 page_requests;	/* out: last-page requests left pending */
	__u64 responses;	/* out: iommu_page_response() calls */
	__s64 ref_delta;	/* out: device refcount, end minus start */
	__u32 violations[ICONF_RV_NR];
	__s32 steps[ICONF_RS_NR];
	char detail[96];
};
#define ICONF_RACE_MAX_THREADS	16
#define ICONF_RACE_MAX_MS	(24U * 3600 * 1000)

#define ICONF_DEV_GET		_IO(ICONF_IOC_TYPE, 0x01)
#define ICONF_DEV_DOMAIN	_IO(ICONF_IOC_TYPE, 0x02)
#define ICONF_DOMAIN_ALLOC	_IO(ICONF_IOC_TYPE, 0x03)
#define ICONF_DOMAIN_FREE	_IO(ICONF_IOC_TYPE, 0x04)
#define ICONF_MAP		_IO(ICONF_IOC_TYPE, 0x05)
#define ICONF_UNMAP		_IO(ICONF_IOC_TYPE, 0x06)
#define ICONF_COHERENT		_IO(ICONF_IOC_TYPE, 0x07)
#define ICONF_ATTACH		_IO(ICONF_IOC_TYPE, 0x08)
#define ICONF_DETACH		_IO(ICONF_IOC_TYPE, 0x09)
#define ICONF_OWN		_IO(ICONF_IOC_TYPE, 0x0a)
#define ICONF_EDU_DMA		_IO(ICONF_IOC_TYPE, 0x0b)
#define ICONF_AMD_V2		_IO(ICONF_IOC_TYPE, 0x0c)
#define ICONF_FAULTS		_IO(ICONF_IOC_TYPE, 0x0d)
#define ICONF_RACE		_IO(ICONF_IOC_TYPE, 0x0e)

#endif /* _UAPI_IOMMU_CONFORMANCE_H */
