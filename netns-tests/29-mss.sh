#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 29 — guests left at MTU 1500 on an enclave whose inner MTU is
# smaller (1418: a 1500-byte IPv4 underlay) get working TCP through the MSS
# clamp (docs/config.md, "Guests at MTU 1500").
#  - h1 and h2 list each other; blue (100, ClampMSS default) and red (200,
#    ClampMSS = no) on both; one guest per enclave and host, each set back
#    to MTU 1500 after attach (which set the inner MTU);
#  - blue: iperf3 TCP for 3 s over IPv4, then 2 s over IPv6, both ways of
#    clamping at work (each host clamps the SYN its own guest sends): data
#    arrives, the sender's MSS fits the inner MTU, both hosts count
#    mss_clamped;
#  - red: the same iperf3 over IPv4 stalls (full-size segments die at the
#    guest's bridge port): at most 64 KB arrive, and mss_clamped does not move;
#  - reload with ClampMSS = yes on red (both hosts): applied in place
#    ("ClampMSS yes" in the reload output, clamp_mss in `enclaves --json`),
#    and the same iperf3 on red now transfers.
RIG_LOG_LEVEL=${RIG_LOG_LEVEL:-info}
. "$(dirname "$0")/lib.sh"
rig_init iperf3 ss

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
for h in h1 h2; do
    rig_enclave "$h" blue 100
    rig_enclave "$h" red 200 "ClampMSS = no"
done
rig_daemon_start h1
rig_daemon_start h2

rig_say "guests at MTU 1500 on an inner MTU of 1418"
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_guest_create h1 red r1 10.200.0.1 52:54:00:00:02:01
rig_guest_create h2 red r2 10.200.0.2 52:54:00:00:02:02
for g in b1 b2 r1 r2; do
    rig_in "$g" ip link set eth0 mtu 1500
done
rig_in b1 ip addr add fd00:100::1/64 dev eth0 nodad
rig_in b2 ip addr add fd00:100::2/64 dev eth0 nodad
mtu=$(rig_ctl_q h1 --json enclaves | jq '.enclaves[] | select(.name == "blue") | .mtu')
rig_assert_eq "$mtu" 1418 "inner MTU of blue"
rig_assert_eq "$(rig_ctl_q h1 --json enclaves | jq -c '[.enclaves[] | .clamp_mss]')" \
    "[true,false]" "clamp_mss of blue, red"
rig_wait_links h1 1
rig_ping b1 10.100.0.2
rig_ping b1 fd00:100::2
rig_ping r1 10.200.0.2
# Why the clamp is needed: a full-size packet from a guest dies at its port.
rig_ping_fails_big() {
    rig_log "! [$(rig_ns "$1")] ping -c 2 -W 1 -M do -s 1472 $2"
    ! ip netns exec "$(rig_ns "$1")" ping -n -q -c 2 -i 0.2 -W 1 -M "do" -s 1472 "$2" >/dev/null \
        || rig_fail "a 1500-byte ping from $1 to $2 crossed an inner MTU of 1418"
}
rig_ping_fails_big b1 10.100.0.2

# iperf3_server GUEST: a one-shot server in GUEST, polled until it listens;
# the previous one (done, or waiting for a stalled client) is stopped first,
# by its pid.
IPERF_PID=""
_listens() { ip netns exec "$(rig_ns "$1")" ss -Hltn 'sport = :5201' | grep -q .; }
iperf3_server() {
    if [ -n "$IPERF_PID" ]; then
        kill "$IPERF_PID" 2>/dev/null || true
        rig_poll 5 "the previous iperf3 server exits" _rig_exited "$IPERF_PID"
    fi
    rig_log "[$(rig_ns "$1")] iperf3 -s -1 &"
    ip netns exec "$(rig_ns "$1")" iperf3 -s -1 >/dev/null 2>&1 &
    IPERF_PID=$!
    RIG_BG_PIDS+=("$IPERF_PID")
    rig_poll 5 "iperf3 server in $1 listening" _listens "$1"
}

