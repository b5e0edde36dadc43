#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 35 — libvirt itself calls the hook (docs/migration.md, "The
# libvirt hook"). Hosts h1 and h2, enclave blue on both; guest a1 on h1.
# A libvirtd started by the test runs in h2's network namespace, in a
# private mount namespace of its own: tmpfs over /run, /var/lib, /var/log
# and /var/cache, copies of /etc/passwd and /etc/group with the user
# libvirt-qemu (Debian's libvirtd wants it before it reads qemu.conf), and
# the test's own directory over /etc/libvirt, holding
# libvirtd.conf, qemu.conf (root, no cgroups, no namespaces, no virtlogd)
# and the repository's vmhooks/qemu installed, unchanged, as
# hooks/qemu.d/overlayd (where `meson install` puts it). Nothing of the
# machine's own libvirt is touched. libvirt gives hooks a cleared
# environment but keeps PATH: an `overlayctl` first on it points the hook at
# h2's control socket and logs each call.
# virsh defines and starts a TCG domain (Debian's kernel and a busybox
# initramfs from mkguest.sh; its /init sends one gratuitous ARP) whose
# interface is a bridge interface on h2's `ovl-blue`:
#  1. the hook ran (`attach blue TAP --name GUEST --mac MAC`), and right
#     after `virsh start` h2's fdb shows the MAC `pending`;
#  2. once the VM's first frame arrives it is `local` on h2 and h1 points
#     at h2; a1 pings the VM;
#  3. `virsh destroy`: the hook detaches the TAP, h2 no longer holds the
#     MAC and h1's entry for it is withdrawn.
# Exits 77 when libvirtd, virsh or qemu-system-x86_64 are missing, when
# mkguest.sh (MKGUEST, default netns-tests/mkguest.sh) is absent or cannot
# build the guest, or when this libvirtd cannot start a domain here.
. "$(dirname "$0")/lib.sh"
rig_init

for t in libvirtd virsh qemu-system-x86_64 unshare; do
    command -v "$t" >/dev/null || rig_skip "$t is not installed (packages libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients, qemu-system-x86)"
done
MKGUEST=${MKGUEST:-$RIG_HERE/mkguest.sh}
[ -f "$MKGUEST" ] || rig_skip "no guest builder $MKGUEST (set MKGUEST)"
HOOK_SRC=$RIG_HERE/../vmhooks/qemu
[ -f "$HOOK_SRC" ] || rig_fail "no $HOOK_SRC"

MAC=52:54:00:00:35:02
VM=ovl35vm TAP=ovl35tap
LV=$RIG_DIR/libvirt
SOCK=$LV/sock/libvirt-sock
VIRSH=(virsh -q -c "qemu:///system?socket=$SOCK")

rig_say "the guest (mkguest.sh)"
rc=0
rig_run bash "$MKGUEST" "$RIG_DIR/guest" || rc=$?
[ "$rc" -ne 3 ] || rig_skip "cannot build the guest (mkguest.sh says why above)"
[ "$rc" -eq 0 ] || rig_fail "mkguest.sh failed ($rc)"

rig_wan_create
for i in 1 2; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2
for h in h1 h2; do rig_enclave "$h" blue 100; done
for i in 1 2; do rig_daemon_start "h$i"; done
for h in h1 h2; do rig_wait_links "$h" 1; done
rig_guest_create h1 blue a1 10.100.0.1 52:54:00:00:35:01

rig_say "a private libvirtd in h2's namespace, the repository's hook installed"
mkdir -p "$LV"/{etc/hooks/qemu.d,sock,bin}
install -m 0755 "$HOOK_SRC" "$LV/etc/hooks/qemu.d/overlayd"
cat > "$LV/etc/libvirtd.conf" <<CONF
unix_sock_dir = "$LV/sock"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$LV/libvirtd.log"
CONF
cat > "$LV/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
CONF
cat > "$LV/bin/overlayctl" <<WRAP
#!/bin/sh
echo "\$*" >> "$LV/hook-calls.log"
exec "$OVERLAYCTL" -s "$(rig_host_sock h2)" "\$@"
WRAP
chmod 0755 "$LV/bin/overlayctl"
# Debian's libvirtd resolves its built-in default user libvirt-qemu before
# it reads qemu.conf; that user comes with libvirt-daemon-system (not
# installed: it pulls systemd units). The private namespace sees copies of
# passwd and group that have it.
cp /etc/passwd "$LV/passwd"
cp /etc/group "$LV/group"
grep -q '^libvirt-qemu:' "$LV/passwd" || echo 'libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin' >>"$LV/passwd"
grep -q '^libvirt-qemu:' "$LV/group" || echo 'libvirt-qemu:x:64055:' >>"$LV/group"
grep -q '^kvm:' "$LV/group" || echo 'kvm:x:64056:' >>"$LV/group"
# The hook's interpreter: a pyenv shim needs HOME, so the real one.
PYDIR=$(dirname "$("$RIG_PYTHON" -c 'import sys; print(sys.executable)')")
rig_log "[$(rig_ns h2)] unshare -m libvirtd -f $LV/etc/libvirtd.conf &"
ip netns exec "$(rig_ns h2)" unshare -m --propagation private sh -c '
    set -e
    for d in /run /var/lib /var/log /var/cache; do mount -t tmpfs tmpfs "$d"; done
    mount --bind "$1/etc" /etc/libvirt
    mount --bind "$1/passwd" /etc/passwd
    mount --bind "$1/group" /etc/group
    exec env PATH="$1/bin:$2:/usr/sbin:/usr/bin:/sbin:/bin" libvirtd -f /etc/libvirt/libvirtd.conf -p "$1/libvirtd.pid"
