// SIMD&FP unit of the emulator core: the V register file and FPCR/FPSR accessors the
// core re-exports to the host. Every SIMD&FP encoding is decoded by the decoding table
// (emulator/decode/a64.decode), which calls the handlers directly: scalar FP (fp.ts,
// FP_* and FMOV_gen), Advanced SIMD (advsimd.ts), crypto (crypto.ts: AES, SHA_2reg,
// SHA_3reg) and the V-bit loads and stores (loadstore.ts, V_*); an encoding no pattern
// takes is the table's UNDEFINED (the generated fallthrough).
//
// Layout: regs.ts (state), softfloat.ts (IEEE arithmetic with exact flags),
// fp.ts (scalar FP encodings), advsimd.ts (Advanced SIMD encodings),
// crypto.ts, loadstore.ts (V-register loads/stores), lanes.ts (element access).

export { getV, setV, getFPCR, setFPCR, getFPSR, setFPSR, resetSimd } from "./regs";
