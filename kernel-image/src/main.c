/*
 * main.c - kmain: from the boot stub to the shell.
 *
 * Order matters: the device tree is parsed first (MMU off, no output yet),
 * because it says where the UART is; then the UART, so everything after can
 * report problems; then the MMU (it maps exactly the devices found), the
 * heap right after the kernel image, the GIC, timer, RTC, PSCI and UART
 * receive interrupts. A device missing from the DTB falls back to its QEMU
 * virt default with a printed warning.
 *
 * The version, source hash and feature list are passed in by the Makefile
 * (SIS_SOURCE_HASH, SIS_FEATURES), never taken from the build clock.
 */
#include "defs.h"
#include "arch/cpu.h"

#ifndef SIS_SOURCE_HASH
#error "SIS_SOURCE_HASH must be set by the Makefile"
#endif
#ifndef SIS_FEATURES
#error "SIS_FEATURES must be set by the Makefile"
#endif

const char sis_source_hash[] = SIS_SOURCE_HASH;
const char sis_features[] = SIS_FEATURES;

extern char _start_image[], _end[];

/* Add a QEMU virt default for a device the DTB did not describe. */
static const struct fdt_device *fallback(enum dev_kind k, const char *compat, uint64_t addr,
                                         uint64_t size, uint64_t addr2, uint64_t size2, int irq)
{
    const struct fdt_device *d = fdt_find(&machine, k, 0);
    if (d)
        return d;
    printf("sis: warning: no %s in the device tree, assuming QEMU virt's %s at 0x%08lx\n",
           fdt_kind_name(k), compat, (unsigned long)addr);
    if (machine.ndev == FDT_MAX_DEVICES)
        machine.ndev--;
    struct fdt_device *n = &machine.dev[machine.ndev++];
    *n = (struct fdt_device){ k, "(default)", compat, addr, size, addr2, size2, irq };
    return n;
}

/* The first event on the event stream: who we are and what we found. */
static void boot_event(void)
{
    static char line[1024];
    struct json j;
    event_begin(&j, line, sizeof(line), "boot");
    json_str(&j, "version", SIS_VERSION);
    json_str(&j, "source", sis_source_hash);
    json_open_array(&j, "features");
    for (const char *p = sis_features; *p;) {
        char name[32];
        size_t n = 0;
        while (p[n] && p[n] != ' ' && n + 1 < sizeof(name)) {
            name[n] = p[n];
            n++;
        }
        name[n] = 0;
        json_str(&j, NULL, name);
        p += n;
        while (*p == ' ')
            p++;
    }
    json_close(&j);
    json_u64(&j, "ram", machine.ram_size);
    json_open_array(&j, "disks");
    for (int i = 0; i < blk_count(); i++) {
        json_open_object(&j, NULL);
        json_u64(&j, "n", (uint64_t)i);
        json_u64(&j, "sectors", blk_sectors(i));
        json_bool(&j, "ro", blk_readonly(i));
        json_close(&j);
    }
    json_close(&j);
    json_open_object(&j, "rootfs");
    json_bool(&j, "mounted", storage_fs() != NULL);
    json_bool(&j, "formatted", storage_formatted_at_boot());
    if (!storage_fs())
        json_str(&j, "reason", storage_reason());
    json_close(&j);
    event_send(&j);
}

void kmain(void *dtb)
{
    fdt_parse(dtb, &machine);
    const struct fdt_device *uart = fdt_find(&machine, DEV_UART, 0);
    uart_init(uart ? uart->addr : 0x09000000);

    printf("\nSIS kernel %s (features: %s)\n", SIS_VERSION, sis_features[0] ? sis_features : "none");
    if (machine.error)
        printf("sis: warning: device tree at %p: %s\n", dtb, machine.error);
    uart = fallback(DEV_UART, "arm,pl011", 0x09000000, 0x1000, 0, 0, 33);
    const struct fdt_device *gic = fallback(DEV_GIC, "arm,cortex-a15-gic", 0x08000000, 0x10000,
                                            0x08010000, 0x10000, -1);
    const struct fdt_device *timer = fallback(DEV_TIMER, "arm,armv8-timer", 0, 0, 0, 0, 27);
    const struct fdt_device *rtc = fallback(DEV_RTC, "arm,pl031", 0x09010000, 0x1000, 0, 0, 34);
    if (!machine.psci_method) {
        printf("sis: warning: no /psci method in the device tree, assuming hvc\n");
        machine.psci_method = "hvc";
    }
    if (machine.ram_size == 0) {
        printf("sis: warning: no memory node in the device tree, assuming 128 MiB at 0x40000000\n");
        machine.ram_base = 0x40000000;
        machine.ram_size = 128u << 20;
    }

    uintptr_t kend = (uintptr_t)_end;
    uintptr_t dtb_end = (uintptr_t)dtb + machine.dtb_size;
    uintptr_t heap = kend;
    if (dtb && dtb_end > heap && (uintptr_t)dtb < heap + HEAP_SIZE)
        heap = (dtb_end + 4095) & ~(uintptr_t)4095;   /* keep the DTB intact */
    if (heap < machine.ram_base || heap + HEAP_SIZE > machine.ram_base + machine.ram_size)
        panic("kmain: no room for the %u MiB heap in RAM 0x%lx+0x%lx", HEAP_SIZE >> 20,
              (unsigned long)machine.ram_base, (unsigned long)machine.ram_size);

    mmu_init();
    heap_init((void *)heap, HEAP_SIZE);
    gic_init(gic->addr, gic->addr2);
    timer_init(timer->irq >= 0 ? (uint32_t)timer->irq : 27);
    rtc_init(rtc->addr);
    psci_init(machine.psci_method);
    uart_enable_rx_irq(uart->irq >= 0 ? (uint32_t)uart->irq : 33);
    irq_enable();
    virtio_probe();
    blk_init();
    console_init();

    printf("boot: ram %lu MiB at 0x%08lx, dtb %u bytes at %p, %d devices\n",
           (unsigned long)(machine.ram_size >> 20), (unsigned long)machine.ram_base,
           machine.dtb_size, dtb, machine.ndev);
    printf("boot: %d virtio device(s), %d disk(s), event console %s\n", virtio_count(), blk_count(),
           console_present() ? "on" : "off");
    printf("boot: mmu on, heap %u MiB at 0x%08lx, timer %lu Hz, kernel %lu KiB\n",
           HEAP_SIZE >> 20, (unsigned long)heap, (unsigned long)timer_freq(),
           (unsigned long)((kend - (uintptr_t)_start_image) >> 10));
    storage_init();
    boot_event();
#ifdef CONFIG_MODEL_LIFECYCLE
    model_boot();
#endif
#if defined(CONFIG_SHADOW_MODE) && defined(CONFIG_MODEL_LIFECYCLE)
    shadow_boot();
#endif
#ifdef CONFIG_OTEL
    otel_init();
#endif
    auto_init();
    printf("Type 'help' for the list of commands.\n");
    shell_run();
}
