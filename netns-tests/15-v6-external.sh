#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 15 — an IPv6 underlay and an operator's bridge (formerly the
# daemon's v6/external smoke test). h1 knows h2's endpoint [fd42::2]:51900;
# h2 lists h1 without an Endpoint and learns it from h1's handshake. h2's
# blue uses BridgeType = external on the operator-made bridge xbr-blue.
#  - the daemon does not enslave its uplink nor touch an attached interface
#    on the external bridge (the operator plugs both);
#  - the derived MTU with an IPv6 peer is 1398 on h1;
#  - the link comes up, h2 learns h1's endpoint [fd42::1]:..., guests ping,
#    full-size (1398) DF packets cross, h2's fdb learns h1's guest as remote;
#  - SIGTERM: exit 0, the external bridge stays, no ovl-*/ovu-* left.
RIG_LOG_LEVEL=${RIG_LOG_LEVEL:-debug}
. "$(dirname "$0")/lib.sh"
rig_init

lj() { ip -n "$(rig_ns "$1")" -j link show "$2" | jq -r ".[0].$3 // \"none\""; }

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_host_v6 h1
rig_host_v6 h2
rig_log "add ListenAddress = :: to $(rig_host_conf h2)"
echo "ListenAddress = ::" >> "$(rig_host_conf h2)"
rig_host_peer h1 h2 "[$(rig_host_addr6 h2)]:51900"
rig_host_peer h2 h1 -
rig_enclave h1 blue 100
rig_enclave h2 blue 100 "BridgeType = external" "Bridge = xbr-blue" "MTU = 1398"
rig_in h2 ip link add xbr-blue type bridge
rig_in h2 ip link set xbr-blue up

rig_daemon_start h2
rig_daemon_start h1
rig_assert_eq "$(lj h2 ovu-blue master)" none "external: master of h2's uplink after start"
rig_in h2 ip link set ovu-blue master xbr-blue
rig_assert_eq "$(rig_ctl h1 --json enclaves | jq '.enclaves[0].mtu')" 1398 \
    "h1's derived MTU with an IPv6 peer"

rig_say "guests"
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_assert_eq "$(lj h2 g-b2 master)" none "external: master of g-b2 after attach"
rig_in h2 ip link set g-b2 master xbr-blue mtu 1398 up
rig_in b1 ip link set eth0 mtu 1398
rig_in b2 ip link set eth0 mtu 1398

_first_peer_up() { [ "$(rig_ctl_q h1 --json peers | jq -r '.peers[0].state')" = up ]; }
rig_poll 15 "h1's link to h2 up over IPv6" _first_peer_up
rig_ctl h1 --json peers | jq -c . >&2
rig_assert "h2 learned h1's endpoint from its handshake" \
    jq -e '.peers[0].endpoint | startswith("[fd42::1]:")' <<<"$(rig_ctl h2 --json peers)"
rig_ping b1 10.100.0.2
rig_ping b2 10.100.0.1 -s 1370 -M "do"  # 1398 bytes, don't fragment
_fdb_remote_b1() { grep -q "52:54:00:00:01:01.*h1.*remote" <<<"$(rig_ctl_q h2 fdb blue)"; }
rig_poll 5 "h2's fdb has b1's MAC as remote on h1" _fdb_remote_b1

rig_say "SIGTERM"
for h in h1 h2; do
    rig_daemon_stop "$h" || rig_fail "overlayd of $h exited non-zero on SIGTERM"
    left=$(ip -n "$(rig_ns "$h")" -br link show | awk '{print $1}' | grep -E '^ov[lu]-' || true)
    [ -z "$left" ] || rig_fail "left behind in $h: $left"
done
rig_assert "the external bridge stays" rig_in h2 ip link show xbr-blue

rig_pass
