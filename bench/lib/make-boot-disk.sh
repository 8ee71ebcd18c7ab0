#!/usr/bin/env bash
# Builds a bootable raw test disk for the streaming-boot tests and bench (issue 15), without root and
# without loop devices: an MBR (syslinux's mbr.bin) with one bootable FAT partition at 1 MiB holding
# syslinux (the vfat installer, which writes through mtools), KERNEL and INITRD, booted with
# "console=ttyS0 quiet"; then the file is extended to SIZE with zeros the boot never reads.
#
# The padding is a hole (truncate), not written data: zero pieces are as real to BitTorrent as any
# (each is hashed, transferred and verified like the others), while the disk costs ~its boot files on
# the catalog's disk and builds in well under a second. A downloader that wrote its copy sparse would
# not be faster for it: the bytes still cross the (capped) link.
#
# Usage: bench/lib/make-boot-disk.sh KERNEL INITRD OUT [SIZE]
#   SIZE: bytes, or with a K/M/G suffix (binary) as truncate(1) reads it; default 1G.
# Environment: BOOT_DISK_PART_MIB (32): the FAT partition's size in MiB; must hold kernel + initrd.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 KERNEL INITRD OUT [SIZE]" >&2
  exit 2
fi
kernel=$1 initrd=$2 out=$3 size=${4:-1G}
part_mib=${BOOT_DISK_PART_MIB:-32}
mbr=${SYSLINUX_MBR:-/usr/lib/syslinux/mbr/mbr.bin}
die() { echo "make-boot-disk: $*" >&2; exit 1; }
for tool in mkfs.vfat syslinux mcopy truncate numfmt; do
  command -v "$tool" >/dev/null || die "$tool not installed (apt-get install dosfstools syslinux mtools coreutils)"
done
[ -r "$mbr" ] || die "no $mbr (apt-get install syslinux-common)"
[ -r "$kernel" ] || die "kernel '$kernel' not readable"
[ -r "$initrd" ] || die "initrd '$initrd' not readable"

bytes=$(numfmt --from=iec "$size" 2>/dev/null) || die "size '$size' is not a size (e.g. 1G, 64M, 1073741824)"
min=$(( (part_mib + 1) * 1024 * 1024 ))
[ "$bytes" -ge "$min" ] || die "size $size is below the ${part_mib} MiB partition + 1 MiB before it ($min bytes)"
need=$(( $(stat -c %s "$kernel") + $(stat -c %s "$initrd") + 1024 * 1024 ))
[ "$need" -le $(( part_mib * 1024 * 1024 )) ] || die "kernel + initrd ($need bytes) do not fit a ${part_mib} MiB partition (BOOT_DISK_PART_MIB)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boot-disk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
part=$tmp/part.img
# -h 2048: the hidden sectors before the filesystem, which the FAT boot sector uses to find itself.
mkfs.vfat -F 16 -n BOOTTORRENT -h 2048 -C "$part" $(( part_mib * 1024 )) >/dev/null
syslinux --install "$part"
cat > "$tmp/syslinux.cfg" <<CFG
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0 quiet
CFG
export MTOOLS_SKIP_CHECK=1
mcopy -i "$part" "$kernel" ::vmlinuz
mcopy -i "$part" "$initrd" ::initrd.img
mcopy -i "$part" "$tmp/syslinux.cfg" ::syslinux.cfg

disk=$tmp/disk.img
truncate -s "$bytes" "$disk"
# The MBR: mbr.bin's code (440 bytes), then one partition entry written here (no fdisk needed):
# bootable (80), CHS fields FE FF FF ("use LBA"), type 0e (FAT16 LBA), LBA start 2048 and its
# sector count little-endian; then the 55 AA signature at 510.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(( $1 & 255 )) $(( $1 >> 8 & 255 )) $(( $1 >> 16 & 255 )) $(( $1 >> 24 & 255 )); }
dd if="$mbr" of="$disk" bs=440 count=1 conv=notrunc status=none
printf "\\x80\\xfe\\xff\\xff\\x0e\\xfe\\xff\\xff$(le32 2048)$(le32 $(( part_mib * 2048 )))" \
  | dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
mv "$disk" "$out"
echo "$out: $bytes bytes, boot files in the first $(( part_mib + 1 )) MiB"
