#!/usr/bin/env bash
# Make a Debian trixie root with python3-torch 2.x, for the Python checks on torch 2 (see README, Set up).
#
#   .ci/torch2-root.sh            build it if missing, then print its torch version
#   TORCH2_ROOT=/path .ci/torch2-root.sh
#
# The root lives outside any clone (default /var/cache/tab-trainer/trixie) so later runs on the same
# machine reuse it. It is built in a temporary directory beside it and renamed only once torch imports,
# so a half-built root is never used. /proc is mounted only while apt runs in it. Needs root and network
# (about 6 minutes and 3 GB the first time). Exits 0 when the root works; otherwise prints
# "torch 2.x checks skipped: <reason>" and exits 1.
set -euo pipefail

root=${TORCH2_ROOT:-/var/cache/tab-trainer/trixie}
mirror=${TORCH2_MIRROR:-http://deb.debian.org/debian}
# The Debian packages the checks use: torch itself, numpy (torch.from_numpy, safetensors), a BLAS
# that torch links against. python3-safetensors is tried after them and may be absent from trixie:
# the fixture generator writes safetensors by hand when it is.
packages=(python3-torch python3-numpy libopenblas0-pthread)

skip() {
  echo "torch 2.x checks skipped: $*" >&2
  exit 1
}

works() {
  chroot "$1" python3 -c 'import torch; print("torch=" + torch.__version__)' 2>/dev/null | sed -n 's/^.*torch=//p' | grep .
}

if [ -d "$root" ] && version=$(works "$root"); then
  echo "torch 2.x root: $root (torch $version)"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "building $root needs root (debootstrap and chroot); run as root or set TORCH2=skip"
if ! command -v debootstrap >/dev/null; then
  echo "Installing debootstrap"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null \
    || skip "could not install debootstrap"
fi

parent=$(dirname "$root")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.$(basename "$root").build.XXXXXX")
cleanup() {
  [ -n "${tmp:-}" ] || return 0 # renamed into place: nothing to undo (and never umount the host's /proc)
  umount "$tmp/proc" 2>/dev/null || true
  [ -d "$tmp" ] && rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

start=$(date +%s)
echo "Building the torch 2.x root in $tmp (debootstrap trixie from $mirror; a few minutes)"
debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$tmp.log" 2>&1 \
  || { tail -5 "$tmp.log" >&2; skip "debootstrap trixie failed (network? see $tmp.log)"; }
mount -t proc proc "$tmp/proc"
chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" \
  >>"$tmp.log" 2>&1 || { tail -5 "$tmp.log" >&2; skip "apt-get install ${packages[*]} in the trixie root failed (see $tmp.log)"; }
chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-safetensors \
  >>"$tmp.log" 2>&1 || echo "(python3-safetensors is not in trixie; the checks write safetensors by hand)"
chroot "$tmp" apt-get clean
umount "$tmp/proc"
version=$(works "$tmp") || skip "torch does not import in the new root (see $tmp.log)"

rm -rf --one-file-system "$root"
mv "$tmp" "$root"
rm -f "$tmp.log"
tmp=
echo "torch 2.x root: $root (torch $version), built in $(($(date +%s) - start)) s, $(du -sh --one-file-system "$root" | cut -f1)"
