#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 27 — proximity fingers make lookups faster (docs/routing.md,
# "Proximity fingers and stretch"). PNS_N hosts (24) on the impaired WAN (lib-wan.sh) with a
# seeded random latency matrix: each host sits at a random point of one of
# three sites; one-way delay = 1 ms + distance, sites 12-35 ms apart, hosts
# of a site 0-3 ms from its centre. One guest per host in blue.
# The same ring runs twice, each time from a fresh start:
#  1. ProximitySample = 1 (plain Chord fingers);
#  2. ProximitySample = 16 (the default).
# Each run waits until every host's fingers are measured (rtt_ms set), then
# every host looks up every other host's guest PNS_SWEEPS times; `lookup
# --json` gives latency_ms (from the question to the record). The scenario
# prints both means and their ratio, and fails unless the proximity mean is
# below the plain one by PNS_MARGIN percent (default 10).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ring.sh"
rig_init

# 24, not fewer: a host's 8 successors cover a ring of 12 or fewer, and
# then it has no finger at all for PNS to place.
N=${PNS_N:-24}
SEED=${PNS_SEED:-27}
SWEEPS=${PNS_SWEEPS:-2}
MARGIN=${PNS_MARGIN:-10}
export OVERLAYD_RING_IDLE_S=600     # links measured once stay up: both runs see all RTTs

rig_wan_create
rig_wan_delay_check
hosts=()
for i in $(seq 1 "$N"); do
    rig_host_create "h$i" "$i"
    hosts+=("h$i")
done
for i in $(seq 2 "$N"); do rig_host_peer "h$i" h1; done
for a in "${hosts[@]}"; do
    for b in "${hosts[@]}"; do
        [ "$a" = "$b" ] || [ "$b" = h1 ] && continue
        ring_host_keys_only "$a" "$b"
    done
done
for h in "${hosts[@]}"; do rig_enclave "$h" blue 100; done

mac_of() { printf '52:54:00:00:01:%02x' "${1#h}"; }
ip_of() { printf '10.100.0.%s' "${1#h}"; }

# The matrix: one line "A B MS" per pair, from a seeded generator so that a
# failure can be replayed (PNS_SEED).
"$RIG_PYTHON" - "$N" "$SEED" > "$RIG_DIR/matrix" <<'EOF'
import math, random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
sites = [(0, 0), (30, 5), (12, 28)]
pos = []
for i in range(n):
    cx, cy = sites[i % 3 if i < 3 else rnd.randrange(3)]
    a, r = rnd.uniform(0, 2 * math.pi), rnd.uniform(0, 3)
    pos.append((cx + r * math.cos(a), cy + r * math.sin(a)))
for i in range(n):
    for j in range(i + 1, n):
        d = math.dist(pos[i], pos[j])
        print("h%d h%d %d" % (i + 1, j + 1, round(1 + d)))
EOF
while read -r a b ms; do rig_wan_delay_both "$a" "$b" "$ms"; done < "$RIG_DIR/matrix"
printf '  latency matrix (one-way ms, seed %s): min %s, max %s\n' "$SEED" \
    "$(sort -n -k3 "$RIG_DIR/matrix" | head -1 | cut -d' ' -f3)" \
    "$(sort -n -k3 "$RIG_DIR/matrix" | tail -1 | cut -d' ' -f3)" >&2

# _fingers_measured HOSTS...: every finger of every host has an RTT.
_fingers_measured() {
    local h
    for h in "$@"; do
        ring_view "$h" | jq -e '.fingers | all(.rtt_ms != null)' >/dev/null || return 1
    done
}

# _sweep OUT: every host looks up every other guest, hosts in parallel;
# one latency_ms per line in OUT.
_sweep_from() {
    local from=$1 out=$2 to j
    for to in "${hosts[@]}"; do
        [ "$to" = "$from" ] && continue
        j=$(rig_ctl_q "$from" --json lookup blue "$(mac_of "$to")") || {
            echo "$from: lookup of $to's guest failed" >> "$RIG_DIR/lookup-fail"; return 1; }
        jq -r --arg w "$to" 'if .host == $w then .latency_ms else "wrong \(.host)" end' <<<"$j" >> "$out"
    done
}
_sweep() {
    local out=$1 h pids=()
    for h in "${hosts[@]}"; do
        _sweep_from "$h" "$out.$h" &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    [ ! -s "$RIG_DIR/lookup-fail" ] || rig_fail "lookups failed: $(tr '\n' ' ' < "$RIG_DIR/lookup-fail")"
    cat "$out".h* >> "$out"
    rm -f "$out".h*
    ! grep -q wrong "$out" || rig_fail "a lookup named the wrong host: $(grep -m1 wrong "$out")"
}

# _run SAMPLE: a fresh ring with ProximitySample = SAMPLE; prints the mean.
_run() {
    local sample=$1 h t0 out="$RIG_DIR/lat-$1"
    for h in "${hosts[@]}"; do
        sed -i '/^ProximitySample/d; /^\[Host\]/a ProximitySample = '"$sample" "$(rig_host_conf "$h")"
    done
    ring_start_guests "${hosts[@]}"
    t0=$SECONDS
    rig_poll 90 "one consistent ring of $N hosts (ProximitySample $sample)" ring_check "${hosts[@]}"
    printf '  ring of %s hosts after %ss\n' "$N" "$((SECONDS - t0))" >&2
    # One sweep opens the links lookups use and measures them; the fingers
    # then move to the nearest sampled hosts (one finger per 6 s).
    _sweep "$RIG_DIR/warm-$sample"
    rig_poll 90 "every host's fingers are measured" _fingers_measured "${hosts[@]}"
    for _ in $(seq 1 "$SWEEPS"); do _sweep "$out"; done
    rig_ctl h1 ring >&2
    "$RIG_PYTHON" -c '
import statistics, sys
v = [float(l) for l in open(sys.argv[1]) if l.strip()]
print("%.1f %.1f %d" % (statistics.mean(v), statistics.median(v), len(v)))' "$out"
    for h in "${hosts[@]}"; do rig_daemon_stop "$h" || rig_fail "$h did not stop cleanly"; done
    for h in "${hosts[@]}"; do rig_delete_ns "g${h#h}"; done
}

rig_say "1. plain Chord fingers (ProximitySample = 1)"
read -r plain plain_med plain_n < <(_run 1)
printf '  plain fingers: mean lookup latency %s ms (median %s, %s lookups)\n' "$plain" "$plain_med" "$plain_n" >&2

rig_say "2. proximity fingers (ProximitySample = 16)"
read -r prox prox_med prox_n < <(_run 16)
printf '  proximity fingers: mean lookup latency %s ms (median %s, %s lookups)\n' "$prox" "$prox_med" "$prox_n" >&2

gain=$("$RIG_PYTHON" -c "print('%.0f' % (100 * (1 - $prox / $plain)))")
printf '  proximity fingers: %s %% lower mean lookup latency (%s -> %s ms; bound: at least %s %%)\n' \
    "$gain" "$plain" "$prox" "$MARGIN" >&2
[ "$gain" -ge "$MARGIN" ] || rig_fail "proximity fingers gain ${gain} %, want >= ${MARGIN} %"
rig_pass
