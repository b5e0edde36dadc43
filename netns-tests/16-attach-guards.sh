#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 16 — attach guards, enclave changes under live guests, uplink
# recovery (formerly the daemon's hardening smoke test). h1 and h2, blue
# (100, MTU 1400) on both, red (200) on h1.
#  - attach refuses what is not a free guest interface and leaves it as it
#    was: the underlay veth (it has IP addresses), lo and a bridge (not a tap
#    or veth), a port of red (names the enclave), a port of someone else's
#    bridge and an unknown port of ovl-red ("is a port of X; detach it
#    first"); detach frees red's port;
#  - the bridge's and the uplink's own MACs are never in the fdb;
#  - a reload that changes blue's MTU (1400 -> 1300) does it in place: the
#    guest stays on the bridge, guest port, bridge and uplink get 1300, the
#    guest pings;
#  - a reload that recreates blue (new uplink name) plugs the guest again,
#    puts the new uplink on the bridge, announces the guest's MAC, pings;
#  - a deleted uplink TAP is reopened, its failure logged exactly once, the
#    guest pings;
#  - SIGTERM: exit 0, no bridge or uplink of blue or red left.
RIG_LOG_LEVEL=${RIG_LOG_LEVEL:-debug}
. "$(dirname "$0")/lib.sh"
rig_init

lj() { ip -n "$(rig_ns "$1")" -j link show "$2" | jq -r ".[0].$3 // \"none\""; }

# attach_refused HOST ENCLAVE IF MESSAGE: attach must fail naming MESSAGE.
attach_refused() {
    local out
    out=$(rig_ctl "$1" attach "$2" "$3" 2>&1) && rig_fail "attach of $3 to $2 accepted"
    grep -q "$4" <<<"$out" || rig_fail "attach $3: want '$4', got: $out"
    printf '  ok: attach %s refused: %s\n' "$3" "$out" >&2
}

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
rig_enclave h1 blue 100 "MTU = 1400"
rig_enclave h2 blue 100 "MTU = 1400"
rig_enclave h1 red 200
rig_daemon_start h1
rig_daemon_start h2

rig_say "attach refuses what is not a free guest interface"
mtu_wan=$(lj h1 wan0 mtu)
attach_refused h1 blue wan0 "IP addresses"
rig_assert_eq "$(lj h1 wan0 master)" none "wan0's master after the refused attach"
rig_assert_eq "$(lj h1 wan0 mtu)" "$mtu_wan" "wan0's MTU after the refused attach"
mtu_lo=$(lj h1 lo mtu)
attach_refused h1 blue lo "not a tap or veth"
rig_assert_eq "$(lj h1 lo mtu)" "$mtu_lo" "lo's MTU after the refused attach"
rig_assert_eq "$(rig_in h1 cat /proc/sys/net/ipv6/conf/lo/disable_ipv6)" 0 \
    "lo's disable_ipv6 after the refused attach"
rig_in h1 ip link add xbr type bridge
attach_refused h1 blue xbr "not a tap or veth"
# a port of red cannot be moved to blue
rig_in h1 ip link add v1 type veth peer name v1p
rig_assert "attach v1 to red" rig_ctl h1 attach red v1
rig_assert_eq "$(lj h1 v1 master)" ovl-red "v1's master"
mtu_v1=$(lj h1 v1 mtu)
attach_refused h1 blue v1 "attached to enclave red"
rig_assert_eq "$(lj h1 v1 master)" ovl-red "v1's master after the refused attach"
rig_assert_eq "$(lj h1 v1 mtu)" "$mtu_v1" "v1's MTU after the refused attach"
rig_assert "detach v1" rig_ctl h1 detach v1
rig_assert_eq "$(lj h1 v1 master)" none "v1's master after detach"
# nor can a port of someone else's bridge
rig_in h1 ip link set v1 master xbr
attach_refused h1 blue v1 "v1 is a port of xbr; detach it first"
rig_assert_eq "$(lj h1 v1 master)" xbr "v1's master after the refused attach"
# a free veth in red's bridge that overlayd does not know about
rig_in h1 ip link add v2 type veth peer name v2p
rig_in h1 ip link set v2 master ovl-red
attach_refused h1 blue v2 "v2 is a port of ovl-red; detach it first"

rig_say "guests"
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_assert_eq "$(lj h1 g-b1 mtu)" 1400 "g-b1's MTU"
rig_wait_links h1 1
rig_ping b1 10.100.0.2

rig_say "own MACs are never learned"
for ifn in ovl-blue ovu-blue; do
    m=$(lj h1 "$ifn" address)
    grep -qi "$m" <<<"$(rig_ctl h1 fdb blue)" && rig_fail "own MAC of $ifn ($m) is in the fdb: $(rig_ctl h1 fdb blue)"
done

rig_say "MTU change on reload: in place, the guest stays plugged"
rig_enclave h1 blue 100 "MTU = 1300"
out=$(rig_ctl h1 reload) || rig_fail "reload (MTU): $out"
grep -q "MTU 1400 -> 1300" <<<"$out" || rig_fail "reload output: $out"
rig_assert_eq "$(lj h1 g-b1 master)" ovl-blue "g-b1's master after the MTU reload"
for ifn in g-b1 ovl-blue ovu-blue; do
    rig_assert_eq "$(lj h1 "$ifn" mtu)" 1300 "$ifn's MTU after the reload"
done
rig_in b1 ip link set eth0 mtu 1300
rig_ping b1 10.100.0.2

rig_say "recreated enclave (new uplink name): the guest is plugged again and announced"
rig_enclave h1 blue 100 "MTU = 1300" "Uplink = ovu-blue2"
out=$(rig_ctl h1 reload) || rig_fail "reload (recreate): $out"
rig_assert_eq "$(lj h1 g-b1 master)" ovl-blue "g-b1's master after the enclave was recreated"
rig_assert_eq "$(lj h1 ovu-blue2 master)" ovl-blue "the new uplink's master"
rig_assert "h1's fdb announces b1's MAC again" grep -q "52:54:00:00:01:01" <<<"$(rig_ctl h1 fdb blue)"
rig_ping b1 10.100.0.2

rig_say "a deleted uplink TAP is reopened, logged once"
rig_in h1 ip link del ovu-blue2
_uplink_back() { [ "$(lj h1 ovu-blue2 master 2>/dev/null)" = ovl-blue ]; }
rig_poll 5 "uplink ovu-blue2 reopened on ovl-blue" _uplink_back
rig_assert_eq "$(grep -c "uplink ovu-blue2 failed" "$(rig_host_dir h1)/overlayd.log")" 1 \
    "log lines 'uplink ovu-blue2 failed'"
rig_ping b1 10.100.0.2

rig_say "SIGTERM leaves nothing behind"
rig_daemon_stop h1 || rig_fail "overlayd of h1 exited non-zero on SIGTERM"
for ifn in ovl-blue ovu-blue2 ovl-red ovu-red; do
    rig_assert_fails "$ifn left behind" rig_in h1 ip link show "$ifn"
done

rig_pass
