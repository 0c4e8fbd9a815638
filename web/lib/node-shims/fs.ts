// Browser stand-in for node:fs, so models/src/keys.ts (shared with the CLI)
// can be bundled: its path constants are computed at import, but the dashboard
// never reads key files from a disk; it passes their text to parseSecretKey.
export function readFileSync(path: string): never {
  throw new Error(`${path}: the browser cannot read files by path`);
}
