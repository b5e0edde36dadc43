#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 28 — along the ring (docs/paths.md, "Along the ring"): six
# hosts in a full mesh of [Peer]s, but the WAN carries only the pairs that
# are neighbours in ring-id order (x0-x1, x1-x2, ..., x5-x0); every other
# pair is cut from the start. No host sends REPORTs
# (OVERLAYD_DETOUR_REPORTS=0), so no detour exists: x0 and x3, opposite on
# the ring, can reach each other only hop by hop along it. Blue is on x0
# and x3 only: the relays carry no enclave.
#  1. x0's guest pings x3's guest (polled; the time is printed);
#  2. x0 reaches x3 via its ring neighbour, and x3 reaches x0 via one of
#     its own; x0 shows x3 `up` (heard through the ring); x0, x3 and at least one of the hosts between them counted
#     ring hops (`detour_ring`); nothing was refused as spoofed;
#  3. a full-size (1418-byte, DF) guest ping crosses the three links too.
. "$(dirname "$0")/lib.sh"
rig_init

N=6
export OVERLAYD_DETOUR_REPORTS=0

rig_wan_create
hosts=()
for i in $(seq 1 "$N"); do
    rig_host_create "h$i" "$i"
    hosts+=("h$i")
done
rig_mesh "${hosts[@]}"

# Ring order: the ring id is BLAKE2b-128("overlayd ring id v1" || public
# key) (crypto/ringid.c); the path choice compares its first 64 bits.
mapfile -t x < <(for h in "${hosts[@]}"; do printf '%s %s\n' "$h" "$(rig_host_pubkey "$h")"; done |
    "$RIG_PYTHON" -c '
import base64, hashlib, sys
rows = []
for line in sys.stdin:
    h, pub = line.split()
    rid = hashlib.blake2b(b"overlayd ring id v1" + base64.b64decode(pub), digest_size=16).hexdigest()
    rows.append((rid, h))
for rid, h in sorted(rows):
    print(h)')
[ "${#x[@]}" -eq "$N" ] || rig_fail "ring order of $N hosts: got ${x[*]}"
printf '  ring order: %s\n' "${x[*]}" >&2
for i in $(seq 0 $((N - 1))); do
    for j in $(seq $((i + 1)) $((N - 1))); do
        [ $((j - i)) -eq 1 ] || [ $((j - i)) -eq $((N - 1)) ] || rig_wan_cut_pair "${x[$i]}" "${x[$j]}"
    done
done
a=${x[0]} b=${x[3]}
for h in "$a" "$b"; do rig_enclave "$h" blue 100; done
for h in "${hosts[@]}"; do rig_daemon_start "$h"; done
rig_guest_create "$a" blue ga 10.100.0.1 52:54:00:00:01:01
rig_guest_create "$b" blue gb 10.100.0.2 52:54:00:00:01:02

_via() { rig_ctl_q "$1" --json peers | jq -r --arg n "$2" '.peers[] | select(.name == $n) | .via // "direct"'; }
_via_in() { local v; v=$(_via "$1" "$2"); [[ " $3 " == *" $v "* ]]; }
_pings() { rig_in "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1; }

rig_say "1. $a and $b, opposite on the ring with no direct path and no detour: ping"
t0=$SECONDS
rig_poll 60 "ga ($a) pings gb ($b) along the ring" _pings ga 10.100.0.2
printf '  ga -> gb answered %ss after the guests came up\n' "$((SECONDS - t0))" >&2
rig_ctl "$a" peers >&2

rig_say "2. the path: ring hops at both ends"
rig_poll 10 "$a reaches $b via a ring neighbour (${x[1]} or ${x[5]})" _via_in "$a" "$b" "${x[1]} ${x[5]}"
rig_poll 10 "$b reaches $a via a ring neighbour (${x[2]} or ${x[4]})" _via_in "$b" "$a" "${x[2]} ${x[4]}"
rig_assert_eq "$(rig_peer_state "$a" "$b")" up "$a: $b's state (heard through the ring)"
grep -F "$b: along the ring through" "$(rig_host_dir "$a")/overlayd.log" >&2 ||
    rig_fail "$a did not log its ring path to $b"
for h in "$a" "$b"; do
    [ "$(rig_counter "$h" detour_ring)" -gt 0 ] || rig_fail "$h counted no ring hop"
done
mid=0
for h in "${x[1]}" "${x[2]}" "${x[4]}" "${x[5]}"; do
    n=$(rig_counter "$h" detour_ring)
    printf '  %s: detour_ring %s, detour_relayed %s\n' "$h" "$n" "$(rig_counter "$h" detour_relayed)" >&2
    mid=$((mid + n))
done
[ "$mid" -gt 0 ] || rig_fail "no host between $a and $b passed a packet on as a ring hop"
for h in "${hosts[@]}"; do
    [ "$(rig_counter "$h" drop_detour_spoof)" -eq 0 ] || rig_fail "$h dropped a relayed packet as spoofed"
done

rig_say "3. a full-size frame crosses too"
rig_poll 10 "a 1418-byte DF ping crosses the ring path" \
    rig_in ga ping -n -q -c 1 -W 2 -M do -s 1390 10.100.0.2
rig_pass
