// The import disk (the kernel's blk1): a ustar bundle, the seed bundle at
// first. The emulator attaches it read-only at power-on and the worker cannot
// swap it while the machine runs, so a package added here reaches the kernel
// at the next power-on (the UI says so and offers the reboot).
import { readTar, type TarEntry } from '../../models/src/ustar.ts';
import type { ErrorLog } from './errors.svelte.ts';

export interface BundleInfo {
  default: string;
  golden: string;
  packages: string[];
}

export class ImportDisk {
  image = $state<Uint8Array | null>(null);
  bundle = $state<BundleInfo | null>(null);
  /** Packages added in this tab (beyond the seed bundle). */
  added = $state<string[]>([]);
  /** The image changed since the machine attached it. */
  changedSinceBoot = $state(false);

  constructor(private readonly errors: ErrorLog) {}

  private seed: Uint8Array | null = null;

  async init(seed: ArrayBuffer): Promise<void> {
    this.seed = new Uint8Array(seed);
    this.setImage(this.seed);
  }

  /** Back to the seed bundle alone (factory reset). */
  restoreSeed(): void {
    if (!this.seed) return;
    this.setImage(this.seed);
    this.added = [];
    this.changedSinceBoot = true;
  }

  setImage(tar: Uint8Array): void {
    const entries = readTar(tar);
    this.bundle = bundleOf(entries);
    this.image = tar;
  }

  attached(): void {
    this.changedSinceBoot = false;
  }

  entries(): TarEntry[] {
    if (!this.image) throw new Error('no import disk');
    return readTar(this.image);
  }
}

export function bundleOf(entries: TarEntry[]): BundleInfo {
  const b = entries.find((e) => e.name === 'bundle.json');
  if (!b) throw new Error('the import disk has no bundle.json');
  const j = JSON.parse(new TextDecoder().decode(b.data)) as { format: number; default: string; golden: string; packages: string[] };
  if (j.format !== 1 || !Array.isArray(j.packages)) throw new Error('bundle.json is not a format 1 bundle');
  return { default: j.default, golden: j.golden, packages: j.packages };
}
