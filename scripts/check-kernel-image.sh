#!/usr/bin/env bash
# Proves the committed kernel image is what the sources build, reproducibly:
#   1. builds kernel-image/ twice, in two fresh copies at different paths;
#   2. fails if either build printed a warning;
#   3. fails if the two builds differ (the build is not reproducible);
#   4. fails if they differ from kernel-image/dist/sis-kernel.img (the image
#      in the tree is stale: run `npm run kernel` and commit it);
#   5. builds the no-feature variant (make FEATURES=), warnings fail it too;
#   6. builds each variant with one Phase 7 feature off (the others on).
# The working tree's build/ and dist/ are never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kdir=$root/kernel-image
committed=$kdir/dist/sis-kernel.img
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-kernel-image: FAIL: $*" >&2
  exit 1
}

# build NAME MAKE-ARGS...: copy the sources to $tmp/NAME and build there.
build() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  cp -R "$kdir/Makefile" "$kdir/linker.ld" "$kdir/src" "$kdir/tools" "$tmp/$name/"
  if ! make -j2 -C "$tmp/$name" --no-print-directory "$@" >"$tmp/$name.log" 2>&1; then
    cat "$tmp/$name.log" >&2
    fail "build '$name' failed (make $*)"
  fi
  if grep -qi 'warning' "$tmp/$name.log"; then
    grep -i 'warning' "$tmp/$name.log" >&2
    fail "build '$name' printed warnings"
  fi
}

echo "check-kernel-image: building twice (FEATURES=ai-ops)"
build a
build b-second-copy
img_a=$tmp/a/dist/sis-kernel.img
img_b=$tmp/b-second-copy/dist/sis-kernel.img
cmp -s "$img_a" "$img_b" || fail "two builds of the same sources differ: the build is not reproducible"

[ -f "$committed" ] || fail "no committed image at kernel-image/dist/sis-kernel.img (run npm run kernel and commit it)"
if ! cmp -s "$img_a" "$committed"; then
  fail "kernel-image/dist/sis-kernel.img is not what the sources build (sha256 committed $(sha256sum <"$committed" | cut -c1-16)..., built $(sha256sum <"$img_a" | cut -c1-16)...); run npm run kernel and commit the image"
fi
echo "check-kernel-image: ok, $(stat -c %s "$committed") bytes, sha256 $(sha256sum <"$committed" | cut -c1-64)"

echo "check-kernel-image: building the no-feature variant (FEATURES=)"
build nofeat FEATURES= OUT=build/nofeat
[ -s "$tmp/nofeat/build/nofeat/sis-kernel.img" ] || fail "no-feature build produced no image"
echo "check-kernel-image: ok, no-feature image $(stat -c %s "$tmp/nofeat/build/nofeat/sis-kernel.img") bytes"

# Each Phase 7 feature can be switched off alone (the others on); each such kernel must build
# warning-free too. (The all-off kernel is also booted, by the decision-loop tests.)
all="model-lifecycle shadow-mode otel decision-traces"
for off in $all; do
  on=$(printf '%s\n' $all | grep -vx "$off" | tr '\n' ' ')
  echo "check-kernel-image: building without $off (FEATURES=$on)"
  build "no-$off" FEATURES="$on" OUT=build/variant
  [ -s "$tmp/no-$off/build/variant/sis-kernel.img" ] || fail "the build without $off produced no image"
done
echo "check-kernel-image: ok, every single-feature-off variant builds"
