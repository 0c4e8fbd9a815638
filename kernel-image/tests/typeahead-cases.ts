// Typed-ahead input (issue 7, item 1): a script of thousands of commands is
// written to UART0 in one go - before the prompt, while the kernel formats
// its disk, while commands run - and every single command must run and print,
// in order. The kernel's 256-byte receive ring fills many times over; what it
// cannot take must wait in the UART (flow control), never be dropped. Shared
// by the QEMU test (typeahead-qemu.test.ts) and the emulator's
// (emulator/tests/machine/typeahead.test.ts); no machine specifics here.

import { debugfs, debugfsNames, e2fsck } from './storage-cases.ts';
import type { SerialMachine } from './serial-machine.ts';

export interface TypeAheadScript {
  /** Everything to type, ending with `poweroff`. */
  text: string;
  /** The lines `echo` must print, in order. */
  echoes: string[];
  /** Files `write` creates under /ta: name -> contents. */
  files: Map<string, string>;
  lines: number;
}

/**
 * `lines` commands after `mkdir /ta`: every tenth a `write /ta/fNNNN ...`, the
 * others `echo ta-NNNN-xxx...` (about 45 bytes a line, so 2400 lines are
 * ~105 KB: more than the emulator's 64 KiB input queue too); then `ls /ta`,
 * `echo typeahead-done` and `poweroff`.
 */
export function typeAheadScript(lines: number): TypeAheadScript {
  const out = ['mkdir /ta'];
  const echoes: string[] = [];
  const files = new Map<string, string>();
  const n4 = (i: number) => String(i).padStart(4, '0');
  for (let i = 0; i < lines; i++) {
    if (i % 10 === 5) {
      const name = `f${n4(i)}`;
      const body = `payload-${n4(i)}-${'p'.repeat(20)}`;
      files.set(name, body + '\n');
      out.push(`write /ta/${name} ${body}`);
    } else {
      const text = `ta-${n4(i)}-${'x'.repeat(30)}`;
      echoes.push(text);
      out.push(`echo ${text}`);
    }
  }
  out.push('ls /ta', 'echo typeahead-done', 'poweroff');
  return { text: out.map((l) => l + '\n').join(''), echoes, files, lines: out.length };
}

/** What the shell printed for the script; returns the problems found (none: []). */
export function checkTypeAheadOutput(output: string, s: TypeAheadScript): string[] {
  const text = output.replace(/\r\n/g, '\n');
  const errors: string[] = [];
  const printed = text.split('\n').filter((l) => /^ta-\d{4}-/.test(l));
  if (printed.length !== s.echoes.length) errors.push(`${printed.length} echo answers, want ${s.echoes.length}`);
  const firstBad = s.echoes.findIndex((e, i) => printed[i] !== e);
  if (firstBad >= 0) errors.push(`echo answer #${firstBad} is ${JSON.stringify(printed[firstBad])}, want ${JSON.stringify(s.echoes[firstBad])}`);
  // Every command line came back as typed, once, after a prompt.
  const commands = s.text.split('\n').filter((l) => l.length > 0);
  const echoed = text.split('\n').filter((l) => l.startsWith('sis> ')).map((l) => l.slice(5));
  const firstCmdBad = commands.findIndex((c, i) => echoed[i] !== c);
  if (firstCmdBad >= 0) {
    errors.push(`command line #${firstCmdBad} echoed as ${JSON.stringify(echoed[firstCmdBad])}, want ${JSON.stringify(commands[firstCmdBad])}`);
  }
  if (/sis: (unknown command|line too long|write:|mkdir:)/.test(text)) {
    errors.push(`a command failed: ${/sis: (unknown command|line too long|write:|mkdir:).*/.exec(text)![0]}`);
  }
  const ls = /sis> ls \/ta\n([\s\S]*?)sis> /.exec(text);
  const listed = ls ? ls[1].split('\n').filter((l) => l.length > 0) : [];
  const want = [...s.files.keys()].sort();
  if (JSON.stringify(listed) !== JSON.stringify(want)) errors.push(`ls /ta lists ${listed.length} names, want ${want.length}`);
  if (!text.includes('\ntypeahead-done\n')) errors.push('typeahead-done missing');
  return errors;
}

/** The disk after the run: e2fsck clean, every file there with its contents (debugfs). */
export function checkTypeAheadDisk(img: string, s: TypeAheadScript): string[] {
  const errors: string[] = [];
  const fsck = e2fsck(img);
  if (fsck.status !== 0) errors.push(`e2fsck -fn: status ${fsck.status}\n${fsck.output}`);
  const names = debugfsNames(img, '/ta');
  const want = [...s.files.keys()].sort();
  if (JSON.stringify(names) !== JSON.stringify(want)) errors.push(`debugfs sees ${names.length} files in /ta, want ${want.length}`);
  const keys = [...s.files.keys()];
  for (const name of [keys[0], keys[keys.length >> 1], keys[keys.length - 1]]) {
    const got = debugfs(img, `cat /ta/${name}`);
    if (got !== s.files.get(name)) errors.push(`/ta/${name} holds ${JSON.stringify(got)}, want ${JSON.stringify(s.files.get(name))}`);
  }
  return errors;
}

/**
 * Types the whole script at once into a machine that has just been started
 * (no wait for the prompt) and waits for it to power off.
 */
export async function runTypeAhead(m: SerialMachine, s: TypeAheadScript, timeoutMs: number): Promise<void> {
  m.write(s.text);
  await m.waitFor('sis: powering off', { timeoutMs });
  const exit = await m.exited;
  if (exit.code !== 0) throw new Error(`exit status ${exit.code} (${exit.reason}), want 0`);
}
