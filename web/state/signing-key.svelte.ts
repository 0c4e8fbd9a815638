// The user's model-signing key: generated in the browser (or loaded from a
// .key file the user holds), kept in IndexedDB, exportable as the same key
// files the models CLI writes.
import * as ed from '@noble/ed25519';
import { formatPublicKey, formatSecretKey, parsePublicKey, parseSecretKey, secretFromSeed, type PublicKey, type SecretKey } from '../../models/src/keys.ts';
import type { DiskStore } from '../lib/disk-store.ts';
import { KNOWN_SIGNERS } from '../lib/signers.ts';
import type { ErrorLog } from './errors.svelte.ts';

/** The keys the stock kernel is built from (models/keys/*.pub), public halves. */
const pubFiles = import.meta.glob('../../models/keys/*.pub', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
export const STOCK_KEYS: PublicKey[] = Object.entries(pubFiles)
  .map(([path, text]) => parsePublicKey(text, path))
  // The untrusted test key is in models/keys but no kernel trusts it.
  .filter((k) => k.name !== 'untrusted-test');

export class SigningKey {
  key = $state<SecretKey | null>(null);

  constructor(private readonly errors: ErrorLog) {}

  async load(store: DiskStore): Promise<void> {
    const k = await store.signingKey();
    if (k) this.key = secretFromSeed(k.secret, k.name);
  }

  async generate(store: DiskStore, name: string): Promise<void> {
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(name)) throw new Error(`key name "${name}": use 1-32 letters, digits, _ . -`);
    await this.save(store, secretFromSeed(ed.utils.randomSecretKey(), name, 'made in the SIS dashboard'));
  }

  /** Loads a secret key file (the models CLI's NAME.key). A public key file is refused: it cannot sign. */
  async importFile(store: DiskStore, text: string, fileName: string): Promise<void> {
    await this.save(store, parseSecretKey(text, fileName));
  }

  private async save(store: DiskStore, k: SecretKey): Promise<void> {
    await store.saveSigningKey({ id: 'signing', secret: k.secret, publicKey: k.publicKey, keyId: k.id, name: k.name, createdAt: Date.now() });
    this.key = k;
  }

  async forget(store: DiskStore): Promise<void> {
    await store.deleteSigningKey();
    this.key = null;
  }

  /** Is the current key one the stock kernel trusts? */
  get stockTrusted(): boolean {
    return !!this.key && STOCK_KEYS.some((k) => k.id === this.key!.id);
  }

  publicFile(): string {
    return formatPublicKey(this.key!);
  }

  secretFile(): string {
    return formatSecretKey(this.key!);
  }

  /** The commands that make a kernel trust this key (kernel-image/src/model/trusted_keys.h is generated). */
  trustCommands(): string {
    const n = this.key?.name ?? 'NAME';
    const stock = STOCK_KEYS.map((k) => `--trust models/keys/${k.name}.pub`).join(' ');
    return `cp ~/Downloads/${n}.pub models/keys/${n}.pub\nnpm run models -- keys ${stock} --trust models/keys/${n}.pub --c > kernel-image/src/model/trusted_keys.h\nnpm run kernel   # then npm start (or npm run build) serves the new kernel`;
  }
}

export { KNOWN_SIGNERS };
