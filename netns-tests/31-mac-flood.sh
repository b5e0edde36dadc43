#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 31 — a guest sending from random source MACs (issue 12, item 7).
# Every MAC a guest's frame comes from is claimed by its host; the claims
# of learned (not attached) MACs go to the peers at once only within
# CLAIMS_LEARNED_BURST (200) and CLAIMS_LEARNED_PER_S (100) a second; the
# rest wait for the 30 s refresh and are counted as drop_claim_ratelimit.
# h1 and h2, guest g1 on h1 sends N broadcast frames from N random source
# MACs as fast as it can:
#   - h1 counts at least N - 200 - 100 x (the seconds it took) claims as
#     drop_claim_ratelimit, and no more than N - 200;
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
rig_ping g1 10.100.0.2

rl0=$(rig_counter h1 drop_claim_ratelimit)
rx0=$(rig_counter h1 tap_rx_frames)
rig_say "g1 sends $N frames from $N random source MACs"
[ -n "$RIG_PYTHON_EXE" ] || RIG_PYTHON_EXE=$("$RIG_PYTHON" -c 'import sys; print(sys.executable)')
t0=$(date +%s.%N)
ip netns exec "$(rig_ns g1)" "$RIG_PYTHON_EXE" - "$N" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(int(sys.argv[1])):
    src = bytes([0x02]) + os.urandom(5)          # locally administered, unicast
    s.send(b"\xff" * 6 + src + b"\x88\xb5" + b"\x00" * 46)
PY
t1=$(date +%s.%N)
_read_all() { [ "$(rig_counter h1 tap_rx_frames)" -ge $((rx0 + N)) ]; }
rig_poll 10 "h1 read the $N frames" _read_all
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
rl=$(( $(rig_counter h1 drop_claim_ratelimit) - rl0 ))
low=$(awk -v n="$N" -v s="$secs" 'BEGIN { l = n - 200 - 100 * (s + 1); print (l > 0 ? int(l) : 0) }')
printf '  %s claims deferred of %s in %s s (bound %s..%s)\n' "$rl" "$N" "$secs" "$low" "$((N - 200))" >&2
[ "$rl" -ge "$low" ] && [ "$rl" -le $((N - 200)) ] || \
    rig_fail "drop_claim_ratelimit grew by $rl, want $low..$((N - 200))"
[ "$rl" -gt 0 ] || rig_fail "no claim was held back"
rig_ping g1 10.100.0.2
rig_ping g2 10.100.0.1

rig_pass
