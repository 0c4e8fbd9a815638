// SIMD&FP unit of the emulator core: the entry points the decoder calls for
// the "Data Processing -- Scalar Floating-Point and Advanced SIMD" group
// (op0 = x111) - the V-bit loads and stores are the table's V_* patterns
// (loadstore.ts) - plus the V register file and FPCR/FPSR accessors the core re-exports to the host.
//
// Layout: regs.ts (state), softfloat.ts (IEEE arithmetic with exact flags),
// fp.ts (scalar FP encodings), advsimd.ts (Advanced SIMD encodings),
// loadstore.ts (V-register loads/stores). Every encoding a handler does not
// recognise ends in undefinedInsn(): nothing is silently ignored.

import { undefinedInsn, checkFpEnabled } from "../cpu";
import { execScalarFp, execScalarFpFast } from "./fp";
import { execAdvSimd } from "./advsimd";

export { getV, setV, getFPCR, setFPCR, getFPSR, setFPSR, resetSimd } from "./regs";

export function SIMD_FP(insn: u32): void {
  if (!checkFpEnabled()) return;
  // the hot double-precision forms first (fp.ts), then the full decode
  if (execScalarFpFast(insn)) return;
  // Scalar FP: bit 30 = 0 and bits 28:24 = 1111x; everything else in the
  // group is Advanced SIMD (scalar forms have bits 31:30 = 01).
  let ok: bool;
  if ((insn & 0x4000_0000) == 0 && ((insn >> 25) & 15) == 0b1111) ok = execScalarFp(insn);
  else ok = execAdvSimd(insn);
  if (!ok) undefinedInsn(insn);
}
