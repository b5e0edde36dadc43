#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 11 — the Chord ring across RING_N hosts (default 8).
# Without an Authority (default): every host's only [Peer] with an Endpoint
# is h1; the other hosts' keys are listed without Endpoint (static admission
# needs both sides to know the keys; the endpoints come from the ring).
# With RING_AUTH=1 (12-ring-authority.sh): certificates from one authority,
# and h1 is every host's only [Peer] (h1 has none); every other host is
# found through the ring and linked on demand. Each host carries enclave
# blue with one guest attached with --mac. Idle links close after
# OVERLAYD_RING_IDLE_S=6 s.
#
# Asserts:
#  1. the `ring --json` views of all hosts form ONE consistent ring
#     (sorted ids: successors[0] is the next id, predecessor the previous);
#     status.ring_id equals ring.id (within 60 s, RING_FORM_S overrides);
#  2. `lookup blue MAC` of guests answers the right host from every host
#     (RING_LOOKUPS=K: of K random guests per host);
#  3. guests on random host pairs ping each other (links on demand);
#  4. idle links close and links stay O(log N): some link is closed as
#     idle, and within 60 s every host holds at most BOUND links up. A host
#     links only to its ring neighbours (predecessor, successor, fingers
#     beyond its successor list) and to hosts that chose it as theirs;
#     anything else travels relayed over those links
#     (overlayd/ring/ringd_relay.c). BOUND is 3*ceil(log2 N) (15 at
#     N = 24, a full mesh being 23), or N - 2 where that is not below a
#     full mesh (6 at N = 8, where a full mesh is 7). Without an Authority
#     h1, every host's configured [Peer] with an Endpoint, keeps all its
#     links by design (static admission) and is left out; the others
#     measured 2-5 at N = 8, and once 6 for the whole minute (links other
#     hosts opened to h2 during the ring's first 20 s, not yet idle).
#     RING_LINK_BOUND overrides. Guests are IPv4-only (ring_start_guests),
#     so the enclave stays quiet but for what the scenario sends;
#  4b. without an Authority: a guest ping between two hosts (not h1) that
#     are not ring neighbours of each other opens their link (peers --json:
#     up), which closes as idle ("idle link closed" in the log; the ring's
#     own traffic may open it again at once) within 46 s plus 4 idle
#     periods, times OVL_TIMEOUT_MULT: records are republished for 46 s
#     after a neighbour change (plan.h), and a link to their owner carries
#     those STOREs (measured 22-57 s; once over 120 s under ASan, not
#     traced);
#  5. after SIGKILL of RING_KILL daemons at once (default 2; 5 when N >= 24)
#     the survivors form one consistent ring again within 20 s; then every
#     survivor resolves every surviving guest (or RING_LOOKUPS random
#     ones), each lookup retried until it answers, and none may keep
#     failing for 30 s from its first try (the sweep itself takes longer
#     than that at 64 hosts: a lookup waits about a second for the owning
#     host's name); RING_HEAL_S and RING_LOOKUP_S override the two bounds
#     (the documented 200-host run). The time the sweep ended and how many
#     lookups needed a retry are printed.
#  6. the routed WAN (lib.sh): every host's neighbour table, after all that
#     traffic, holds only the router (permanent), the router one entry per
#     host;
#  7. no survivor refused anything on trust grounds: the eight trust
#     counters of `ring --json` stats are 0 (docs/security.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ring.sh"
. "$(dirname "$0")/lib-cert.sh"
rig_init
AUTH=${RING_AUTH:-0}

N=${RING_N:-8}
if [ "$N" -ge 24 ]; then KILL=${RING_KILL:-5}; else KILL=${RING_KILL:-2}; fi
HEAL_S=${RING_HEAL_S:-20}       # the survivors' ring views are consistent again
LOOKUP_S=${RING_LOOKUP_S:-30}   # no lookup of a surviving guest fails for longer
export OVERLAYD_RING_IDLE_S=6

rig_wan_create
hosts=()
[ "$AUTH" = 1 ] && cert_ca_init ring
for i in $(seq 1 "$N"); do
    rig_host_create "h$i" "$i"
    hosts+=("h$i")
    if [ "$AUTH" = 1 ]; then
        cert_issue ring "h$i" "h$i" "$(rig_host_pubkey "h$i")" '*' 1d
        cert_host_authority "h$i" ring
    fi
done
for i in $(seq 2 "$N"); do rig_host_peer "h$i" h1; done
if [ "$AUTH" != 1 ]; then
    for a in "${hosts[@]}"; do
        for b in "${hosts[@]}"; do
            [ "$a" = "$b" ] || [ "$b" = h1 ] && continue
            ring_host_keys_only "$a" "$b"
        done
    done
