// SPDX-License-Identifier: GPL-2.0
/*
 * A driver for QEMU's "edu" device (PCI 1234:11e8), used to prove where a
 * device's DMA really goes. edu has a DMA engine that moves up to 4 KiB
 * between its internal buffer and a bus address; see QEMU's
 * docs/specs/edu.txt. QEMU masks its bus addresses to 28 bits unless the
 * VM gives it a wider dma_mask (edu_dma_bits says how wide), so every page
 * used here comes from ZONE_DMA (below 16 MiB on x86).
 *
 * The driver manages DMA ownership itself (driver_managed_dma): binding it
 * must not stop the selftests from claiming the group or attaching
 * domains to the device.
 *
 * The same checks run on the mock IOMMU's devices, whose "DMA" is the
 * mock's software translation (kmod-helpers/iommu_mock.c).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "compat.h"
#include "iconf.h"
#include "mock.h"

#define EDU_ID			0x00
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_START		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_BUF			0x40000	/* the device's own 4 KiB buffer */
#define EDU_XFER		256
#define EDU_TIMEOUT_MS		2000

struct iconf_edu {
	void __iomem *mmio;
	struct mutex lock;	/* one transfer at a time */
};

/*
 * A DMA engine: edu, or the mock IOMMU's software device. xfer moves
 * EDU_XFER bytes between the engine's buffer and bus address addr; a
 * transfer the IOMMU faults completes having moved nothing, as on edu.
 */
struct iconf_engine {
	int (*xfer)(struct iconf_engine *e, u64 addr, bool to_ram);
	u64 limit;		/* the bus addresses it reaches: [0, limit) */
	struct iconf_edu *edu;
	struct device *dev;
	int (*mock_xfer)(struct device *dev, u64 addr, bool to_ram, size_t len);
};

/*
 * What the VM's edu reaches (QEMU's dma_mask property; its default is 28
 * bits). Where RAM lies above 256 MiB (riscv's virt machine: 2 GiB) a
 * 28-bit edu cannot reach it untranslated: the gate gives edu a wider
 * mask there and says so here. A mismatch is not detectable by the
 * driver: QEMU silently masks the address.
 */
static unsigned int edu_dma_bits = 28;
module_param(edu_dma_bits, uint, 0444);
MODULE_PARM_DESC(edu_dma_bits, "bus address bits the VM's edu reaches (QEMU's dma_mask; 28 by default, 28..64)");

static u64 edu_reach(void)
{
	return edu_dma_bits >= 64 ? U64_MAX : BIT_ULL(edu_dma_bits);
}

static struct pci_driver iconf_edu_driver;

bool iconf_is_edu(struct pci_dev *pdev)
{
	return pdev->dev.driver == &iconf_edu_driver.driver;
}

/* Move EDU_XFER bytes between RAM at @addr and the device. 0 or -ETIMEDOUT. */
static int edu_xfer(struct iconf_edu *edu, u64 addr, bool to_ram)
{
	unsigned long end = jiffies + msecs_to_jiffies(EDU_TIMEOUT_MS);

	writeq(to_ram ? EDU_BUF : addr, edu->mmio + EDU_DMA_SRC);
	writeq(to_ram ? addr : EDU_BUF, edu->mmio + EDU_DMA_DST);
	writeq(EDU_XFER, edu->mmio + EDU_DMA_COUNT);
	writeq(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0),
	       edu->mmio + EDU_DMA_CMD);
	while (readq(edu->mmio + EDU_DMA_CMD) & EDU_CMD_START) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	rmb();	/* read the data only after seeing the transfer done */
	return 0;
}

static int edu_engine_xfer(struct iconf_engine *e, u64 addr, bool to_ram)
{
	return edu_xfer(e->edu, addr, to_ram);
}

static int mock_engine_xfer(struct iconf_engine *e, u64 addr, bool to_ram)
{
	int ret = e->mock_xfer(e->dev, addr, to_ram, EDU_XFER);

	/* -EFAULT: translation fault; -EIO: no domain. Nothing moved. */
	return ret == -EFAULT || ret == -EIO ? 0 : ret;
}

static void fill(struct page *p, u8 seed)
{
	u8 *v = page_address(p);
	int i;

	for (i = 0; i < PAGE_SIZE; i++)
		v[i] = seed + i * 7;
}

static bool same(struct page *a, struct page *b, size_t len)
{
	return !memcmp(page_address(a), page_address(b), len);
}

static bool all_bytes(struct page *p, u8 val)
{
	u8 *v = page_address(p);
	int i;

	for (i = 0; i < PAGE_SIZE; i++)
		if (v[i] != val)
			return false;
	return true;
}

