#!/usr/bin/env bash
# Boots the SIS kernel on the reference machine, QEMU virt, with UART0 (the
# `sis> ` shell) on this terminal. Ctrl-A x quits QEMU; `poweroff` in the
# shell ends it with status 0. Extra arguments go to QEMU unchanged, e.g.
#   scripts/qemu-run.sh -append "sis.debug=1"
#   scripts/qemu-run.sh -global virtio-mmio.force-legacy=false \
#       -drive if=none,file=disk.img,format=raw,id=d0 -device virtio-blk-device,drive=d0
# SIS_KERNEL=path boots another image (e.g. kernel-image/build/nofeat/sis-kernel.img).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
img=${SIS_KERNEL:-$root/kernel-image/dist/sis-kernel.img}

if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
  echo "qemu-run: qemu-system-aarch64 not found; install it with: bash scripts/setup-system.sh" >&2
  exit 127
fi
if [ ! -f "$img" ]; then
  echo "qemu-run: no kernel image at $img; build it with: npm run kernel" >&2
  exit 1
fi
exec qemu-system-aarch64 -M virt -cpu cortex-a72 -m 128M -nographic -net none -kernel "$img" "$@"