fi
for h in "${hosts[@]}"; do rig_enclave "$h" blue 100; done

mac_of() { printf '52:54:00:00:01:%02x' "${1#h}"; }
ip_of() { printf '10.100.0.%s' "${1#h}"; }

ring_start_guests "${hosts[@]}"

rig_say "1. one consistent ring"
t0=$SECONDS
rig_poll "${RING_FORM_S:-60}" "the ring views of all $N hosts form one consistent ring" ring_check "${hosts[@]}"
printf '  ok: one consistent ring of %s hosts after %ss\n' "$N" "$((SECONDS - t0))" >&2
for h in h1 "h$N"; do
    rig_assert_eq "$(rig_ctl_q "$h" --json status | jq -r .ring_id)" \
        "$(ring_view "$h" | jq -r .id)" "$h: status.ring_id = ring.id"
done
ring_view h1 | jq -e '.id | test("^[0-9a-f]{32}$")' >/dev/null || rig_fail "ring.id is not 32 hex digits"
rig_ctl h1 ring >&2

rig_say "2. lookups through the ring"
rig_poll 20 "h1 finds the guest of h$N" ring_lookup_is h1 blue "$(mac_of "h$N")" "h$N"
# Every host checks every guest, 8 hosts at a time (N^2 lookups one after
# the other take many minutes at 64 hosts; all hosts at once load a 2-core
# machine so much that lookups time out).
_resolves_all() {
    local from=$1 to
    for to in "$@"; do
        rig_poll_quiet 15 ring_lookup_is "$from" blue "$(mac_of "$to")" "$to" 2>/dev/null ||
            { echo "$from: lookup of $to's guest" >> "$RIG_DIR/lookup-fail"; return 1; }
    done
}
# RING_LOOKUPS=K: each host checks K random guests instead (the 200-host run).
_running() {
    local p n=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
    printf '%s' "$n"
}
pids=()
for from in "${hosts[@]}"; do
    while [ "$(_running "${pids[@]}")" -ge 8 ]; do sleep 0.2; done
    if [ -n "${RING_LOOKUPS:-}" ]; then
        mapfile -t sample < <(printf '%s\n' "${hosts[@]}" | shuf -n "$RING_LOOKUPS")
        _resolves_all "$from" "${sample[@]}" &
    else
        _resolves_all "$from" "${hosts[@]}" &
    fi
    pids+=($!)
done
wait "${pids[@]}" || true
[ ! -s "$RIG_DIR/lookup-fail" ] || rig_fail "lookups failed: $(tr '\n' ' ' < "$RIG_DIR/lookup-fail")"
printf '  ok: every host resolves %s guest MACs to their hosts\n' "${RING_LOOKUPS:-all $N}" >&2
rig_ctl "h2" lookup blue "$(mac_of h3)" >&2
out=$(rig_ctl_q h2 --json lookup blue 52:54:00:99:99:99 2>&1) && rig_fail "lookup of an unknown MAC succeeded"
rig_assert "unknown MAC: 'no record'" grep -q "no record for 52:54:00:99:99:99 in blue" <<<"$out"
rig_assert_fails "lookup in an unknown enclave" rig_ctl_q h2 lookup red "$(mac_of h3)"

rig_say "3. guests on random host pairs ping"
_ping1() { ip netns exec "$(rig_ns "$1")" ping -n -q -c 1 -W 1 "$2" >/dev/null; }
for k in 1 2 3 4; do
    a=$((RANDOM % N + 1)); b=$((RANDOM % N + 1))
    [ "$a" = "$b" ] && b=$((a % N + 1))
    rig_poll 20 "g$a pings g$b" _ping1 "g$a" "$(ip_of "h$b")"
    rig_ping "g$a" "$(ip_of "h$b")"
    printf '  ok: g%s <-> g%s\n' "$a" "$b" >&2
done

