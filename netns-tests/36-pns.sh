#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 36 — proximity costs lookups less latency (issue 10, scenario 4;
# docs/routing.md, "Proximity fingers and stretch"). Twelve hosts in a full
# mesh on the impaired WAN, on a seeded random latency matrix: each host a
# point of the unit square (PNS_SEED, default 36), one-way delay 2 ms +
# 30 ms x distance between the two (so the triangle inequality holds and no
# one-hop detour pays), 4-90 ms round trip. Blue on every host, one guest
# each. The same hosts, keys and matrix run twice:
#  1. `ProximitySample = 1` (plain Chord: first host of each finger
#     interval, greedy next hops);
#  2. `ProximitySample = 16` (PNS fingers and proximity route selection).
# Each run: one consistent ring, every host links to all 11 others with a
# measured RTT, h1 finds every other guest (polled: records published),
# then every host looks up every other host's guest MAC once, measured
# (`lookup --json`'s latency_ms). Asserts: every measured lookup answers
# the right host, and the mean latency with proximity is below the one
# without by at least PNS_MARGIN_MS (default 1 ms). Both means, the
# difference and the mean hops are printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ring.sh"
rig_init

N=12
SEED=${PNS_SEED:-36}
MARGIN_MS=${PNS_MARGIN_MS:-1}

rig_wan_create
rig_wan_delay_check
hosts=()
for i in $(seq 1 "$N"); do
    rig_host_create "h$i" "$i"
    hosts+=("h$i")
    sed -i '/^EnclaveDir/a ProximitySample = 1' "$(rig_host_conf "h$i")"
done
rig_mesh "${hosts[@]}"
for h in "${hosts[@]}"; do rig_enclave "$h" blue 100; done

mac_of() { printf '52:54:00:00:01:%02x' "${1#h}"; }
ip_of() { printf '10.100.0.%s' "${1#h}"; }

rig_say "the latency matrix (seed $SEED): one-way ms = 2 + 30 x distance"
mapfile -t delays < <("$RIG_PYTHON" - "$N" "$SEED" <<'PY'
import math, random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
pt = [(rnd.random(), rnd.random()) for _ in range(n)]
for i in range(n):
    for j in range(i + 1, n):
        d = math.dist(pt[i], pt[j])
        print("h%d h%d %d" % (i + 1, j + 1, round(2 + 30 * d)))
PY
)
[ "${#delays[@]}" -eq $((N * (N - 1) / 2)) ] || rig_fail "latency matrix: ${#delays[@]} pairs"
rig_wan_delay_matrix < <(printf '%s\n' "${delays[@]}")
printf '  %s pairs, one-way %s..%s ms\n' "${#delays[@]}" \
    "$(printf '%s\n' "${delays[@]}" | awk '{print $3}' | sort -n | head -1)" \
    "$(printf '%s\n' "${delays[@]}" | awk '{print $3}' | sort -n | tail -1)" >&2

_measured() {   # HOST: all N-1 peers up with an RTT
    [ "$(rig_ctl_q "$1" --json peers |
        jq '[.peers[] | select(.state == "up" and .rtt_ms != null)] | length')" -eq $((N - 1)) ]
}

# _run SAMPLE: start, settle, check the records, measure; sets RUN_MEAN (ms) and
# RUN_HOPS (means over the N(N-1) lookups), stops the daemons.
GUESTS=""
_run() {
    local sample=$1 h t0 from to out sum=0 hops=0 k=0 lat hop host
    for h in "${hosts[@]}"; do
        sed -i "s/^ProximitySample = .*/ProximitySample = $sample/" "$(rig_host_conf "$h")"
        rig_daemon_start "$h"
    done
    for h in "${hosts[@]}"; do
        if [ -z "$GUESTS" ]; then
            rig_guest_create "$h" blue "g${h#h}" "$(ip_of "$h")" "$(mac_of "$h")"
        else
            out=$(rig_ctl "$h" attach blue "g-g${h#h}" --mac "$(mac_of "$h")" --name "g${h#h}" 2>&1) ||
                rig_fail "re-attach of g${h#h} on $h failed: $out"
            rig_guest_rarp "g${h#h}" "$(mac_of "$h")" >/dev/null
        fi
    done
    GUESTS=1
    t0=$SECONDS
    rig_poll 60 "one consistent ring of $N hosts" ring_check "${hosts[@]}"
    for h in "${hosts[@]}"; do rig_poll 30 "$h: $((N - 1)) links up with an RTT" _measured "$h"; done
    # Every guest's record is published (found from h1; lookups from the
    # other hosts reach the same owner).
    for to in "${hosts[@]:1}"; do
        rig_poll_quiet 20 ring_lookup_is h1 blue "$(mac_of "$to")" "$to" ||
            rig_fail "h1: lookup of $to's guest did not answer $to"
    done
    printf '  ProximitySample = %s: ready %ss after start\n' "$sample" "$((SECONDS - t0))" >&2
    for from in "${hosts[@]}"; do
        for to in "${hosts[@]}"; do
            [ "$from" = "$to" ] && continue
            out=$(rig_ctl_q "$from" --json lookup blue "$(mac_of "$to")") ||
                rig_fail "$from: lookup of $to's guest failed"
            read -r host lat hop < <(jq -r '"\(.host) \(.latency_ms) \(.hops)"' <<< "$out")
            [ "$host" = "$to" ] || rig_fail "$from: lookup of $to's guest answered $host"
            sum=$(awk -v s="$sum" -v l="$lat" 'BEGIN { printf "%.3f", s + l }')
            hops=$((hops + hop))
            k=$((k + 1))
        done
    done
    for h in "${hosts[@]}"; do rig_daemon_stop "$h" || rig_fail "overlayd of $h exited with an error"; done
    RUN_MEAN=$(awk -v s="$sum" -v k="$k" 'BEGIN { printf "%.2f", s / k }')
    RUN_HOPS=$(awk -v h="$hops" -v k="$k" 'BEGIN { printf "%.2f", h / k }')
}

rig_say "1. plain Chord (ProximitySample = 1)"
_run 1
plain=$RUN_MEAN plain_hops=$RUN_HOPS
rig_say "2. proximity (ProximitySample = 16)"
_run 16
prox=$RUN_MEAN prox_hops=$RUN_HOPS

printf '  mean lookup latency over %s lookups: plain %s ms (%s hops), proximity %s ms (%s hops)\n' \
    $((N * (N - 1))) "$plain" "$plain_hops" "$prox" "$prox_hops" >&2
gain=$(awk -v a="$plain" -v b="$prox" 'BEGIN { printf "%.2f", a - b }')
printf '  proximity saves %s ms a lookup (%s%%)\n' "$gain" \
    "$(awk -v a="$plain" -v g="$gain" 'BEGIN { printf "%.1f", 100 * g / a }')" >&2
awk -v g="$gain" -v m="$MARGIN_MS" 'BEGIN { exit !(g >= m) }' ||
    rig_fail "proximity saves $gain ms a lookup, less than $MARGIN_MS ms"
rig_pass
