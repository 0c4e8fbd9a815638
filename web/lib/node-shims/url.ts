// Browser stand-in for node:url (see fs.ts).
export function fileURLToPath(u: string | URL): string {
  return new URL(String(u)).pathname;
}
