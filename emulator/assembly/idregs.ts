// Identification registers: the op0=3, op1=0, CRn=0 space (MIDR_EL1 ..
// ID_AA64MMFR4 and the reserved encodings between them) and the cache and
// type registers beside it (CCSIDR/CLIDR/AIDR, CTR/DCZID), with the values
// QEMU 7.2 reports for `-M virt -cpu cortex-a72` (EL2/EL3 absent), as read
// by a guest at EL1 (emulator/tests/host/idregs.test.ts compares the whole
// space with QEMU). In CRm=0 only MIDR, MPIDR and REVIDR exist (the other
// op2 values are UNDEFINED, as on QEMU); CRm=1..7 are all allocated, the
// unused ones read as zero; CRm=8..15 are UNDEFINED.
//
// Features QEMU's A72 advertises that this core does not implement:
// AArch32 at EL0/EL1 (ID_AA64PFR0 EL0/EL1 = 2; an ERET to AArch32 is an
// illegal exception return here) and the 16 KiB/64 KiB granules
// (ID_AA64MMFR0 TGran64 = 0; the MMU walks every TCR granule as 4 KiB).

import * as S from "./state";

// CRm=1..7, op2=0..7: 56 values in encoding order (AArch32 ID registers in
// CRm 1..3, the AArch64 ones in CRm 4..7).
const ID_SPACE: StaticArray<u32> = [
  // CRm=1: ID_PFR0, ID_PFR1, ID_DFR0, ID_AFR0, ID_MMFR0..3
  0x00000131, 0x00010001, 0x03010006, 0, 0x10201105, 0x40000000, 0x01260000, 0x02102211,
  // CRm=2: ID_ISAR0..5, ID_MMFR4, ID_ISAR6
  0x02101110, 0x13112111, 0x21232042, 0x01112131, 0x00011142, 0x00011121, 0, 0,
  // CRm=3: MVFR0..2, reserved, ID_PFR2, ID_DFR1, ID_MMFR5, reserved
  0x10110222, 0x12111111, 0x00000043, 0, 0, 0, 0, 0,
  // CRm=4: ID_AA64PFR0 (EL0/EL1 AArch64+AArch32, FP, AdvSIMD), PFR1, PFR2, -, ZFR0, SMFR0, -, -
  0x00000022, 0, 0, 0, 0, 0, 0, 0,
  // CRm=5: ID_AA64DFR0 (PMUv3, 6 breakpoints, 4 watchpoints, 2 context-aware), DFR1, -, -, AFR0, AFR1, -, -
  0x10305106, 0, 0, 0, 0, 0, 0, 0,
  // CRm=6: ID_AA64ISAR0 (AES+PMULL, SHA1, SHA256, CRC32), ISAR1, ISAR2, ...
  0x00011120, 0, 0, 0, 0, 0, 0, 0,
  // CRm=7: ID_AA64MMFR0 (44-bit PA, 16-bit ASID, mixed-endian), MMFR1..4, ...
  0x00001124, 0, 0, 0, 0, 0, 0, 0,
];

export const MIDR: u64 = 0x410fd083; // Cortex-A72 r0p3
export const MPIDR: u64 = 0x80000000;

// Set by idRead: false if `key` is not an ID register this file answers.
export let idFound: bool = false;

// CCSIDR_EL1 for CSSELR_EL1: L1D, L1I, L2 (QEMU's A72 values); others read 0.
function ccsidr(): u64 {
  switch (<u32>S.csselr) {
    case 0: return 0x701fe00a; // L1D 32 KiB, 2-way, 64-byte lines
    case 1: return 0x201fe012; // L1I 48 KiB, 3-way
    case 2: return 0x707fe07a; // L2 1 MiB, 16-way
    default: return 0;
  }
}

// Reads an identification register (`key` as in system.ts srKey). Sets
// idFound = false (and returns 0) for keys outside these registers, which
// includes the UNDEFINED encodings of the ID space.
export function idRead(key: u32): u64 {
  idFound = true;
  if ((key & 0xff80) == 0xc000) { // op0=3, op1=0, CRn=0
    const crm = (key >> 3) & 15, op2 = key & 7;
    if (crm == 0) {
      if (op2 == 0) return MIDR;
      if (op2 == 5) return MPIDR;
      if (op2 == 6) return 0; // REVIDR_EL1
    } else if (crm <= 7) {
      return <u64>ID_SPACE[(crm - 1) * 8 + op2];
    }
    idFound = false;
    return 0;
  }
  switch (key) {
    case 0xc800: return ccsidr();       // CCSIDR_EL1
    case 0xc801: return 0x0a200023;     // CLIDR_EL1: L1 I+D, L2 unified; LoUU 1, LoC 2
    case 0xc807: return 0;              // AIDR_EL1
    case 0xd801: return 0x8444c004;     // CTR_EL0
    case 0xd807: return 4;              // DCZID_EL0: DC ZVA zeroes 64 bytes
  }
  idFound = false;
  return 0;
}

// True for the read-only identification registers (MSR to them is UNDEFINED).
export function isIdRegister(key: u32): bool {
  if ((key & 0xff80) == 0xc000 || (key & 0xff80) == 0xc800) return true;
  return key == 0xd801 || key == 0xd807;
}
