// The dashboard's root state: wires the machine, the system disk, the import
// disk and the registry view together. Components get these objects as props.
/// <reference types="vite/client" />
import coreUrl from '../../emulator/build/core.wasm?url';
import kernelUrl from '../../kernel-image/dist/sis-kernel.img?url';
import bundleUrl from '../../models/dist/seed-bundle.tar?url';
import WorkerUrl from '../../emulator/src/worker.ts?worker&url';
import type { SisEvent } from '../../emulator/src/events.ts';
import type { ClockName } from '../../emulator/src/core.ts';
import type { CpuMode } from '../../emulator/src/jit/jit.ts';
import { ErrorLog } from './errors.svelte.ts';
import { SystemDisk } from './disk.svelte.ts';
import { MachineSession } from './machine.svelte.ts';
import { RegistryView } from './registry.svelte.ts';
import { ImportDisk } from './import-disk.svelte.ts';
import { SigningKey, STOCK_KEYS } from './signing-key.svelte.ts';
import { DriftView } from './drift.svelte.ts';
import { OtelView } from './otel.svelte.ts';
import { ShadowAgentView } from './shadow.svelte.ts';
import { TraceRing } from './traces.svelte.ts';
import { addToBundle, checkPackage, signBareModel, type InputFile } from '../lib/model-package.ts';
import type { PackageFiles } from '../../models/src/package.ts';

