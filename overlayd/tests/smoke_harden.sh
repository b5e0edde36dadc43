#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# review3 fixes, end to end (two hosts in network namespaces, as
# smoke_netns.sh): attach refuses non-guest interfaces and ports of another
# bridge without touching them; a reload that changes an enclave's MTU keeps
# its guests on the bridge; a recreated enclave re-plugs its guests; a
# deleted uplink TAP is reopened; the bridge's and uplink's own MACs are
# never learned.
# Usage: smoke_harden.sh OVERLAYD OVERLAYCTL   (root; exit 77 = skipped)
SMOKE_PREFIX=dhd
. "$(dirname "$0")/smoke_lib.sh"
lj() { ip -n "$P-$1" -j link show "$2" | jq -r ".[0].$3 // \"none\""; }

for n in a b ga gb; do ip netns add "$P-$n"; inns $n ip link set lo up; done
ip -n "$P-a" link add wan0 type veth peer name wan0 netns "$P-b"
inns a ip addr add 10.201.9.1/24 dev wan0
inns b ip addr add 10.201.9.2/24 dev wan0
inns a ip link set wan0 up
inns b ip link set wan0 up

for h in a b; do
    "$C" genkey > "$T/$h.key"
    "$C" pubkey < "$T/$h.key" > "$T/$h.pub"
    mkdir -p "$T/$h/enclaves"
    printf '[Enclave]\nName = blue\nId = 100\nMTU = 1400\n' > "$T/$h/enclaves/blue.conf"
done
printf '[Enclave]\nName = red\nId = 200\n' > "$T/a/enclaves/red.conf"
conf() {  # conf HOST OTHER OTHER_N
    cat > "$T/$1.conf" <<EOT
[Host]
Name = host-$1
PrivateKey = $(cat "$T/$1.key")
ListenPort = 51900
ControlSocket = $T/$1/ctl.sock
EnclaveDir = $T/$1/enclaves

[Peer]
Name = host-$2
PublicKey = $(cat "$T/$2.pub")
Endpoint = 10.201.9.$3:51900
EOT
}
conf a b 2
conf b a 1
for h in a b; do
    ip netns exec "$P-$h" "$D" -c "$T/$h.conf" --log-level debug 2>"$T/$h.log" >/dev/null &
    PIDS+=($!)
done
ctl() { local h=$1; shift; "$C" -s "$T/$h/ctl.sock" "$@"; }
for h in a b; do
    for _ in $(seq 100); do ctl $h status >/dev/null 2>&1 && break; sleep 0.1; done
    ctl $h status >/dev/null || fail "daemon $h does not answer"
done

# --- attach refuses what is not a free guest interface, and leaves it alone
mtu_wan=$(lj a wan0 mtu)
if ctl a attach blue wan0 2>"$T/err"; then fail "attach of the underlay veth accepted"; fi
grep -q "IP addresses" "$T/err" || fail "attach wan0: $(cat "$T/err")"
[ "$(lj a wan0 master)" = none ] && [ "$(lj a wan0 mtu)" = "$mtu_wan" ] \
    || fail "refused attach changed wan0"
[ "$(cat "/proc/sys/net/ipv6/conf/wan0/disable_ipv6" 2>/dev/null || echo 0)" = 0 ] || true
mtu_lo=$(lj a lo mtu)
if ctl a attach blue lo 2>"$T/err"; then fail "attach lo accepted"; fi
grep -q "not a tap or veth" "$T/err" || fail "attach lo: $(cat "$T/err")"
[ "$(lj a lo mtu)" = "$mtu_lo" ] || fail "refused attach changed lo's MTU"
[ "$(inns a cat /proc/sys/net/ipv6/conf/lo/disable_ipv6)" = 0 ] || fail "refused attach disabled IPv6 on lo"
ip -n "$P-a" link add xbr type bridge
if ctl a attach blue xbr 2>"$T/err"; then fail "attach of a bridge accepted"; fi
grep -q "not a tap or veth" "$T/err" || fail "attach xbr: $(cat "$T/err")"
# a port of red cannot be moved to blue
ip -n "$P-a" link add v1 type veth peer name v1p
ctl a attach red v1 || fail "attach v1 to red"
[ "$(lj a v1 master)" = ovl-red ] || fail "v1 not on ovl-red"
mtu_v1=$(lj a v1 mtu)
if ctl a attach blue v1 2>"$T/err"; then fail "attach of red's port to blue accepted"; fi
grep -q "attached to enclave red" "$T/err" || fail "attach v1: $(cat "$T/err")"
[ "$(lj a v1 master)" = ovl-red ] && [ "$(lj a v1 mtu)" = "$mtu_v1" ] || fail "refused attach changed v1"
ctl a detach v1 || fail "detach v1"
[ "$(lj a v1 master)" = none ] || fail "detach left v1 on ovl-red"
# nor can a port of someone else's bridge
ip -n "$P-a" link set v1 master xbr
if ctl a attach blue v1 2>"$T/err"; then fail "attach of a port of xbr accepted"; fi
grep -q "v1 is a port of xbr; detach it first" "$T/err" || fail "attach v1: $(cat "$T/err")"
[ "$(lj a v1 master)" = xbr ] || fail "refused attach moved v1"
# a free veth in red's bridge that overlayd does not know about
ip -n "$P-a" link add v2 type veth peer name v2p
ip -n "$P-a" link set v2 master ovl-red
if ctl a attach blue v2 2>"$T/err"; then fail "attach of an unknown port of ovl-red accepted"; fi
grep -q "v2 is a port of ovl-red; detach it first" "$T/err" || fail "attach v2: $(cat "$T/err")"