' sh "$LV" "$PYDIR" >"$LV/libvirtd.out" 2>&1 &
LIBVIRTD_PID=$!
_lv_up() { "${VIRSH[@]}" version >/dev/null 2>&1; }
for _ in $(seq 150); do _lv_up && break; kill -0 "$LIBVIRTD_PID" 2>/dev/null || break; sleep 0.2; done
_lv_up || rig_skip "libvirtd does not start here: $(cat "$LV/libvirtd.out" 2>/dev/null | tail -3 | tr "\n" " ")"
rig_log "libvirtd up: $("${VIRSH[@]}" version 2>&1 | tr '\n' ' ')"

fdb_is() {
    rig_ctl_q "$1" --json fdb blue | jq -e --arg m "$MAC" ".entries[] | select(.mac == \$m) | $2" >/dev/null
}
fdb_has() { rig_ctl_q "$1" --json fdb blue | jq -e --arg m "$MAC" '[.entries[] | select(.mac == $m)] | length > 0' >/dev/null; }

cat > "$LV/$VM.xml" <<XML
<domain type='qemu'>
  <name>$VM</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$RIG_DIR/guest/vmlinuz</kernel>
    <initrd>$RIG_DIR/guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet ovl.ip=10.100.0.2/24</cmdline>
  </os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <interface type='bridge'>
      <source bridge='ovl-blue'/>
      <mac address='$MAC'/>
      <target dev='$TAP'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='$LV/console.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
rig_say "1. virsh define + start: the hook attaches the TAP, the MAC is pending"
rig_assert "virsh define" "${VIRSH[@]}" define "$LV/$VM.xml"
if ! "${VIRSH[@]}" start "$VM" >"$LV/start.out" 2>&1; then
    cat "$LV/start.out" >&2
    rig_skip "libvirtd cannot start a TCG domain here: $(tr '\n' ' ' <"$LV/start.out")"
fi
t_start=$SECONDS
rig_log "hook calls: $(tr '\n' ';' <"$LV/hook-calls.log" 2>/dev/null)"
grep "^attach blue $TAP " "$LV/hook-calls.log" | grep -q -- "--mac $MAC" \
    || rig_fail "the hook did not attach $TAP: $(cat "$LV/hook-calls.log" 2>/dev/null)"
rig_assert "the TAP is on ovl-blue" eval "ip -n $(rig_ns h2) -j link show $TAP | jq -e '.[0].master == \"ovl-blue\"' >/dev/null"
# The VM boots under TCG for seconds before it sends anything.
if fdb_is h2 '.state == "pending"'; then
    printf '  ok: %s pending on h2 after virsh start\n' "$MAC" >&2
else
    fdb_is h2 '.state == "local"' && rig_fail "the VM spoke before the test looked: not seen pending (rerun)"
    rig_fail "h2 holds no pending entry for $MAC: $(rig_ctl_q h2 --json fdb blue)"
fi
rig_assert "h1 has no location for it yet" eval "! fdb_is h1 '.location == \"h2\"'"

rig_say "2. the VM's first frame: local"
rig_poll 240 "the VM's first frame makes $MAC local on h2" fdb_is h2 '.state == "local"'
printf '  ok: local on h2 %s s after virsh start\n' "$((SECONDS - t_start))" >&2
rig_poll 10 "h1 points at h2" fdb_is h1 '.location == "h2"'
rig_poll 60 "a1 pings the VM" rig_in a1 ping -n -q -c 1 -W 2 10.100.0.2

rig_say "3. virsh destroy: the hook detaches, the MAC is withdrawn"
rig_assert "virsh destroy" "${VIRSH[@]}" destroy "$VM"
_gone() { ! fdb_has "$1"; }
rig_poll 10 "h2 no longer holds $MAC" _gone h2
rig_poll 10 "h1's entry for $MAC is withdrawn" _gone h1
grep -q "^detach $TAP" "$LV/hook-calls.log" || rig_fail "the hook did not detach $TAP"
rig_log "hook calls: $(tr '\n' ';' <"$LV/hook-calls.log")"
"${VIRSH[@]}" undefine "$VM" >/dev/null 2>&1 || true

rig_pass
