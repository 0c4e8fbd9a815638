// Builds a busybox initramfs: a "newc" cpio archive (the format the kernel's
// initramfs unpacker reads, Documentation/driver-api/early-userspace/
// buffer-format.rst) with busybox, an /init script and /dev/console.
// Written here so the test needs no cpio tool and no root.

interface Entry {
  name: string;
  mode: number;
  data?: Uint8Array;
  rdev?: [number, number];
}

function header(ino: number, e: Entry, size: number, nameSize: number): string {
  const f = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const [maj, min] = e.rdev ?? [0, 0];
  return '070701' + [ino, e.mode, 0, 0, e.mode & 0o040000 ? 2 : 1, 0, size, 0, 0, maj, min, nameSize, 0].map(f).join('');
}

export function newcArchive(entries: Entry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let len = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    len += b.length;
    const pad = (4 - (len % 4)) % 4;
    if (pad) {
      parts.push(new Uint8Array(pad));
      len += pad;
    }
  };
  const enc = new TextEncoder();
  const all = [...entries, { name: 'TRAILER!!!', mode: 0 }];
  all.forEach((e, i) => {
    const data = e.data ?? new Uint8Array(0);
    const name = enc.encode(e.name + '\0');
    const h = enc.encode(header(i + 1, e, data.length, name.length));
    const hn = new Uint8Array(h.length + name.length);
    hn.set(h);
    hn.set(name, h.length);
    push(hn);
    if (data.length) push(data);
  });
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo SIS-INIT-READY
exec sh
`;

export function busyboxInitramfs(busybox: Uint8Array, init = INIT_SCRIPT): Uint8Array {
  return newcArchive([
    { name: 'bin', mode: 0o040755 },
    { name: 'dev', mode: 0o040755 },
    { name: 'proc', mode: 0o040755 },
    { name: 'sys', mode: 0o040755 },
    { name: 'dev/console', mode: 0o020600, rdev: [5, 1] },
    { name: 'bin/busybox', mode: 0o100755, data: busybox },
    { name: 'init', mode: 0o100755, data: new TextEncoder().encode(init) },
  ]);
}