/* The round trip through the DMA API, on whatever domain the device has. */
static int edu_dma_api(struct pci_dev *pdev, struct iconf_edu *edu,
		       struct page **pg, struct iconf_edu_dma *a)
{
	dma_addr_t src, dst;
	int ret;

	src = dma_map_page(&pdev->dev, pg[0], 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(&pdev->dev, src)) {
		a->map_ret = -ENOMEM;
		return 0;
	}
	dst = dma_map_page(&pdev->dev, pg[1], 0, PAGE_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(&pdev->dev, dst)) {
		dma_unmap_page(&pdev->dev, src, PAGE_SIZE, DMA_TO_DEVICE);
		a->map_ret = -ENOMEM;
		return 0;
	}
	a->dma_addr = dst;
	a->phys_addr = page_to_phys(pg[1]);
	ret = edu_xfer(edu, src, false);
	if (!ret)
		ret = edu_xfer(edu, dst, true);
	dma_unmap_page(&pdev->dev, dst, PAGE_SIZE, DMA_FROM_DEVICE);
	dma_unmap_page(&pdev->dev, src, PAGE_SIZE, DMA_TO_DEVICE);
	if (ret)
		a->result |= ICONF_EDU_TIMEOUT;
	else if (same(pg[0], pg[1], EDU_XFER))
		a->result |= ICONF_EDU_ARRIVED;
	return 0;
}

/* The round trip at physical addresses, for a device on an identity domain. */
static int dma_identity(struct iconf_engine *e, struct page **pg,
			struct iconf_edu_dma *a)
{
	int ret;

	a->dma_addr = page_to_phys(pg[1]);
	a->phys_addr = page_to_phys(pg[1]);
	ret = e->xfer(e, page_to_phys(pg[0]), false);
	if (!ret)
		ret = e->xfer(e, page_to_phys(pg[1]), true);
	if (ret)
		a->result |= ICONF_EDU_TIMEOUT;
	else if (same(pg[0], pg[1], EDU_XFER))
		a->result |= ICONF_EDU_ARRIVED;
	return 0;
}

/* IOVAs for an engine that cannot reach RAM's physical addresses. */
#define ICONF_LOW_IOVA		0x100000

/*
 * The round trip through IOVAs of a domain. pg[0] source, pg[1]
 * destination; pg[2..4] canaries whose physical addresses serve as the
 * source, destination and unmapped IOVAs, so that DMA the IOMMU failed to
 * translate lands on a canary. Where RAM lies beyond what the engine
 * reaches (arm64's virt machine puts it at 1 GiB, edu reaches 256 MiB),
 * low IOVAs are used instead, and untranslated DMA cannot be caught.
 */
static int dma_domain(struct iconf_engine *e, struct iommu_domain *dom,
		      struct page **pg, struct iconf_edu_dma *a)
{
	bool canaries = page_to_phys(pg[4]) + PAGE_SIZE <= e->limit;
	u64 iova_src = canaries ? page_to_phys(pg[2]) : ICONF_LOW_IOVA;
	u64 iova_dst = canaries ? page_to_phys(pg[3]) : ICONF_LOW_IOVA + PAGE_SIZE;
	u64 iova_none = canaries ? page_to_phys(pg[4]) : ICONF_LOW_IOVA + 2 * PAGE_SIZE;
	int ret;

	ret = iconf_iommu_map(dom, iova_src, page_to_phys(pg[0]), PAGE_SIZE,
			      IOMMU_READ | IOMMU_WRITE);
	if (ret) {
		a->map_ret = ret;
		return 0;
	}
	ret = iconf_iommu_map(dom, iova_dst, page_to_phys(pg[1]), PAGE_SIZE,
			      IOMMU_READ | IOMMU_WRITE);
	if (ret) {
		iommu_unmap(dom, iova_src, PAGE_SIZE);
		a->map_ret = ret;
		return 0;
	}
	a->dma_addr = iova_dst;
	a->phys_addr = page_to_phys(pg[1]);
	ret = e->xfer(e, iova_src, false);
	if (!ret)
		ret = e->xfer(e, iova_dst, true);
	if (!ret) {
		if (same(pg[0], pg[1], EDU_XFER))
			a->result |= ICONF_EDU_ARRIVED;
		if (canaries && !all_bytes(pg[3], 0xc3))
			a->result |= ICONF_EDU_LEAKED;
		a->result |= ICONF_EDU_UNMAPPED_RUN;
		a->unmapped_iova = iova_none;
		ret = e->xfer(e, iova_none, true);
	}
	if (ret)
		a->result |= ICONF_EDU_TIMEOUT;
	if (canaries && !all_bytes(pg[4], 0xc4))
		a->result |= ICONF_EDU_CANARY_HIT;
	iommu_unmap(dom, iova_dst, PAGE_SIZE);
	iommu_unmap(dom, iova_src, PAGE_SIZE);
	return 0;
}

