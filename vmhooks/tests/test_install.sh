#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `meson install` puts the libvirt hook where libvirt runs it and the
# systemd unit where systemd finds it: install the `vmhooks` tag of BUILD
# into a temporary DESTDIR and look. Usage: test_install.sh SRCDIR BUILDDIR PREFIX
set -euo pipefail
src=$1 build=$2 prefix=$3
dest=$(mktemp -d "${TMPDIR:-/tmp}/ovl-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --no-rebuild --quiet --tags vmhooks --destdir "$dest" >/dev/null
hook=$dest/etc/libvirt/hooks/qemu.d/overlayd
unit=$dest$prefix/lib/systemd/system/overlayd.service
fail() { echo "not ok: $*"; exit 1; }
[ -f "$hook" ] || fail "no hook at /etc/libvirt/hooks/qemu.d/overlayd: $(cd "$dest" && find . -type f)"
[ -x "$hook" ] || fail "the hook is not executable"
cmp -s "$hook" "$src/vmhooks/qemu" || fail "the installed hook differs from vmhooks/qemu"
echo "ok hook"
[ -f "$unit" ] || fail "no systemd unit at $prefix/lib/systemd/system/overlayd.service"
grep -q "^ExecStart=$prefix/" "$unit" || fail "the unit's ExecStart is not under $prefix: $(grep ExecStart "$unit")"
echo "ok unit"
# Only what the tag names: nothing else of the project is in it.
n=$(cd "$dest" && find . -type f | wc -l)
[ "$n" -eq 2 ] || fail "the vmhooks tag installs $n files, want 2: $(cd "$dest" && find . -type f)"
echo "ok tag"
