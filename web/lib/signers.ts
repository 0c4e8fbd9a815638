// Names for the key ids the registry shows as `signer`: the public keys in
// models/keys (the ones the stock kernel is built to trust, or deliberately
// not), read at build time. A key id not listed here is shown as its id.
const files = import.meta.glob('../../models/keys/*.pub', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface KnownSigner {
  id: string;
  name: string;
  note: string;
}

export function parsePub(text: string): KnownSigner | null {
  const field = (k: string) => text.match(new RegExp(`^${k}: (.*)$`, 'm'))?.[1]?.trim() ?? '';
  const id = field('id');
  if (!/^[0-9a-f]{16}$/.test(id)) return null;
  return { id, name: field('name'), note: field('note') };
}

export const KNOWN_SIGNERS: KnownSigner[] = Object.values(files).map(parsePub).filter((k): k is KnownSigner => k !== null);

export function signerName(id: string, extra: KnownSigner[] = []): string {
  const k = [...extra, ...KNOWN_SIGNERS].find((s) => s.id === id);
  return k ? k.name : id;
}