long iconf_edu_dma(struct iconf_file *f, void *arg)
{
	struct iconf_edu_dma *a = arg;
	struct iconf_dev *d = iconf_dev_lookup(f, a->dev_id);
	struct iconf_engine e = {};
	struct iommu_domain *dom;
	struct iconf_dom *m = NULL;
	struct page *pg[5] = {};
	int i, ret = 0;

	if (!d)
		return -ENOENT;
	if (a->dom_id) {
		m = iconf_dom_lookup(f, a->dom_id);
		if (!m)
			return -ENOENT;
	}
	if (a->result || a->dma_addr || a->phys_addr || a->map_ret || a->reserved ||
	    a->unmapped_iova)
		return -EINVAL;
	if (d->pdev && iconf_is_edu(d->pdev)) {
		e.edu = pci_get_drvdata(d->pdev);
		e.xfer = edu_engine_xfer;
		e.limit = edu_reach();
	} else if (iconf_is_mock(d->dev)) {
		/* Looked up, not linked: this module loads where the mock cannot. */
		e.mock_xfer = symbol_get(iconf_mock_xfer);
		if (!e.mock_xfer)
			return -ENODEV;
		e.dev = d->dev;
		e.xfer = mock_engine_xfer;
		e.limit = U64_MAX;
	} else {
		return -ENODEV;
	}
	for (i = 0; i < ARRAY_SIZE(pg); i++) {
		pg[i] = alloc_page(GFP_KERNEL | GFP_DMA);
		if (!pg[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	fill(pg[0], 0x5a);
	memset(page_address(pg[1]), 0, PAGE_SIZE);
	for (i = 2; i < ARRAY_SIZE(pg); i++)
		memset(page_address(pg[i]), 0xc0 + i, PAGE_SIZE);
	if (e.edu) {
		mutex_lock(&e.edu->lock);
		if (m)
			ret = dma_domain(&e, m->domain, pg, a);
		else
			ret = edu_dma_api(d->pdev, e.edu, pg, a);
		mutex_unlock(&e.edu->lock);
		goto out;
	}
	/*
	 * The mock device has no DMA API of its own: "through its current
	 * domain" means through the domain the core says it is on.
	 */
	dom = m ? m->domain : iommu_get_domain_for_dev(d->dev);
	if (!dom)
		a->result |= ICONF_EDU_TIMEOUT;
	else if (dom->type == IOMMU_DOMAIN_IDENTITY)
		ret = dma_identity(&e, pg, a);
	else
		ret = dma_domain(&e, dom, pg, a);
out:
	if (e.mock_xfer)
		symbol_put(iconf_mock_xfer);
	for (i = 0; i < ARRAY_SIZE(pg); i++)
		if (pg[i])
			__free_page(pg[i]);
	return ret;
}

static int iconf_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iconf_edu *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "iconf_edu");
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_table(pdev)[0];
	if ((readl(edu->mmio + EDU_ID) & 0xff) != 0xed)
		return -ENODEV;
	/*
	 * Untranslated (identity), a 28-bit device cannot reach RAM above
	 * 256 MiB (riscv virt puts RAM at 2 GiB): the device is not usable
	 * here, which the driver core takes silently as -ENODEV; the reason
	 * goes to the log at info level.
	 */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(edu_dma_bits));
	if (ret) {
		dev_info(&pdev->dev, "%u-bit DMA refused (%d): RAM is out of its reach here (edu_dma_bits=)\n",
			 edu_dma_bits, ret);
		return -ENODEV;
	}
	pci_set_master(pdev);
	mutex_init(&edu->lock);
	pci_set_drvdata(pdev, edu);
	return 0;
}

static void iconf_edu_remove(struct pci_dev *pdev)
{
	pci_clear_master(pdev);
}

static const struct pci_device_id iconf_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, iconf_edu_ids);

static struct pci_driver iconf_edu_driver = {
	.name = "iconf_edu",
	.id_table = iconf_edu_ids,
	.probe = iconf_edu_probe,
	.remove = iconf_edu_remove,
	.driver_managed_dma = true,
};

int iconf_edu_register(void)
{
	if (edu_dma_bits < 28 || edu_dma_bits > 64) {
		pr_err("iommu_conformance: edu_dma_bits=%u: want 28..64\n", edu_dma_bits);
		return -EINVAL;
	}
	return pci_register_driver(&iconf_edu_driver);
}

void iconf_edu_unregister(void)
{
	pci_unregister_driver(&iconf_edu_driver);
}
