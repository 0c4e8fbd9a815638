// PSCI over HVC #0 (SMC Calling Convention function ids in w0), as QEMU 7.2
// implements it for `-M virt` without EL2/EL3 (target/arm/psci.c), checked
// call by call against QEMU in emulator/tests/host/psci.test.ts:
// - PSCI_VERSION -> 1.1 (0x0001_0001).
// - PSCI_FEATURES answers 0 for the calls below and NOT_SUPPORTED (-1) for
//   everything else (including the SMCCC_VERSION/ARCH_FEATURES ids).
// - CPU_ON (32/64): the target is the only CPU (MPIDR affinity 0) ->
//   ALREADY_ON (-4); any other MPIDR -> INVALID_PARAMETERS (-2).
// - AFFINITY_INFO (32/64): affinity 0 -> 0 (ON), others -> INVALID_PARAMETERS.
//   The 32-bit ids compare the whole X register, as QEMU does.
// - MIGRATE_INFO_TYPE -> 2 (no Trusted OS).
// - CPU_SUSPEND (32/64): power_state bits 31:17 set -> INVALID_PARAMETERS;
//   otherwise x0 = 0 and the CPU waits as in WFI (QEMU never powers down).
// - CPU_OFF: the only CPU stops for good (the machine reports it halted).
// - SYSTEM_OFF / SYSTEM_RESET: run() stops with PowerOff / Reset.
// - any other id -> NOT_SUPPORTED (-1) in x0.

import * as S from "./state";
import { xreg, setXreg, stopRun, STOP_POWEROFF, STOP_RESET, STOP_IDLE } from "./cpu";
import { waitForInterrupt } from "./system";

const VERSION: u32 = 0x84000000;
const CPU_SUSPEND: u32 = 0x84000001, CPU_SUSPEND64: u32 = 0xc4000001;
const CPU_OFF: u32 = 0x84000002;
const CPU_ON: u32 = 0x84000003, CPU_ON64: u32 = 0xc4000003;
const AFFINITY_INFO: u32 = 0x84000004, AFFINITY_INFO64: u32 = 0xc4000004;
const MIGRATE_INFO_TYPE: u32 = 0x84000006;
const SYSTEM_OFF: u32 = 0x84000008, SYSTEM_RESET: u32 = 0x84000009;
const FEATURES: u32 = 0x8400000a;

const NOT_SUPPORTED: i64 = -1, INVALID_PARAMETERS: i64 = -2, ALREADY_ON: i64 = -4;

function supported(fn: u32): bool {
  switch (fn) {
    case VERSION: case CPU_SUSPEND: case CPU_SUSPEND64: case CPU_OFF: case CPU_ON: case CPU_ON64:
    case AFFINITY_INFO: case AFFINITY_INFO64: case MIGRATE_INFO_TYPE: case SYSTEM_OFF:
    case SYSTEM_RESET: case FEATURES:
      return true;
    default:
      return false;
  }
}

// Arguments are the whole X registers for the 32-bit ids too (as QEMU reads them at AArch64).
@inline function arg(fn: u32, n: u32): u64 { return xreg(n); }

// The one CPU's affinity (MPIDR_EL1 Aff3..Aff0 without the RES1/U bits) is 0.
@inline function isThisCpu(mpidr: u64): bool { return mpidr == 0; }

export function psciCall(): void {
  // A CPU_SUSPEND that went idle re-executes its HVC; x0 already holds 0.
  if (S.psciSuspended) {
    if (waitForInterrupt()) S.psciSuspended = false;
    return;
  }
  const fn = <u32>xreg(0);
  let r: i64 = NOT_SUPPORTED;
  switch (fn) {
    case VERSION: r = 0x10001; break;
    case FEATURES: r = supported(<u32>xreg(1)) ? 0 : NOT_SUPPORTED; break;
    case CPU_ON: case CPU_ON64:
      r = isThisCpu(arg(fn, 1)) ? ALREADY_ON : INVALID_PARAMETERS; break;
    case AFFINITY_INFO: case AFFINITY_INFO64:
      r = isThisCpu(arg(fn, 1)) ? 0 : INVALID_PARAMETERS; break;
    case MIGRATE_INFO_TYPE: r = 2; break;
    case CPU_SUSPEND: case CPU_SUSPEND64:
      if ((arg(fn, 1) & 0xfffe0000) != 0) { r = INVALID_PARAMETERS; break; }
      setXreg(0, 0);
      if (!waitForInterrupt()) S.psciSuspended = true;
      return;
    case CPU_OFF:
      S.psciFn = fn;
      S.cpuOff = true;
      S.npc = S.pc;
      stopRun(STOP_IDLE);
      return;
    case SYSTEM_OFF: S.psciFn = fn; stopRun(STOP_POWEROFF); r = 0; break;
    case SYSTEM_RESET: S.psciFn = fn; stopRun(STOP_RESET); r = 0; break;
    default: r = NOT_SUPPORTED;
  }
  setXreg(0, <u64>r);
}
