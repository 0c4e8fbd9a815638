// The registry as the dashboard shows it: the IndexedDB mirror at load (so it
// shows before the kernel boots), rebuilt from the system disk by the ext4
// reader after each `registry` event. The disk is the source of truth; the
// event's copy is only used to say when the two disagree.
import { checkRegistry, type Registry } from '../../emulator/src/events.ts';
import type { HistoryLine, RegistryMirror } from '../lib/disk-store.ts';
import type { Ext4Reader } from '../lib/ext4.ts';
import type { SystemDisk } from './disk.svelte.ts';
import type { ErrorLog } from './errors.svelte.ts';

export type MirrorSource = 'none' | 'stored mirror' | 'disk';

/** Reads /models from a disk (home locations; see below): registry.json, history.jsonl and each version's manifest. */
export function readRegistry(r: Ext4Reader): RegistryMirror {
  // Home locations only: the kernel writes every committed block home and
  // flushes it before it emits the registry event (docs/STORAGE.md, commit
  // step 4), so no journal replay is needed for what the event announces.
  if (!r.exists('/models/registry.json')) throw new Error('no /models/registry.json on the disk (not provisioned yet)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.readText('/models/registry.json'));
  } catch (e) {
    throw new Error(`/models/registry.json is not JSON: ${(e as Error).message}`);
  }
  const registry = checkRegistry(parsed, '/models/registry.json');
  const history: HistoryLine[] = [];
  let bad = 0;
  if (r.exists('/models/history.jsonl')) {
    for (const line of r.readText('/models/history.jsonl').split('\n')) {
      if (!line.trim()) continue;
      try {
        const h = JSON.parse(line) as HistoryLine;
        if (typeof h.operation !== 'string' || typeof h.time !== 'string') throw new Error('not a history line');
        history.push(h);
      } catch {
        bad++;
      }
    }
  }
  const manifests: Record<string, unknown> = {};
  for (const m of registry.models) {
    const p = `/models/${m.version}/manifest.json`;
    try {
      if (r.exists(p)) manifests[m.version] = JSON.parse(r.readText(p));
    } catch {
      /* a manifest the kernel verified is JSON; an unreadable one is simply not shown */
    }
  }
  return { registry, history, badHistoryLines: bad, manifests, readAt: Date.now() };
}

export class RegistryView {
  mirror = $state<RegistryMirror | null>(null);
  source = $state<MirrorSource>('none');
  /** Why the last rebuild from the disk did not happen (shown, not thrown). */
  problem = $state<string | null>(null);
  /** The last registry event's copy disagreed with the disk. */
  mismatch = $state(false);
  /** Compare selection: up to two versions. */
  selected = $state<string[]>([]);

  constructor(
    private readonly disk: SystemDisk,
    private readonly errors: ErrorLog,
  ) {}

  async loadStored(): Promise<void> {
    const m = await this.disk.store?.mirror();
    if (m && !this.mirror) {
      this.mirror = m;
      this.source = 'stored mirror';
    }
  }

  /** Rebuilds from the disk (after a registry event, or at load when the disk has one). */
  async rebuild(fromEvent?: Registry): Promise<void> {
    let m: RegistryMirror;
    try {
      m = readRegistry(this.disk.reader());
    } catch (e) {
      this.problem = (e as Error).message;
      return;
    }
    this.problem = null;
    this.mirror = m;
    this.source = 'disk';
    this.mismatch = fromEvent !== undefined && JSON.stringify(fromEvent) !== JSON.stringify(m.registry);
    try {
      await this.disk.store?.saveMirror($state.snapshot(m) as RegistryMirror);
    } catch (e) {
      this.errors.report('saving the registry mirror', e);
    }
  }

  clear(): void {
    this.mirror = null;
    this.source = 'none';
    this.problem = null;
    this.selected = [];
  }

  toggleSelected(v: string): void {
    if (this.selected.includes(v)) this.selected = this.selected.filter((x) => x !== v);
    else this.selected = [...this.selected, v].slice(-2);
  }
}
