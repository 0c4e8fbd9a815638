// Architectural state of the single AArch64 PE: general registers, PSTATE
// pieces, and the EL1/EL0 system registers the core models. Kept in one file
// so every module reads the same globals; cpu.ts owns the behaviour.

// X0..X30 live in a static block; slot 31 is never read through xreg().
export const REGS: usize = memory.data(32 * 8, 16);

export let pc: u64 = 0;          // address of the executing instruction
export let npc: u64 = 0;         // next PC; handlers and exception entry overwrite it
export let nzcv: u32 = 0;        // bits 31..28
export let curEL: u32 = 1;       // 0 or 1
export let spSel: u32 = 1;       // PSTATE.SP (only meaningful at EL1)
export let daif: u32 = 0x3c0;    // bits 9..6 as in SPSR
export let pstateIL: u32 = 0;    // PSTATE.IL (illegal execution state)
export let pstateSS: bool = false; // PSTATE.SS (software step, debugarch.ts)
export let ssState: u32 = 0;     // software step: 1 armed by ERET, 2 one instruction run (cpu.ts run())
export let spEl0: u64 = 0;
export let spEl1: u64 = 0;

// EL1 system registers
export let sctlr: u64 = 0;
export let tcr: u64 = 0;
export let ttbr0: u64 = 0;
export let ttbr1: u64 = 0;
export let mair: u64 = 0;
export let vbar: u64 = 0;
export let esr: u64 = 0;
export let far: u64 = 0;
export let elr: u64 = 0;
export let spsr: u64 = 0;
export let par: u64 = 0;
export let cpacr: u64 = 0;
export let tpidr0: u64 = 0;
export let tpidr1: u64 = 0;
export let tpidrro0: u64 = 0;
export let contextidr: u64 = 0;
export let amair: u64 = 0;
export let afsr0: u64 = 0;
export let afsr1: u64 = 0;
export let csselr: u64 = 0;
export let mdscr: u64 = 0;
export let cntkctl: u64 = 0;
export let actlr: u64 = 0;

// exclusive monitor (single PE): LDXR sets, STXR succeeds while set and matching
export let exclValid: bool = false;
export let exclAddr: u64 = 0;
export let exclSize: u32 = 0;
export let eventReg: bool = false;

// run control
export let stopReason: i32 = -1; // set by instructions that end run(); -1 = keep going
export let hostTraps: u32 = 0;
export let lastTrapInsn: u32 = 0;
export let psciFn: u32 = 0;
export let psciSuspended: bool = false; // a PSCI CPU_SUSPEND is waiting (its HVC re-executes)
export let cpuOff: bool = false;        // PSCI CPU_OFF: the only CPU is off until reset
export let lastUndef: u32 = 0;
export let lastUndefPC: u64 = 0;
export let instretCount: u64 = 0;
export let wfiStopped: bool = false; // run() returned Idle with PC on a WFI/WFE
export let irqCheck: bool = true; // something changed that may unmask/raise an IRQ
export let debugBp: bool = false;    // a host breakpoint is set (debug.ts): fetches take the slow path
export let debugWatch: bool = false; // a host watchpoint is set (debug.ts): watched pages take the slow paths
export let excCount: u32 = 0; // exceptions taken (wraps); the translator's helpers compare it

export function setPcNext(v: u64): void { npc = v; }
