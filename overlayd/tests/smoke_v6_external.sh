#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# overlayd over an IPv6 underlay: host a knows b's endpoint ([fd42::2]:51900),
# b lists a without Endpoint (it learns a's address from a's handshake);
# b's enclave uses BridgeType = external on an operator-made bridge.
# Checks: link up, guest ping, derived MTU 1398 (IPv6 peer), the external
# bridge is left alone (not enslaved by the daemon, not deleted at exit).
# Usage: smoke_v6_external.sh OVERLAYD OVERLAYCTL   (root; exit 77 = skipped)
SMOKE_PREFIX=dsx
. "$(dirname "$0")/smoke_lib.sh"
ctl() { local h=$1; shift; "$C" -s "$T/$h/ctl.sock" "$@"; }

for n in a b ga gb; do ip netns add "$P-$n"; inns $n ip link set lo up; done
ip -n "$P-a" link add wan0 type veth peer name wan0 netns "$P-b"
inns a ip addr add fd42::1/64 dev wan0 nodad
inns b ip addr add fd42::2/64 dev wan0 nodad
inns a ip link set wan0 up
inns b ip link set wan0 up

for h in a b; do
    "$C" genkey > "$T/$h.key"
    "$C" pubkey < "$T/$h.key" > "$T/$h.pub"
    mkdir -p "$T/$h/enclaves"
done
printf '[Enclave]\nName = blue\nId = 100\n' > "$T/a/enclaves/blue.conf"
printf '[Enclave]\nName = blue\nId = 100\nBridgeType = external\nBridge = xbr-blue\nMTU = 1398\n' \
    > "$T/b/enclaves/blue.conf"
cat > "$T/a.conf" <<EOT
[Host]
Name = host-a
PrivateKey = $(cat "$T/a.key")
ControlSocket = $T/a/ctl.sock
EnclaveDir = $T/a/enclaves

[Peer]
Name = host-b
PublicKey = $(cat "$T/b.pub")
Endpoint = [fd42::2]:51900
EOT
cat > "$T/b.conf" <<EOT
[Host]
Name = host-b
PrivateKey = $(cat "$T/b.key")
ListenAddress = ::
ControlSocket = $T/b/ctl.sock
EnclaveDir = $T/b/enclaves

[Peer]
Name = host-a
PublicKey = $(cat "$T/a.pub")
EOT
# the operator's bridge on b
inns b ip link add xbr-blue type bridge
inns b ip link set xbr-blue up

for h in b a; do
    ip netns exec "$P-$h" "$D" -c "$T/$h.conf" --log-level debug 2>"$T/$h.log" >/dev/null &
    PIDS+=($!)
    for _ in $(seq 100); do ctl $h status >/dev/null 2>&1 && break; sleep 0.1; done
    ctl $h status >/dev/null || fail "daemon $h does not answer"
done
[ "$(inns b ip -j link show ovu-blue | jq -r '.[0].master // "none"')" = none ] \
    || fail "external: the daemon enslaved its uplink"
inns b ip link set ovu-blue master xbr-blue

mtu_a=$(ctl a --json enclaves | jq '.enclaves[0].mtu')
[ "$mtu_a" = 1398 ] || fail "derived MTU with an IPv6 peer: $mtu_a, want 1398"

ip -n "$P-a" link add g-a type veth peer name eth0 netns "$P-ga"
ip -n "$P-b" link add g-b type veth peer name eth0 netns "$P-gb"
inns ga ip link set eth0 address 52:54:00:00:01:01
inns gb ip link set eth0 address 52:54:00:00:01:02
inns ga ip addr add 10.100.0.1/24 dev eth0
inns gb ip addr add 10.100.0.2/24 dev eth0
ctl a attach blue g-a --mac 52:54:00:00:01:01 || fail "attach a"
ctl b attach blue g-b --mac 52:54:00:00:01:02 || fail "attach b (external)"
[ "$(inns b ip -j link show g-b | jq -r '.[0].master // "none"')" = none ] \
    || fail "external: attach touched the interface"
inns b ip link set g-b master xbr-blue mtu 1398 up
for g in ga gb; do inns $g ip link set eth0 mtu 1398 up; done

for _ in $(seq 100); do
    [ "$(ctl a --json peers | jq -r '.peers[0].state')" = up ] && break; sleep 0.1
done
ctl a --json peers | jq -c .
ctl b --json peers | jq -e '.peers[0].endpoint | startswith("[fd42::1]:")' >/dev/null \
    || fail "b did not learn a's endpoint"
inns ga ping -n -q -c 3 -i 0.2 -W 2 10.100.0.2 || fail "ping over IPv6 underlay"
inns gb ping -n -q -c 2 -i 0.2 -W 2 -s 1370 -M do 10.100.0.1 || fail "full-MTU (1398) packets over IPv6"
ctl b fdb blue | grep -q "52:54:00:00:01:01.*host-a.*remote" || fail "a's MAC not announced to b"

for k in 0 1; do
    kill -TERM "${PIDS[$k]}"
    wait "${PIDS[$k]}" || fail "overlayd exited non-zero on SIGTERM"
done
PIDS=()
inns b ip link show xbr-blue >/dev/null 2>&1 || fail "external bridge deleted"
for h in a b; do
    left=$(ip -n "$P-$h" -br link show | awk '{print $1}' | grep -E '^ov[lu]-' || true)
    [ -z "$left" ] || fail "left behind in $h: $left"
done
echo "PASS: smoke v6 external"
