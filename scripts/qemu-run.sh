#!/usr/bin/env bash
# Boots the SIS kernel on the reference machine, QEMU virt, with UART0 (the
# `sis> ` shell) on this terminal. Ctrl-A x quits QEMU; `poweroff` in the
# shell ends it with status 0. Extra arguments go to QEMU unchanged, e.g.
#   scripts/qemu-run.sh -append "sis.debug=1"
#   scripts/qemu-run.sh -global virtio-mmio.force-legacy=false \
#       -drive if=none,file=disk.img,format=raw,id=d0 -device virtio-blk-device,drive=d0
# SIS_KERNEL=path boots another image (e.g. kernel-image/build/nofeat/sis-kernel.img).
#
# Storage and the event stream (ARCHITECTURE.md: blk0 = system disk, blk1 =
# import disk, virtio console = JSON Lines events), set by environment:
#   SIS_DISK=system.img    blk0, read-write; a blank (all-zero) image is
#                          formatted as ext4 at boot (truncate -s 64M system.img)
#   SIS_IMPORT=import.img  blk1, read-only; default: the seed bundle
#                          models/dist/seed-bundle.tar (SIS_IMPORT= for none)
# Without SIS_DISK the system disk is a fresh 64 MiB blank image in a
# deleted temporary file, gone when QEMU exits (the kernel formats it and
# provisions the model registry from the import disk); SIS_DISK= (empty)
# boots with no disks at all.
#   SIS_EVENTS=events.jsonl  the event console's output file
# which add exactly these QEMU options (the kernel drives modern virtio-mmio
# only; QEMU 7.2 has no single-port virtio-console device, so the console is
# a virtconsole port on a virtio-serial device, port 0, MULTIPORT not
# negotiated):
#   -global virtio-mmio.force-legacy=false
#   -drive if=none,file=system.img,format=raw,id=d0 -device virtio-blk-device,drive=d0
#   -drive if=none,file=import.img,format=raw,id=d1,readonly=on -device virtio-blk-device,drive=d1
#   -device virtio-serial-device -chardev file,id=ev,path=events.jsonl -device virtconsole,chardev=ev
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
if [ -z "${SIS_DISK+set}" ]; then
  # A deleted temporary file kept open on fd 9: QEMU reopens it through
  # /proc/self/fd/9, and it disappears with the last descriptor.
  tmp=$(mktemp "${TMPDIR:-/tmp}/sis-system-XXXXXX.img")
  truncate -s 64M "$tmp"
  exec 9<>"$tmp"
  rm -f "$tmp"
  SIS_DISK=/proc/self/fd/9
fi
if [ -z "${SIS_IMPORT+set}" ] && [ -n "$SIS_DISK" ]; then
  SIS_IMPORT=$root/models/dist/seed-bundle.tar
fi
extra=()
if [ -n "${SIS_DISK:-}${SIS_IMPORT:-}${SIS_EVENTS:-}" ]; then
  extra+=(-global virtio-mmio.force-legacy=false)
fi
if [ -n "${SIS_DISK:-}" ]; then
  extra+=(-drive "if=none,file=$SIS_DISK,format=raw,id=d0" -device virtio-blk-device,drive=d0)
fi
if [ -n "${SIS_IMPORT:-}" ]; then
  [ -n "${SIS_DISK:-}" ] || { echo "qemu-run: SIS_IMPORT (blk1) needs SIS_DISK (blk0)" >&2; exit 2; }
  extra+=(-drive "if=none,file=$SIS_IMPORT,format=raw,id=d1,readonly=on" -device virtio-blk-device,drive=d1)
fi
if [ -n "${SIS_EVENTS:-}" ]; then
  extra+=(-device virtio-serial-device -chardev "file,id=ev,path=$SIS_EVENTS" -device virtconsole,chardev=ev)
fi
exec qemu-system-aarch64 -M virt -cpu cortex-a72 -m 128M -nographic -net none -kernel "$img" ${extra[@]+"${extra[@]}"} "$@"
