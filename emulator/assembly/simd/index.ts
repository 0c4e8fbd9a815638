// SIMD&FP unit of the emulator core: the entry point the decoder calls for the
// part of "Data Processing -- Scalar Floating-Point and Advanced SIMD" (op0 = x111)
// that the decoding table does not decode yet - Advanced SIMD and crypto - plus the
// V register file and FPCR/FPSR accessors the core re-exports to the host.
// Scalar FP (fp.ts, FP_* patterns) and the V-bit loads and stores (loadstore.ts,
// V_* patterns) are table-driven, and so are these AdvSIMD groups (advsimd.ts): copy,
// modified immediate, permute, EXT, TBL, across lanes, two-register miscellaneous
// (vector and scalar), scalar pairwise; and crypto AES and two-register SHA (crypto.ts).
//
// Layout: regs.ts (state), softfloat.ts (IEEE arithmetic with exact flags),
// fp.ts (scalar FP encodings), advsimd.ts (Advanced SIMD encodings),
// loadstore.ts (V-register loads/stores). Every encoding a handler does not
// recognise ends in undefinedInsn(): nothing is silently ignored.

import { undefinedInsn, checkFpEnabled } from "../cpu";
import { execAdvSimd } from "./advsimd";

export { getV, setV, getFPCR, setFPCR, getFPSR, setFPSR, resetSimd } from "./regs";

export function SIMD_FP(insn: u32): void {
  if (!checkFpEnabled()) return;
  if (!execAdvSimd(insn)) undefinedInsn(insn);
}
