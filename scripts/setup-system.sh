#!/usr/bin/env bash
# Installs the Debian packages SIS AI-Ops needs to build the kernel, run the
# reference machine (QEMU), check disks (e2fsprogs) and run the browser tests.
# Idempotent: packages already present are left alone and apt is not touched.
# On a machine without apt-get it prints what to install and exits non-zero.
set -euo pipefail

PACKAGES=(gcc clang-19 lld-19 llvm-19 qemu-system-arm qemu-user e2fsprogs chromium gdb-multiarch)
# The commands each package must provide; checked after installing.
COMMANDS=(gcc clang-19 ld.lld-19 llvm-mc-19 llvm-objcopy-19 llvm-nm-19 llvm-objdump-19 qemu-system-aarch64 qemu-aarch64 mke2fs e2fsck debugfs chromium gdb-multiarch)

missing_cmds() {
  local c out=()
  for c in "${COMMANDS[@]}"; do
    command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || [ -x "/sbin/$c" ] || out+=("$c")
  done
  echo "${out[@]:-}"
}

if [ -z "$(missing_cmds)" ]; then
  echo "setup-system: all tools present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  cat >&2 <<MSG
setup-system: this is not a Debian/Ubuntu machine (no apt-get), so nothing was installed.
Install the equivalents of these Debian 12 packages yourself:
  ${PACKAGES[*]}
The build and tests need these commands on PATH (or /usr/sbin):
  ${COMMANDS[*]}
Missing now: $(missing_cmds)
MSG
  exit 1
fi

need=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done

if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup-system: installing ${need[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi

left="$(missing_cmds)"
if [ -n "$left" ]; then
  echo "setup-system: packages installed but these commands are still missing: $left" >&2
  exit 1
fi
echo "setup-system: all tools present"
