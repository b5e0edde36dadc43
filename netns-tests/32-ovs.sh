#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 32 — Open vSwitch as the enclave switch (BridgeType =
# openvswitch, docs/migration.md "Open vSwitch"). Host h1 uses a Linux
# bridge; host h2 runs its own OVS (userspace datapath, lib-ovs.sh) with two
# bridges: br-blue for enclave blue (100), br-red for enclave red (200).
#  1. overlayd on h2 plugs its uplink TAPs into the OVS bridges by itself;
#     guest a1 on h1 and guest b2 on h2 (a port of br-blue, plugged as
#     libvirt would) ping each other.
#  2. SIGTERM: the daemon takes its uplink off br-blue before it exits;
#     started again, it plugs the new TAP back, and the pings resume with no
#     operator action.
#  3. SIGKILL (no clean-up at all: OVS keeps a port whose TAP died): the
#     next start plugs the new TAP again (del-port, then add-port, two
#     calls), and the pings resume.
#  4. Red's guest r on br-red has b2's IP: not one ICMP or ARP frame of
#     the whole run reached it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ovs.sh"
rig_init
rig_ovs_require

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
rig_enclave h1 blue 100
rig_enclave h2 blue 100 "Bridge = br-blue" "BridgeType = openvswitch"
rig_enclave h2 red 200 "Bridge = br-red" "BridgeType = openvswitch"

rig_say "h2's own Open vSwitch, two netdev bridges"
rig_ovs_start h2
rig_ovs_bridge h2 br-blue
rig_ovs_bridge h2 br-red

rig_daemon_start h1
# The daemon's ovs-vsctl must find this switch: OVS_RUNDIR and friends.
rig_ovs_env h2 rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1

rig_say "1. overlayd on h2 plugged its uplinks itself"
rig_poll 10 "ovu-blue is a port of br-blue" rig_ovs_has_port h2 br-blue ovu-blue
rig_poll 10 "ovu-red is a port of br-red" rig_ovs_has_port h2 br-red ovu-red
rig_assert_eq "$(rig_ctl_q h2 --json enclaves | jq -r '.enclaves[] | select(.name == "blue") | .bridge_type')" \
    openvswitch "blue's bridge_type on h2"
rig_guest_create h1 blue a1 10.100.0.1 52:54:00:00:01:01
rig_ovs_guest_create h2 blue br-blue b2 10.100.0.2 52:54:00:00:01:02
rig_ovs_guest_create h2 red br-red r 10.100.0.2 52:54:00:00:02:02
rig_capture_start r eth0 "$RIG_DIR/red.pcap" -Q in icmp or arp
rig_ping a1 10.100.0.2
rig_ping b2 10.100.0.1

_ping1() { ip netns exec "$(rig_ns "$1")" ping -n -q -c 1 -W 1 "$2" >/dev/null; }

rig_say "2. SIGTERM and start again: the new TAP is back on br-blue"
rig_assert "overlayd of h2 exits 0 on SIGTERM" rig_daemon_stop h2
_not_port() { ! rig_ovs_env h2 ovs-vsctl --timeout=5 list-ports "$1" | grep -qx "$2"; }
rig_assert "a stopped daemon's uplink is off br-blue" _not_port br-blue ovu-blue
rig_assert "... and off br-red" _not_port br-red ovu-red
rig_assert_fails "no ping while h2's daemon is down" _ping1 a1 10.100.0.2
t0=$SECONDS
rig_ovs_env h2 rig_daemon_start h2
rig_poll 10 "the new ovu-blue is a port of br-blue" rig_ovs_has_port h2 br-blue ovu-blue
rig_poll 20 "a1 reaches b2 again" _ping1 a1 10.100.0.2
printf '  ok: pings resumed %s s after the start, no operator action\n' $((SECONDS - t0)) >&2
rig_ping b2 10.100.0.1
grep -q "ovs-vsctl add-port br-blue ovu-blue: done" "$(rig_host_dir h2)/overlayd.log" \
    || rig_fail "h2's log does not say it plugged ovu-blue"

rig_say "3. SIGKILL and start again: OVS kept the dead port; replugged"
pid=${RIG_DAEMON_PID[h2]}
rig_run kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
unset "RIG_DAEMON_PID[h2]"
rig_assert_fails "OVS still lists the killed daemon's port" _not_port br-blue ovu-blue
rig_ovs_env h2 rig_daemon_start h2
rig_poll 10 "ovu-blue is a working port of br-blue again" rig_ovs_has_port h2 br-blue ovu-blue
rig_poll 20 "a1 reaches b2 after the crash" _ping1 a1 10.100.0.2
rig_ping b2 10.100.0.1

rig_say "4. red's guest with b2's IP received nothing"
rig_capture_stop "$RIG_DIR/red.pcap"
red=$(tcpdump -r "$RIG_DIR/red.pcap" -n 2>/dev/null | wc -l)
rig_assert_eq "$red" 0 "ICMP/ARP frames that reached red's guest"

rig_pass