async function fetchBytes(url: string, what: string): Promise<ArrayBuffer> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch the ${what} (${url}): ${(e as Error).message}`);
  }
  if (!r.ok) throw new Error(`cannot fetch the ${what} (${url}): HTTP ${r.status}`);
  return r.arrayBuffer();
}

export class Dashboard {
  readonly errors = new ErrorLog();
  readonly disk = new SystemDisk(this.errors);
  readonly importDisk = new ImportDisk(this.errors);
  readonly registry = new RegistryView(this.disk, this.errors);
  readonly machine: MachineSession;
  readonly signingKey = new SigningKey(this.errors);
  readonly drift = new DriftView((cmd) => this.machine.type(cmd));
  readonly otel = new OtelView(this.disk);
  readonly shadow: ShadowAgentView;
  readonly traces: TraceRing;
  /** A package added to the import disk, to import once the machine is back at its prompt. */
  pendingImport = $state<string | null>(null);
  /** What the last upload did, in words (the errors go to the error list). */
  uploadNote = $state<string | null>(null);
  /** The last events, newest last (for the event log and later panels). */
  recentEvents = $state<SisEvent[]>([]);
  ready = $state(false);
  private assets: Promise<{ wasm: ArrayBuffer; kernel: ArrayBuffer }> | null = null;

  /** ?clock=realtime in the URL switches the guest clock (default virtual). */
  clock: ClockName = new URLSearchParams(location.search).get('clock') === 'realtime' ? 'realtime' : 'virtual';
  /** ?cpu=interp in the URL runs the interpreter only (default the translator; docs/EMULATOR.md, CPU modes). */
  cpu: CpuMode = new URLSearchParams(location.search).get('cpu') === 'interp' ? 'interp' : 'jit';

  constructor() {
    this.machine = new MachineSession(
      this.errors,
      {
        onFlush: (bs, blocks) => this.disk.applyFlush(bs, blocks),
        onEvent: (e) => this.onEvent(e),
      },
      () => new Worker(WorkerUrl, { type: 'module' }),
    );
    this.shadow = new ShadowAgentView(this.machine, this.errors);
    this.traces = new TraceRing(this.machine, this.disk);
  }

  async init(autoBoot: boolean): Promise<void> {
    try {
      await this.disk.init();
    } catch (e) {
      this.errors.report('opening the stored disk', e);
      return;
    }
    await this.registry.loadStored();
    try {
      if (this.disk.store) await this.signingKey.load(this.disk.store);
    } catch (e) {
      this.errors.report('loading your signing key', e);
    }
    if (this.disk.usable && this.disk.blocks.size) await this.registry.rebuild();
    try {
      await this.importDisk.init(await fetchBytes(bundleUrl, 'seed bundle'));
    } catch (e) {
      this.errors.report('loading the import disk', e);
    }
    this.ready = true;
    if (autoBoot && this.disk.usable) await this.powerOn();
  }

  private onEvent(e: SisEvent): void {
    this.recentEvents = [...this.recentEvents.slice(-199), e];
    this.drift.onEvent(e);
    this.otel.onEvent(e);
    this.shadow.onEvent(e);
    this.traces.onEvent(e);
    if (e.t === 'registry') {
      const reg = (e as Extract<SisEvent, { t: 'registry' }>).registry;
      void this.registry.rebuild(reg);
    }
  }

  async powerOn(): Promise<void> {
    if (!this.disk.usable) {
      this.errors.report('powering on', new Error('another tab is running the machine on this disk'));
      return;
    }
    if (!this.disk.meta || !this.importDisk.image) {
      this.errors.report('powering on', new Error('the disks are not ready'));
      return;
    }
    try {
      this.assets ??= Promise.all([fetchBytes(coreUrl, 'emulator core'), fetchBytes(kernelUrl, 'kernel image')]).then(([wasm, kernel]) => ({ wasm, kernel }));
      const { wasm, kernel } = await this.assets;
      await this.machine.powerOn({
        wasm: wasm.slice(0),
        kernel: kernel.slice(0),
        clock: this.clock,
        cpu: this.cpu,
        importDisk: this.importDisk.image.slice().buffer as ArrayBuffer,
        disk: { sizeBytes: this.disk.meta.sizeBytes, blockSize: this.disk.meta.blockSize, blocks: this.disk.blocks },
      });
      this.importDisk.attached();
      void this.machine.whenPrompt().then(() => this.runPendingImport());
    } catch (e) {
      this.assets = null;
      this.errors.report('powering on', e);
    }
  }

  /** Checks an uploaded package (files or one .tar) and adds it to the import disk. */
  async uploadPackage(files: File[]): Promise<void> {
    try {
      const input: InputFile[] = await Promise.all(files.map(async (f) => ({ name: f.name, data: new Uint8Array(await f.arrayBuffer()) })));
      const own = this.signingKey.key ? [this.signingKey.key] : [];
      const p = checkPackage(input, STOCK_KEYS, own);
      await this.addPackage(p, p.unknownSigner ? `signed by key ${p.keyId}, which this dashboard does not know: only a kernel built to trust it imports it` : `signed by ${p.keyId}`);
    } catch (e) {
      this.errors.report('uploading a model package', e);
    }
  }

  /** Signs a bare model.bin with the user's key as VERSION and adds it to the import disk. */
  async signAndUpload(file: File, version: string, description: string): Promise<void> {
    try {
      const key = this.signingKey.key;
      if (!key) throw new Error('no signing key: generate one or load your .key file first');
      const p = signBareModel(new Uint8Array(await file.arrayBuffer()), version, key, { fileName: file.name, description: description || undefined });
      await this.addPackage(p, `signed in this browser with ${key.name} (${key.id})${this.signingKey.stockTrusted ? '' : ': the stock kernel does not trust this key (see Signing key)'}`);
    } catch (e) {
      this.errors.report('signing the model', e);
    }
  }

  private async addPackage(p: PackageFiles, how: string): Promise<void> {
    if (!this.importDisk.image) throw new Error('the import disk is not loaded');
    if (this.registry.mirror?.registry.models.some((m) => m.version === p.name)) {
      throw new Error(`${p.name} is already in the registry: choose another version name`);
    }
    this.importDisk.setImage(addToBundle(this.importDisk.image, p));
    this.importDisk.added = [...this.importDisk.added, p.name];
    this.importDisk.changedSinceBoot = true;
    this.uploadNote = `${p.name} is on the import disk, ${how}.`;
    if (this.machine.on) {
      // The worker attaches the import disk at power-on and cannot swap it while running.
      this.uploadNote += ' The running machine has the old import disk: rebooting with the new one, then importing.';
      this.pendingImport = p.name;
      await this.rebootWithNewImportDisk();
    } else {
      this.uploadNote += ' Power on, then import it.';
      this.pendingImport = p.name;
    }
  }

  /** Called when the machine reaches its prompt: runs a pending import. */
  runPendingImport(): void {
    if (!this.pendingImport || !this.machine.atPrompt) return;
    const name = this.pendingImport;
    this.pendingImport = null;
    this.machine.type(`modelctl import ${name}`);
  }

  /** Types `reboot` (a clean unmount, then the kernel restarts). */
  reboot(): void {
    this.machine.type('reboot');
  }

  /**
   * Stops the machine, then wipes the stored disk and the mirror, and puts the
   * import disk back to the seed bundle (the caller has confirmed). The
   * signing key stays.
   */
  async factoryReset(): Promise<void> {
    await this.machine.stop();
    try {
      await this.disk.wipe();
      this.registry.clear();
      this.importDisk.restoreSeed();
      this.pendingImport = null;
      this.uploadNote = null;
    } catch (e) {
      this.errors.report('factory reset', e);
    }
  }

  /** Uses an uploaded disk image from now on (stops the machine first). */
  async useDiskImage(file: File): Promise<void> {
    await this.machine.stop();
    try {
      await this.disk.replaceWith(file);
      this.registry.clear();
      await this.registry.rebuild();
    } catch (e) {
      this.errors.report('using the uploaded disk image', e);
    }
  }

  /** Restarts with the import disk as it is now (packages added since power-on need this). */
  async rebootWithNewImportDisk(): Promise<void> {
    if (this.machine.on) {
      this.machine.type('poweroff');
      const deadline = Date.now() + 60_000;
      while (this.machine.on && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (this.machine.on) await this.machine.stop();
    }
    await this.disk.settled();
    await this.powerOn();
  }
}
