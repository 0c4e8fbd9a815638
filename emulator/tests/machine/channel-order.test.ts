// The guest's order across channels: UART text printed before an event-console
// write reaches the host before that event (the machine flushes its UART batch
// before a virtio notify), so a page or a test reading both never sees a
// command's event ahead of the text the command printed first.
import { describe, expect, it } from 'vitest';
import { PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

describe('UART and event console order', () => {
  it('delivers the boot lines before the boot event that follows them', async () => {
    let uart = '';
    const decoder = new TextDecoder();
    const seen: { event: string; uartSoFar: string }[] = [];
    const events = new VirtioConsole((b) => {
      for (const line of decoder.decode(b).split('\n').filter((l) => l)) seen.push({ event: line, uartSoFar: uart });
    });
    const text = new TextDecoder();
    const m = await EmulatorMachine.start({ virtio: { 29: events }, onUart: (b) => (uart += text.decode(b, { stream: true })) });
    try {
      await m.waitFor(PROMPT, { timeoutMs: 120_000 });
    } finally {
      await m.kill();
    }
    const boot = seen.find((s) => JSON.parse(s.event).t === 'boot');
    expect(boot, 'a boot event').toBeTruthy();
    // main.c prints the boot: lines and storage_init() its line, then sends the boot event
    expect(boot!.uartSoFar).toMatch(/\nboot: mmu on, heap \d+ MiB at 0x[0-9a-f]+, timer \d+ Hz, kernel \d+ KiB\r?\nstorage: no system disk \(blk0\), no filesystem mounted\r?\n$/);
  }, 180_000);
});
