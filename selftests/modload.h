/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading and unloading the test modules by system call, as the tests
 * that cycle them need: an insmod or rmmod process per cycle costs more
 * than the cycle itself under an emulated, sanitized kernel.
 */
#ifndef ICONF_MODLOAD_H
#define ICONF_MODLOAD_H

#include <stdbool.h>
#include <stddef.h>

/* finit_module() of the file @ko with @params ("" for none). 0 or -errno. */
int mod_load(const char *ko, const char *params);
/*
 * The bus address bits the VM's edu reaches: $ICONF_EDU_DMA_BITS (the
 * gate sets it from the topology's edu_dma_bits), else QEMU's default 28.
 */
unsigned int edu_dma_bits(void);
/* The conformance module's parameters for this VM ("edu_dma_bits=N"). */
const char *conf_params(void);
/* delete_module(@name) without waiting for users. 0 or -errno. */
int mod_unload(const char *name);
bool mod_loaded(const char *name);
/*
 * The conformance module's path: $IOMMU_CONF_KO, else
 * iommu_conformance.ko beside the running program.
 */
void conf_ko_path(char *buf, size_t len);
/* /proc/sys/kernel/tainted; 0 if unreadable. */
unsigned long kernel_taint(void);

#endif