# --- guests
i=1
for h in a b; do
    g=g$h
    mac="52:54:00:00:01:0$i"
    ip -n "$P-$h" link add "g-$h" type veth peer name eth0 netns "$P-$g"
    inns $g ip link set eth0 address "$mac"
    inns $g ip addr add "10.100.0.$i/24" dev eth0
    inns $g ip link set eth0 mtu 1400 up
    ctl $h attach blue "g-$h" --mac "$mac" --name "vm$i" || fail "attach on $h"
    i=$((i + 1))
done
for _ in $(seq 100); do
    [ "$(ctl a --json peers | jq '[.peers[] | select(.state == "up")] | length')" -ge 1 ] && break
    sleep 0.1
done
inns ga ping -n -q -c 2 -i 0.2 -W 2 10.100.0.2 >/dev/null || fail "first ping"

# --- own MACs are never learned (the bridge's IGMP report at creation)
for ifn in ovl-blue ovu-blue; do
    m=$(lj a $ifn address)
    ctl a fdb blue | grep -qi "$m" && fail "own MAC of $ifn ($m) is in the table: $(ctl a fdb blue)"
done

# --- MTU change on reload: in place, the guest stays plugged
printf '[Enclave]\nName = blue\nId = 100\nMTU = 1300\n' > "$T/a/enclaves/blue.conf"
ctl a reload > "$T/reload.out" || fail "reload (MTU): $(cat "$T/reload.out")"
grep -q "MTU 1400 -> 1300" "$T/reload.out" || fail "reload output: $(cat "$T/reload.out")"
[ "$(lj a g-a master)" = ovl-blue ] || fail "MTU reload unplugged g-a"
for ifn in g-a ovl-blue ovu-blue; do
    [ "$(lj a $ifn mtu)" = 1300 ] || fail "$ifn MTU $(lj a $ifn mtu) after reload, want 1300"
done
inns ga ip link set eth0 mtu 1300
inns ga ping -n -q -c 2 -i 0.2 -W 2 10.100.0.2 >/dev/null || fail "ping after MTU reload"

# --- recreated enclave (new uplink name): the guest is plugged again and announced
printf '[Enclave]\nName = blue\nId = 100\nMTU = 1300\nUplink = ovu-blue2\n' > "$T/a/enclaves/blue.conf"
ctl a reload > "$T/reload.out" || fail "reload (recreate): $(cat "$T/reload.out")"
[ "$(lj a g-a master)" = ovl-blue ] || fail "recreated enclave lost g-a: $(cat "$T/reload.out")"
[ "$(lj a ovu-blue2 master)" = ovl-blue ] || fail "new uplink not on the bridge"
ctl a fdb blue | grep -q "52:54:00:00:01:01" || fail "g-a's MAC not announced again"
inns ga ping -n -q -c 2 -i 0.2 -W 2 10.100.0.2 >/dev/null || fail "ping after the enclave was recreated"

# --- a deleted uplink TAP is reopened (logged once)
ip -n "$P-a" link del ovu-blue2
for _ in $(seq 50); do [ "$(lj a ovu-blue2 master 2>/dev/null)" = ovl-blue ] && break; sleep 0.1; done
[ "$(lj a ovu-blue2 master)" = ovl-blue ] || fail "uplink not reopened"
[ "$(grep -c "uplink ovu-blue2 failed" "$T/a.log")" = 1 ] || fail "uplink failure not logged exactly once"
inns ga ping -n -q -c 2 -i 0.2 -W 2 10.100.0.2 >/dev/null || fail "ping after the uplink was reopened"

# --- shutdown withdraws nothing it should not and leaves nothing behind
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" || fail "a exit status"
PIDS=("${PIDS[1]}")
for ifn in ovl-blue ovu-blue2 ovl-red ovu-red; do
    ip -n "$P-a" link show "$ifn" >/dev/null 2>&1 && fail "$ifn left behind"
done
echo "OK"
