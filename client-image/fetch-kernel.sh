#!/usr/bin/env bash
# Puts Debian's stock amd64 kernel (the one the linux-image-amd64 metapackage points at) into OUT-DIR
# as OUT-DIR/vmlinuz, with its version in OUT-DIR/vmlinuz.version. The package is downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x` into client-image/cache/ — never installed.
# Idempotent: a package already in the cache is not downloaded again, and without apt metadata (or
# offline) the newest cached package is used. The unpacked tree (with lib/modules/<version>/) stays
# in client-image/cache/<package>/ for the client-image build.
#
# Usage: client-image/fetch-kernel.sh OUT-DIR
# Environment: KERNEL_PACKAGE=linux-image-6.1.0-NN-amd64 picks a package instead of the metapackage's
#              BOOTTORRENT_KERNEL_CACHE=DIR caches there instead of client-image/cache.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT-DIR" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${BOOTTORRENT_KERNEL_CACHE:-$here/cache}
mkdir -p "$cache" "$out"

# The package: the one the metapackage's candidate depends on (e.g. linux-image-6.1.0-56-amd64).
pkg=${KERNEL_PACKAGE:-}
if [ -z "$pkg" ] && command -v apt-cache >/dev/null; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1 || true)
fi

deb=""
if [ -n "$pkg" ]; then
  deb=$(ls -1 "$cache"/"${pkg}"_*_amd64.deb 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$deb" ]; then
    echo "fetch-kernel: downloading $pkg into $cache" >&2
    # apt-get download writes into the current folder; as root it warns that _apt cannot write there.
    (cd "$cache" && apt-get download -q "$pkg" 2>&1 | grep -v "unsandboxed as root" >&2 || true)
    deb=$(ls -1 "$cache"/"${pkg}"_*_amd64.deb 2>/dev/null | sort -V | tail -n1 || true)
    if [ -z "$deb" ]; then
      echo "fetch-kernel: apt-get download $pkg failed (no network or no apt lists? run apt-get update)" >&2
      exit 1
    fi
  fi
else
  # No apt metadata: fall back to the newest package already cached.
  deb=$(ls -1 "$cache"/linux-image-[0-9]*-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$deb" ]; then
    echo "fetch-kernel: cannot resolve linux-image-amd64 (apt-cache) and nothing cached in $cache" >&2
    exit 1
  fi
  pkg=$(basename "$deb" | cut -d_ -f1)
fi

# Unpack once per .deb (a marker names the .deb the tree came from); atomically via a temp folder.
tree=$cache/$pkg
if [ "$(cat "$tree/.from-deb" 2>/dev/null || true)" != "$(basename "$deb")" ]; then
  echo "fetch-kernel: unpacking $(basename "$deb")" >&2
  tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  dpkg-deb -x "$deb" "$tmp"
  basename "$deb" > "$tmp/.from-deb"
  rm -rf "$tree"
  mv "$tmp" "$tree"
  trap - EXIT
fi
# Unpacked trees of other kernels (~400 MiB each, from before an ABI bump) go; their .debs stay.
for old in "$cache"/linux-image-*; do
  if [ -d "$old" ] && [ "$old" != "$tree" ]; then
    rm -rf "$old"
  fi
done

kernel=$(ls -1 "$tree"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$kernel" ]; then
  echo "fetch-kernel: no boot/vmlinuz-* in $deb" >&2
  exit 1
fi
version=${kernel##*/vmlinuz-}
if ! cmp -s "$kernel" "$out/vmlinuz"; then
  cp "$kernel" "$out/vmlinuz.tmp"
  mv "$out/vmlinuz.tmp" "$out/vmlinuz"
fi
[ "$(cat "$out/vmlinuz.version" 2>/dev/null || true)" = "$version" ] || echo "$version" > "$out/vmlinuz.version"
echo "$out/vmlinuz ($version, from $(basename "$deb"))"