rig_say "4. idle links close: O(log N) links per host"
BOUND=$((3 * $(ring_log2_ceil "$N")))
[ "$BOUND" -lt $((N - 1)) ] || BOUND=$((N - 2))
BOUND=${RING_LINK_BOUND:-$BOUND}
[ "$BOUND" -lt $((N - 1)) ] || rig_fail "link bound $BOUND cannot fail at N=$N (a full mesh is $((N - 1)))"
bounded=("${hosts[@]}")
[ "$AUTH" = 1 ] || bounded=("${hosts[@]:1}")
_links_bounded() {
    local h
    for h in "${bounded[@]}"; do
        [ "$(ring_links_up "$h")" -le "$BOUND" ] || return 1
    done
}
# The mechanism must have run: links learned through the ring were closed.
_idle_closed() { grep -q "idle link closed" "$RIG_DIR"/h*/overlayd.log; }
rig_poll 30 "some idle link was closed" _idle_closed
t0=$SECONDS
within=0
rig_poll_quiet 60 _links_bounded && within=1
counts=""
for h in "${hosts[@]}"; do counts+="$h=$(ring_links_up "$h") "; done
[ "$within" = 1 ] || rig_fail "after 60 s some host has more than $BOUND links up: $counts"
printf '  ok: links up after %ss (bound %s for N=%s%s): %s\n' "$((SECONDS - t0))" \
    "$BOUND" "$N" "$([ "$AUTH" = 1 ] || echo ', h1 excluded')" "$counts" >&2

if [ "$AUTH" != 1 ]; then
    rig_say "4b. without an Authority: a link opened for a guest ping closes when idle"
    # Two hosts other than h1 that are not ring neighbours of each other.
    declare -A nbs=()
    for h in "${hosts[@]:1}"; do nbs[$h]=" $(ring_neighbours "$h" | tr '\n' ' ') "; done
    _state_not_up() { [ "$(rig_peer_state "$1" "$2")" != up ]; }
    _state_up() { [ "$(rig_peer_state "$1" "$2")" = up ]; }
    # A pair with no link now if there is one: step 3's pings may have
    # opened some, and those take up to 20 idle periods to close.
    pa="" pb=""
    for a in "${hosts[@]:1}"; do
        for b in "${hosts[@]:1}"; do
            [ "$a" != "$b" ] && [[ "${nbs[$a]}" != *" $b "* ]] && [[ "${nbs[$b]}" != *" $a "* ]] \
                || continue
            [ -n "$pa" ] || { pa=$a pb=$b; }
            if _state_not_up "$a" "$b" && _state_not_up "$b" "$a"; then pa=$a pb=$b; break 2; fi
        done
    done
    [ -n "$pa" ] || rig_fail "no two hosts that are not ring neighbours: $(declare -p nbs)"
    printf '  %s: neighbours%s; %s: neighbours%s\n' "$pa" "${nbs[$pa]}" "$pb" "${nbs[$pb]}" >&2
    rig_poll $((20 * OVERLAYD_RING_IDLE_S)) "$pa's link to $pb (not a neighbour) is not up before the ping" \
        _state_not_up "$pa" "$pb"
    closed0=$(grep -cF "$pb: idle link closed" "$(rig_host_dir "$pa")/overlayd.log" || true)
    rig_ping "g${pa#h}" "$(ip_of "$pb")"
    rig_poll 5 "$pa's link to $pb is up after the ping" _state_up "$pa" "$pb"
    t0=$SECONDS
    # The close, as logged: the ring's own traffic (an iterative lookup,
    # a record's republish) may open the link again at once, so a poll of
    # its state can miss the moment it was down.
    _closed_logged() {
        [ "$(grep -cF "$pb: idle link closed" "$(rig_host_dir "$pa")/overlayd.log")" -gt "$closed0" ]
    }
    # Records are republished 1, 3, 6, 12 and 24 s after a neighbour
    # change (plan.h): their STOREs keep a link to the records' owner in
    # use for 46 s, then it needs a few idle periods; the bound is the 20
    # idle periods the README states (46 s + 4 periods, 70 s, was missed
    # once on a loaded CI machine; 57 s measured once before).
    CLOSE_S=$((20 * OVERLAYD_RING_IDLE_S * ${OVL_TIMEOUT_MULT:-1}))
    rig_poll "$CLOSE_S" "$pa's link to $pb closes as idle" _closed_logged
    printf '  ok: %s-%s link closed as idle %ss after the ping, without an Authority\n' \
        "$pa" "$pb" "$((SECONDS - t0))" >&2
fi

# For the record (docs/routing.md's runs at scale): each daemon's resident memory.
rss=$(for h in "${hosts[@]}"; do awk '/^VmRSS/ {print $2}' "/proc/${RIG_DAEMON_PID[$h]}/status"; done |
    sort -n | awk '{a[NR] = $1} END {printf "min %d, median %d, max %d KiB", a[1], a[int((NR + 1) / 2)], a[NR]}')
printf '  daemon memory (VmRSS): %s\n' "$rss" >&2

rig_say "5. SIGKILL $KILL daemons at once; the ring heals"
mapfile -t victims < <(printf '%s\n' "${hosts[@]:1}" | shuf -n "$KILL")
survivors=()
for h in "${hosts[@]}"; do
    [[ " ${victims[*]} " == *" $h "* ]] || survivors+=("$h")
