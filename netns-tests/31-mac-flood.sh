#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 31 — a guest sending from random source MACs, and to random
# destination MACs (issue 12, item 7).
# Every MAC a guest's frame comes from is claimed by its host; the claims
# of learned (not attached) MACs go to the peers at once only within
# CLAIMS_LEARNED_BURST (200) and CLAIMS_LEARNED_PER_S (100) a second; the
# rest wait for the 30 s refresh and are counted as drop_claim_ratelimit.
# h1 and h2, guest g1 on h1 (attached without --mac: not locked) sends N
# broadcast frames from N random source MACs as fast as it can:
#   - of the R frames h1 read (the TAP may drop some of a burst that
#     fast), h1 counts at least R - 200 - 100 x (the seconds it took, + 1)
#     claims as drop_claim_ratelimit, and no more than R - 200;
#   - then N frames to N random unicast MACs nobody has: each would start
#     a ring lookup; h1 starts at most RINGD_RESOLVE_BURST (100) plus 50 a
#     second and counts the rest as drop_resolve_ratelimit (same bounds);
#   - the guests g1 and g2 still ping each other afterwards.
. "$(dirname "$0")/lib.sh"
rig_init

N=${MACFLOOD_N:-2000}
rig_wan_create
for i in 1 2; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2
for h in h1 h2; do rig_enclave "$h" blue 100; done
for i in 1 2; do rig_daemon_start "h$i"; done
for h in h1 h2; do rig_wait_links "$h" 1; done
rig_guest_create h1 blue g1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue g2 10.100.0.2 52:54:00:00:01:02
# A guest attached with --mac may send from no other MAC (drop_spoof,
# 39-spoof): the flooding guest is one attached without.
rig_assert "detach g1" rig_ctl h1 detach g-g1
rig_assert "attach g1 without --mac" rig_ctl h1 attach blue g-g1 --name g1
rig_ping g1 10.100.0.2

rl0=$(rig_counter h1 drop_claim_ratelimit)
rx0=$(rig_counter h1 tap_rx_frames)
rig_say "g1 sends $N frames from $N random source MACs"
[ -n "$RIG_PYTHON_EXE" ] || RIG_PYTHON_EXE=$("$RIG_PYTHON" -c 'import sys; print(sys.executable)')
# send N KIND: N frames from g1, from random sources (src) or to random
# unicast destinations (dst); prints the seconds it took.
send() {
    local t0 t1
    t0=$(date +%s.%N)
    ip netns exec "$(rig_ns g1)" "$RIG_PYTHON_EXE" - "$1" "$2" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
own = open("/sys/class/net/eth0/address").read().strip()
for _ in range(int(sys.argv[1])):
    rnd = bytes([0x02]) + os.urandom(5)          # locally administered, unicast
    if sys.argv[2] == "src":
        s.send(b"\xff" * 6 + rnd + b"\x88\xb5" + b"\x00" * 46)
    else:
        s.send(rnd + bytes.fromhex(own.replace(":", "")) + b"\x88\xb5" + b"\x00" * 46)
PY
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
secs=$(send "$N" src)
# read_all BEFORE: h1's count of frames read from its TAP once it stops
# growing (the frames in flight read), minus BEFORE.
_stable() {
    local a b
    a=$(rig_counter h1 tap_rx_frames); sleep 0.3; b=$(rig_counter h1 tap_rx_frames)
    [ "$a" = "$b" ] && [ "$b" -gt "$1" ]
}
read_all() { rig_poll 10 "h1 read what reached its TAP" _stable "$1"; echo $(( $(rig_counter h1 tap_rx_frames) - $1 )); }
got=$(read_all "$rx0")
rl=$(( $(rig_counter h1 drop_claim_ratelimit) - rl0 ))
low=$(awk -v n="$got" -v s="$secs" 'BEGIN { l = n - 200 - 100 * (s + 1); print (l > 0 ? int(l) : 0) }')
printf '  %s claims deferred of %s read (%s sent in %s s; bound %s..%s)\n' "$rl" "$got" "$N" "$secs" \
    "$low" "$((got - 200))" >&2
[ "$got" -ge $((N / 2)) ] || rig_fail "h1 read only $got of $N frames"
[ "$rl" -ge "$low" ] && [ "$rl" -le $((got - 200)) ] || \
    rig_fail "drop_claim_ratelimit grew by $rl, want $low..$((got - 200))"
[ "$rl" -gt 0 ] || rig_fail "no claim was held back"

rig_say "g1 sends $N frames to $N random unicast MACs"
# Only a ring member looks MACs up (the flood of claims may have cost the
# two-host ring a round of its own messages).
_ring_active() { [ "$(rig_ctl_q h1 --json ring | jq -r .state)" = active ]; }
rig_poll 20 "h1 is a ring member" _ring_active
rs0=$(rig_counter h1 drop_resolve_ratelimit)
rx0=$(rig_counter h1 tap_rx_frames)
ff0=$(rig_counter h1 drop_facts_full)
secs=$(send "$N" dst)
got=$(read_all "$rx0")
rs=$(( $(rig_counter h1 drop_resolve_ratelimit) - rs0 ))
# Facts beyond the per-iteration queue never reach the ring (counted
# apart, drop_facts_full): they start no lookup either.
full=$(( $(rig_counter h1 drop_facts_full) - ff0 ))
low=$(awk -v n="$got" -v s="$secs" 'BEGIN { l = n - 100 - 50 * (s + 1); print (l > 0 ? int(l) : 0) }')
printf '  %s ring lookups held back, %s facts not queued, of %s read (%s sent in %s s; bound %s..%s)\n' \
    "$rs" "$full" "$got" "$N" "$secs" "$low" "$((got - 100))" >&2
[ "$got" -ge $((N / 2)) ] || rig_fail "h1 read only $got of $N frames"
[ "$rs" -gt 0 ] || rig_fail "no ring lookup was held back"
[ $((rs + full)) -ge "$low" ] && [ "$rs" -le $((got - 100)) ] || \
    rig_fail "drop_resolve_ratelimit grew by $rs (+ $full facts not queued), want $low..$((got - 100))"
rig_ping g1 10.100.0.2
rig_ping g2 10.100.0.1

rig_pass
