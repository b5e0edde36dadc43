#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 25 — what a relay refuses (docs/paths.md, "Relay rules"). h1 and
# h3 (enclave blue) have no direct path and reach each other through h2,
# whose relay budget is 50 packets/s per source (OVERLAYD_RELAY_PPS=50).
#  1. b1 pings b3 through h2;
#  2. a 200 packets/s ping for 2 s: most of it is refused at h2
#     (drop_detour_ratelimit), under 60 % is answered; a normal ping
#     afterwards is answered again (the budget refills);
#  3. h4 lists h2 as its [Peer] but h2 does not list h4 (not admitted):
#     their link never comes up, h2 counts refused handshakes
#     (drop_unknown_peer), and h4's guest reaches nobody.
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
for i in 1 2 3 4; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
rig_host_peer h4 h2
for h in h1 h3 h4; do rig_enclave "$h" blue 100; done
rig_wan_split h1 -- h3
rig_daemon_start h1
OVERLAYD_RELAY_PPS=50 rig_daemon_start h2
rig_daemon_start h3
rig_daemon_start h4
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h3 blue b3 10.100.0.3 52:54:00:00:01:03
rig_guest_create h4 blue b4 10.100.0.4 52:54:00:00:01:04

_pings() { rig_in "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
_via_is() {
    [ "$(rig_ctl_q "$1" --json peers | jq -r --arg n "$2" '.peers[] | select(.name == $n) | .via // "direct"')" = "$3" ]
}

rig_say "1. h1 and h3 through h2"
rig_poll 45 "b1 pings b3 through h2" _pings b1 10.100.0.3
rig_assert "h1 reaches h3 via h2" _via_is h1 h3 h2

rig_say "2. 200 packets/s through a relay that takes 50 per source"
before=$(rig_counter h2 drop_detour_ratelimit)
out=$(ip netns exec "$(rig_ns b1)" ping -n -q -i 0.005 -c 400 -W 1 10.100.0.3 2>&1 || true)
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
refused=$(( $(rig_counter h2 drop_detour_ratelimit) - before ))
printf '  400 sent, %s answered; h2 refused %s over the budget\n' "${got:-?}" "$refused" >&2
[ -n "$got" ] && [ "$got" -lt 240 ] || rig_fail "the relay budget did not hold: $got of 400 answered"
[ "$refused" -gt 0 ] || rig_fail "h2 counted no drop_detour_ratelimit"
rig_poll 10 "a normal ping through h2 is answered again" _pings b1 10.100.0.3

rig_say "3. a host h2 does not admit gets nothing relayed"
rig_poll 15 "h2 refuses h4's handshakes (drop_unknown_peer)" \
    eval '[ "$(rig_counter h2 drop_unknown_peer)" -gt 0 ]'
rig_assert_fails "h4's link to h2 is up" eval '[ "$(rig_peer_state h4 h2)" = up ]'
rig_ping_fails b4 10.100.0.1
rig_ping_fails b4 10.100.0.3
rig_pass