done
for h in "${victims[@]}"; do
    rig_run kill -KILL "${RIG_DAEMON_PID[$h]}"
done
for h in "${victims[@]}"; do
    wait "${RIG_DAEMON_PID[$h]}" 2>/dev/null || true
    unset "RIG_DAEMON_PID[$h]"
done
t0=$SECONDS
rig_poll "$HEAL_S" "survivors (${survivors[*]}) form one consistent ring within ${HEAL_S}s" \
    ring_check "${survivors[@]}"
printf '  ok: ring of %s survivors consistent %ss after the kill\n' "${#survivors[@]}" "$((SECONDS - t0))" >&2
# Every survivor checks all surviving guests (RING_LOOKUPS: that many
# random ones), each guest until it resolves or the bound passes, 16
# survivors at a time (a sequential sweep of N^2 lookups would itself take
# most of the bound; all at once overload a 2-core machine at 64 hosts).
_lookups_from() {
    local from=$1 to targets t1
    mapfile -t targets < <(printf '%s\n' "${survivors[@]}" | shuf -n "${RING_LOOKUPS:-${#survivors[@]}}")
    for to in "${targets[@]}"; do
        t1=$SECONDS
        until ring_lookup_is "$from" blue "$(mac_of "$to")" "$to" 2>"$RIG_DIR/lookup-$from.err"; do
            echo "$from $to" >> "$RIG_DIR/lookup-retried"
            if [ $((SECONDS - t1)) -ge "$LOOKUP_S" ]; then
                printf '%s: %s\n' "$to" "$(tail -1 "$RIG_DIR/lookup-$from.err")" >&2
                # What the asker knew, for the record (RIG_KEEP_DIR=1 keeps it).
                for c in ring status peers; do
                    rig_ctl_q "$from" --json "$c" > "$RIG_DIR/diag-$from-$c.json" 2>&1
                done
                return 1
            fi
            sleep 0.5
        done
    done
}
pids=()
for from in "${survivors[@]}"; do
    while [ "$(_running "${pids[@]}")" -ge 16 ]; do sleep 0.2; done
    _lookups_from "$from" &
    pids+=($!)
done
failed=()
for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=("${survivors[$i]}"); done
[ ${#failed[@]} -eq 0 ] || rig_fail "lookups still failing ${LOOKUP_S}s after their first try, from: ${failed[*]}"
retried=0
[ ! -f "$RIG_DIR/lookup-retried" ] || retried=$(sort -u "$RIG_DIR/lookup-retried" | wc -l)
printf '  ok: every lookup answered (%s of them after a retry; none failed for %ss); the last sweep ended %ss after the kill\n' \
    "$retried" "$LOOKUP_S" \
    "$((SECONDS - t0))" >&2

rig_say "6. the routed WAN: every host's only neighbour is the router"
rig_in h1 ip neigh show >&2
for h in "${hosts[@]}"; do
    rig_assert "$h's neighbours are only the router, permanent" rig_wan_neigh_only_router "$h"
done
wan_neigh=$(ip -n "$(rig_ns wan)" -j neigh show)
rig_assert_eq "$(jq '[.[] | select(.state | index("PERMANENT"))] | length' <<<"$wan_neigh")" "$N" \
    "the router's permanent neighbour entries (one per host)"
rig_assert_eq "$(jq 'length' <<<"$wan_neigh")" "$N" "the router's neighbour entries"

rig_say "7. an honest ring refuses nothing on trust grounds (docs/security.md)"
trust='.stats | [.msgs_bad_host, .recs_bad_host, .recs_bad_seq, .recs_bad_ttl,
    .recs_from_noncarrier, .recs_quota, .gets_rejected, .probe_owner_noncarrier]'
# ... nor a relayed message: every envelope opens, none is taken for a replay.
delivered=0
for h in "${survivors[@]}"; do
    rig_assert_eq "$(ring_view "$h" | jq -c "$trust")" "[0,0,0,0,0,0,0,0]" \
        "$h: trust refusals (msgs_bad_host .. probe_owner_noncarrier)"
    st=$(rig_ctl "$h" --json status)
    rig_assert_eq "$(jq -c '[.counters.drop_relay_refused, .counters.drop_relay_replay]' <<<"$st")" \
        "[0,0]" "$h: relayed ring messages refused (drop_relay_refused, drop_relay_replay)"
    delivered=$((delivered + $(ring_view "$h" | jq '.stats.relay_delivered')))
done
printf '  relayed ring messages delivered, all hosts: %s\n' "$delivered" >&2
rig_pass
