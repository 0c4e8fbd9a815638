/*
 * psci.c - PSCI (Arm DEN0022) calls: power off, reset, version.
 *
 * The DTB's /psci node says which conduit reaches the firmware: "hvc" on
 * QEMU virt without EL2 (QEMU implements PSCI itself), "smc" with EL3
 * firmware. SYSTEM_OFF makes QEMU exit with status 0; SYSTEM_RESET reboots
 * the machine (QEMU reloads the kernel). Both return only on failure.
 */
#include "../defs.h"

#define PSCI_VERSION      0x84000000u
#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_NOT_SUPPORTED (-1)

/* SMCCC lets the firmware clobber x4-x17 as well. */
#define CLOBBERS "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", \
    "x15", "x16", "x17"

static enum { NONE, HVC, SMC } conduit;

void psci_init(const char *method)
{
    if (method && strcmp(method, "hvc") == 0)
        conduit = HVC;
    else if (method && strcmp(method, "smc") == 0)
        conduit = SMC;
    else
        conduit = NONE;
}

static int64_t call(uint32_t fn)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = 0;
    register uint64_t x2 __asm__("x2") = 0;
    register uint64_t x3 __asm__("x3") = 0;
    if (conduit == HVC)
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory", CLOBBERS);
    else if (conduit == SMC)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory", CLOBBERS);
    else
        return PSCI_NOT_SUPPORTED;
    return (int64_t)x0;
}

uint32_t psci_version(void)
{
    int64_t v = call(PSCI_VERSION);
    return v < 0 ? 0 : (uint32_t)v;
}

int psci_system_off(void)
{
    return (int)call(PSCI_SYSTEM_OFF);
}

int psci_system_reset(void)
{
    return (int)call(PSCI_SYSTEM_RESET);
}
