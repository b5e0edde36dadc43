#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 23 — path probes (docs/design.md, "Path probes"). h1, h2, h3
# list each other, enclave blue (100) on h1 and h2.
#  - idle links get an RTT from probes within a few seconds of link-up
#    (`rtt_var_ms` is a number: only probes set it), a loss figure, not dead;
#  - while a guest ping runs b1 -> b2, h2's WAN is cut: h1 reports h2
#    `state` "down" and `health` "dead" in under 1.5 s from the cut, as
#    polled (times OVL_TIMEOUT_MULT; the time is printed), and h1's log says
#    it held h2 dead after under 1 s of silence (the design's figure); h3
#    stays up, path_probes_lost counts, status.peers_up drops to 1;
#  - the WAN comes back: h2 is "up" / "up" again at h1, and the ping
#    goes through.
# Everything is polled; no fixed sleeps.
. "$(dirname "$0")/lib.sh"
rig_init

# Two figures. h1's own (its log: the silence before it held h2 dead, on
# its monotonic clock) is at least the time from the cut, since nothing
# came after it: held to the design's 1 s always. The polled one (cut in
# force -> `peers` says down/dead) adds the polling's own delay: held to
# 1.5 s times OVL_TIMEOUT_MULT (the ASan build runs with 3), and only on a
# machine that is not starved (1-minute load average below its CPU count),
# since at nice 19 under a loaded CI each overlayctl can take a second.
MULT=${OVL_TIMEOUT_MULT:-1}
BOUND_MS=${LINK_HEALTH_BOUND_MS:-$((1500 * MULT))}

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_host_create h3 3
rig_mesh h1 h2 h3
rig_enclave h1 blue 100
rig_enclave h2 blue 100
rig_daemon_start h1
rig_daemon_start h2
rig_daemon_start h3
rig_wait_links h1 2

# peer_field HOST PEER JQ: one field of PEER in HOST's `peers --json`.
peer_field() {
    rig_ctl_q "$1" --json peers | jq -r --arg n "$2" "[.peers[] | select(.name == \$n) | $3][0]"
}
_probed() {
    [ "$(peer_field "$1" "$2" '(.rtt_ms|type) == "number" and (.rtt_var_ms|type) == "number"
        and (.loss|type) == "number" and .health != "dead" and .state == "up"')" = true ]
}
now_ms() { date +%s%3N; }

rig_say "idle links: an RTT from probes within seconds of link-up"
rig_poll $((5 * MULT)) "h1 measures h2 by probes" _probed h1 h2
rig_poll $((5 * MULT)) "h1 measures h3 by probes" _probed h1 h3
rig_poll $((5 * MULT)) "h2 measures h1 by probes" _probed h2 h1
rig_ctl h1 peers >&2
[ "$(rig_counter h1 path_probes_sent)" -ge 2 ] || rig_fail "h1 sent no probes"
[ "$(rig_counter h1 path_probes_answered)" -ge 2 ] || rig_fail "h1 got no probe answered"
[ "$(rig_counter h1 path_probe_replies)" -ge 1 ] || rig_fail "h1 answered no probe"

rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_ping b1 10.100.0.2

rig_say "h2's WAN cut while b1 pings b2: h1 holds h2 dead"
rig_log "[$(rig_ns b1)] ping -i 0.05 10.100.0.2 &"
ip netns exec "$(rig_ns b1)" ping -n -q -i 0.05 10.100.0.2 >/dev/null 2>&1 &
ping_pid=$!
lost0=$(rig_counter h1 path_probes_lost)
_pings() { [ "$(peer_field h1 h2 .rx_bytes)" -gt "$1" ]; }
rx=$(peer_field h1 h2 .rx_bytes)
rig_poll 5 "the ping's traffic flows" _pings "$rx"
_rig_wan_nft_init                   # the nft table first: the cut is one nft call
t_before=$(now_ms)
rig_wan_cut h2
# The cut is in force once nft returned (maybe earlier: on a loaded machine
# the call itself can take hundreds of ms), so time from there.
t0=$(now_ms)
# One overlayctl per poll and no jq: the loop's own delay is part of the
# figure. Keys come in this order and before any nested object.
dead_re='"name":"h2",[^}]*"state":"down",[^}]*"health":"dead"'
while :; do
    out=$(rig_ctl_q h1 --json peers)
    t=$(now_ms)
    [[ ! $out =~ $dead_re ]] || break
    [ $((t - t0)) -lt 10000 ] || rig_fail "h1 does not hold h2 down/dead 10 s after the cut: $out"
    sleep 0.01
done
detect=$((t - t0))
rig_log "h2 detected dead by h1 ${detect} ms after the cut was in force, $((t - t_before)) ms" \
    "after the cut began (bound ${BOUND_MS} ms; design: under 1000); h1's log says:"
printf 'link-health: detection %d ms\n' "$detect"
line=$(grep -m1 "probe: h2 dead" "$(rig_host_dir h1)/overlayd.log") || rig_fail "no 'h2 dead' line in h1's log"
printf '%s\n' "$line" >&2
silent=$(sed -n 's/.*nothing heard for \([0-9]*\) ms.*/\1/p' <<<"$line")
[ -n "$silent" ] && [ "$silent" -lt 1000 ] || rig_fail "h1 held h2 dead after ${silent:-?} ms of silence, not under 1 s"
read -r load _ < /proc/loadavg
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l < n) }'; then
    [ "$detect" -lt "$BOUND_MS" ] || rig_fail "detection took ${detect} ms, bound ${BOUND_MS} ms"
else
    rig_log "polled figure not held to ${BOUND_MS} ms: load average $load on $(nproc) CPUs"
fi
rig_ctl h1 peers >&2
# h3 may be suspect for a moment (ring traffic one way), never dead.
rig_assert_eq "$(peer_field h1 h3 '.state + " " + (.health != "dead" | tostring)')" "up true" \
    "h1's view of h3 during the cut"
[ "$(rig_counter h1 path_probes_lost)" -gt "$lost0" ] || rig_fail "path_probes_lost did not grow"
st=$(rig_ctl_q h1 --json status)
[ "$(jq '.peers_up' <<<"$st")" = 1 ] || rig_fail "status.peers_up counts the dead h2: $st"

rig_say "WAN back: h2 up again"
t0=$(now_ms)
rig_wan_uncut h2
_back() { [ "$(peer_field h1 h2 '.state + " " + .health')" = "up up" ]; }
rig_poll $((10 * MULT)) "h1 holds h2 up again" _back
rig_log "h2 up again at h1 after $(($(now_ms) - t0)) ms"
rig_run kill "$ping_pid"
wait "$ping_pid" 2>/dev/null || true
rig_ping b1 10.100.0.2
rig_ctl h1 peers >&2

rig_pass