# iperf3_bytes GUEST ADDR SECONDS [TIMEOUT]: bytes the server received
# (0 when the client failed or timed out); the JSON report in $RIG_DIR.
iperf3_bytes() {
    local g=$1 addr=$2 t=$3 to=${4:-20} out="$RIG_DIR/iperf3-$1-$3.json"
    rig_log "[$(rig_ns "$g")] timeout $to iperf3 -c $addr -t $t -J --connect-timeout 3000 > $out"
    timeout "$to" ip netns exec "$(rig_ns "$g")" iperf3 -c "$addr" -t "$t" -J \
        --connect-timeout 3000 >"$out" 2>&1 || true
    jq -r '.end.sum_received.bytes // 0' "$out" 2>/dev/null || echo 0
}

rig_say "blue (ClampMSS default): TCP from a guest at 1500 transfers"
iperf3_server b2
bytes=$(iperf3_bytes b1 10.100.0.2 3)
[ "$bytes" -gt 1000000 ] || rig_fail "blue over IPv4: only $bytes bytes arrived"
out="$RIG_DIR/iperf3-b1-3.json"
bps=$(jq '.end.sum_received.bits_per_second' "$out")
mss=$(jq '.start.tcp_mss_default // 0' "$out")
printf '  blue IPv4: %s bytes, %s bit/s, sender MSS %s\n' "$bytes" "$bps" "$mss" >&2
[ "$mss" -le 1378 ] || rig_fail "the sender's MSS $mss does not fit the inner MTU (<= 1378)"
for h in h1 h2; do
    n=$(rig_counter "$h" mss_clamped)
    printf '  %s: mss_clamped %s\n' "$h" "$n" >&2
    [ "$n" -gt 0 ] || rig_fail "$h clamped no SYN"
done
before=$(rig_counter h1 mss_clamped)
iperf3_server b2
bytes=$(iperf3_bytes b1 fd00:100::2 2)
[ "$bytes" -gt 1000000 ] || rig_fail "blue over IPv6: only $bytes bytes arrived"
mss=$(jq '.start.tcp_mss_default // 0' "$RIG_DIR/iperf3-b1-2.json")
printf '  blue IPv6: %s bytes, sender MSS %s\n' "$bytes" "$mss" >&2
[ "$mss" -le 1358 ] || rig_fail "the sender's IPv6 MSS $mss does not fit the inner MTU (<= 1358)"
[ "$(rig_counter h1 mss_clamped)" -gt "$before" ] || rig_fail "h1 clamped no IPv6 SYN"

rig_say "red (ClampMSS = no): the same transfer stalls"
before1=$(rig_counter h1 mss_clamped) before2=$(rig_counter h2 mss_clamped)
iperf3_server r2
bytes=$(iperf3_bytes r1 10.200.0.2 2 12)
printf '  red, no clamp: %s bytes\n' "$bytes" >&2
[ "$bytes" -le 65536 ] || rig_fail "red without the clamp moved $bytes bytes: the stall is not real"
rig_assert_eq "$(rig_counter h1 mss_clamped)" "$before1" "h1 mss_clamped after red"
rig_assert_eq "$(rig_counter h2 mss_clamped)" "$before2" "h2 mss_clamped after red"

rig_say "reload: ClampMSS = yes on red, applied in place"
for h in h1 h2; do
    rig_enclave "$h" red 200 "ClampMSS = yes"
    out=$(rig_ctl "$h" reload)
    grep -q "enclave red: ClampMSS yes" <<<"$out" || rig_fail "reload of $h: $out"
    rig_assert_eq "$(rig_ctl_q "$h" --json enclaves | jq '.enclaves[] | select(.name == "red") | .clamp_mss')" \
        true "clamp_mss of red on $h"
done
iperf3_server r2                # stops the one the stalled client left waiting
bytes=$(iperf3_bytes r1 10.200.0.2 2)
printf '  red, clamped: %s bytes\n' "$bytes" >&2
[ "$bytes" -gt 1000000 ] || rig_fail "red after the reload: only $bytes bytes arrived"
[ "$(rig_counter h1 mss_clamped)" -gt "$before1" ] || rig_fail "h1 clamped no red SYN"

rig_pass
