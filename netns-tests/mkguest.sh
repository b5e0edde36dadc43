#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkguest.sh OUTDIR — a minimal VM for QEMU scenarios (33-qemu-migration):
# OUTDIR/vmlinuz (Debian's kernel) and OUTDIR/initrd.img (busybox).
#
# The kernel: `apt-get download` of the package linux-image-amd64 depends
# on (never installed: installing it pulls udev and upgrades systemd), and
# `dpkg-deb -x`-style extraction of only vmlinuz and the virtio network
# modules. They are kept in a cache directory (OVERLAYD_TEST_CACHE, default
# /var/cache/overlayd-test; a temp dir when that is not writable), so the
# ~70 MB download happens once per kernel version.
#
# The initramfs: busybox-static and /init. /init loads the modules,
# configures eth0 with the address given on the kernel command line
# (ovl.ip=A.B.C.D/N), sends one gratuitous ARP (the VM's first frame: it
# claims the MAC's location, docs/migration.md), prints "ovl-guest: up" on
# the console and sleeps; the kernel answers pings.
#
# Exit status: 0 done; 3 the kernel or busybox cannot be obtained (the
# caller skips, and says the message printed on stderr); 1 anything else.
set -euo pipefail

out=${1:?usage: mkguest.sh OUTDIR}
cache=${OVERLAYD_TEST_CACHE:-/var/cache/overlayd-test}
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"

cannot() { printf 'mkguest: %s\n' "$*" >&2; exit 3; }

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/mkguest.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    cache=$work/cache
    mkdir -p "$cache"
fi

bb=$(command -v busybox || true)
[ -n "$bb" ] || cannot "no busybox (package busybox-static)"
# A dynamically linked busybox would need its libraries in the initramfs.
if file -L "$bb" 2>/dev/null | grep -q 'dynamically linked'; then
    cannot "$bb is dynamically linked (install busybox-static)"
fi

# The versioned kernel package behind the metapackage (e.g.
# linux-image-6.1.0-57-amd64).
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$pkg" ] || cannot "apt-cache knows no linux-image-amd64 (apt-get update?)"
kdir=$cache/$pkg
if [ ! -s "$kdir/vmlinuz" ] || [ ! -s "$kdir/virtio_net.ko" ]; then
    printf 'mkguest: downloading %s into %s\n' "$pkg" "$cache" >&2
    (cd "$work" && apt-get download -q "$pkg" >&2) || cannot "apt-get download $pkg failed"
    deb=$(ls "$work"/"$pkg"_*.deb)
    ver=${pkg#linux-image-}
    mkdir -p "$work/x" "$kdir.new"
    # Only what the guest needs out of the 70 MB package.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" --wildcards \
        "./boot/vmlinuz-$ver" "./lib/modules/$ver/kernel/drivers/virtio/*.ko" \
        "./lib/modules/$ver/kernel/drivers/net/virtio_net.ko" \
        "./lib/modules/$ver/kernel/drivers/net/net_failover.ko" \
        "./lib/modules/$ver/kernel/net/core/failover.ko" || cannot "$deb: no vmlinuz or virtio modules"
    cp "$work/x/boot/vmlinuz-$ver" "$kdir.new/vmlinuz"
    for m in $mods; do
        find "$work/x/lib/modules" -name "$m.ko" -exec cp {} "$kdir.new/" \;
        [ -s "$kdir.new/$m.ko" ] || cannot "$deb has no $m.ko"
    done
    rm -rf "$kdir"
    mv "$kdir.new" "$kdir"
    rm -f "$deb"
fi

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$bb" "$root/bin/busybox"
for m in $mods; do cp "$kdir/$m.ko" "$root/lib/modules/"; done
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $mods; do insmod /lib/modules/\$m.ko; done
ip=""
for a in \$(cat /proc/cmdline); do
    case \$a in ovl.ip=*) ip=\${a#ovl.ip=} ;; esac
done
ip link set lo up
ip link set eth0 up
ip addr add \$ip dev eth0
# The VM's first frame: a gratuitous ARP (its MAC's claim on this host).
arping -U -c 1 -I eth0 \${ip%/*} >/dev/null 2>&1
echo "ovl-guest: up \$ip" >/dev/console
while :; do sleep 3600; done
INIT
chmod 0755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$out/initrd.img"
cp "$kdir/vmlinuz" "$out/vmlinuz"
printf 'mkguest: %s/vmlinuz (%s), %s/initrd.img\n' "$out" "$pkg" "$out" >&2
