#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 19 — a WAN partition splits the ring; the halves live on their
# own; the heal must make it one ring again.
#
# PART_N (or RING_N) hosts (default 32) with certificates from one authority, each
# knowing only h1 as its [Peer] (as 12-ring-authority.sh), enclave blue with
# one IPv4-only guest per host. Half A is h1..h(N/2) (with h1, everyone's
# bootstrap), half B the rest; ring ids come from the keys, so the halves
# interleave on the ring. The router drops everything between the halves
# (rig_wan_split: nft in the router namespace only) for SPLIT_S (default 45)
# seconds, then the split is healed.
#
# Asserts:
#  1. the ring views of all hosts form one consistent ring (ring_check);
#     control: the guest pairs of 5. ping each other before the split;
#  2. the split holds: the router drops packets between the halves and a
#     guest ping across the split fails;
#  3. within PART_S (default 40) s of the split each half is one consistent
#     ring on its own: sorted by id within the half, every host's
#     successors[0] is the next host of its half, its predecessor the
#     previous one (the time each half took is printed), and both halves are
#     still consistent when the split ends (inconsistent observations after
#     that point are counted and printed);
#  4. within MERGE_S (default 60) s of the heal the views of all hosts form
#     one consistent ring again (the time is printed; the issue expects 5-9 s
#     with static neighbour entries);
#  5. lookups across the former split: within LOOKUP_S (default 45) s of the
#     merge every host resolves a guest MAC of the other half to its host
#     (checked in parallel per host), and guests ping across it (both ways,
#     h1's half included and excluded).
#
# A guest's broadcast (its ARP request) travels the broadcast tree over
# the links that are up (docs/design.md, "Broadcasts"); ping_pair prints
# both hosts' blue links when a ping fails, and the control pings before
# the split tell a daemon problem apart from damage done by the partition.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ring.sh"
. "$(dirname "$0")/lib-cert.sh"
rig_init nft

N=${PART_N:-${RING_N:-32}}
[ "$N" -ge 4 ] && [ "$N" -le 254 ] || rig_fail "RING_N must be in 4..254 (two hosts per half; guests in one /24)"
SPLIT_S=${SPLIT_S:-45}
PART_S=${PART_S:-40}
MERGE_S=${MERGE_S:-60}
LOOKUP_S=${LOOKUP_S:-45}
[ "$PART_S" -lt "$SPLIT_S" ] || rig_fail "PART_S ($PART_S) must be below SPLIT_S ($SPLIT_S)"
export OVERLAYD_RING_IDLE_S=${OVERLAYD_RING_IDLE_S:-6}

rig_wan_create
hosts=()
cert_ca_init ring
for i in $(seq 1 "$N"); do
    rig_host_create "h$i" "$i"
    hosts+=("h$i")
    cert_issue ring "h$i" "h$i" "$(rig_host_pubkey "h$i")" '*' 1d
    cert_host_authority "h$i" ring
done
for i in $(seq 2 "$N"); do rig_host_peer "h$i" h1; done
for h in "${hosts[@]}"; do rig_enclave "$h" blue 100; done
half_a=("${hosts[@]:0:N/2}")
half_b=("${hosts[@]:N/2}")

mac_of() { printf '52:54:00:00:01:%02x' "${1#h}"; }
ip_of() { printf '10.100.0.%s' "${1#h}"; }

ring_start_guests "${hosts[@]}"

_ping1() { ip netns exec "$(rig_ns "$1")" ping -n -q -c 1 -W 1 "$2" >/dev/null; }
# The guest pairs that ping across the split (A B: gA pings gB): both ways,
# with h1's half and without.
ping_pairs=("2 $N" "$N 2" "1 $((N / 2 + 1))" "$((N - 1)) $((N / 2))")
# ping_pair A B WHEN: gA pings gB within 20 s, then 3 of 3; on failure say
# which hosts A's host links to for blue (a guest's ARP broadcast reaches
# those only: the up links, and the links the flood opens to the hosts the
# ring's membership records name).
ping_pair() {
    local a=$1 b=$2 when=$3
    if ! rig_poll_quiet 20 _ping1 "g$a" "$(ip_of "h$b")"; then
        printf '  h%s links up for blue: %s\n' "$a" \
            "$(rig_ctl_q "h$a" --json enclaves | jq -c '[.enclaves[] | select(.name == "blue") | .hosts[]]')" >&2
        printf '  h%s links up for blue: %s\n' "$b" \
            "$(rig_ctl_q "h$b" --json enclaves | jq -c '[.enclaves[] | select(.name == "blue") | .hosts[]]')" >&2
        rig_ctl "h$a" lookup blue "$(mac_of "h$b")" >&2 || true
        rig_fail "$when: g$a does not ping g$b within 20 s"
    fi
    rig_ping "g$a" "$(ip_of "h$b")"
    printf '  ok (%s): g%s -> g%s\n' "$when" "$a" "$b" >&2
}

rig_say "1. one consistent ring of $N hosts"
t0=$SECONDS
rig_poll 90 "the ring views of all $N hosts form one consistent ring" ring_check "${hosts[@]}"
t_ring=$((SECONDS - t0))
printf '  ok: one consistent ring of %s hosts after %ss\n' "$N" "$t_ring" >&2
# Records in place before the split: h1 resolves a guest of each half.
rig_poll 20 "h1 finds the guest of h$N" ring_lookup_is h1 blue "$(mac_of "h$N")" "h$N"
rig_poll 20 "h$N finds the guest of h2" ring_lookup_is "h$N" blue "$(mac_of h2)" h2

# Control: the pairs that must ping after the heal ping before the split.
for pair in "${ping_pairs[@]}"; do
    read -r a b <<<"$pair"
    ping_pair "$a" "$b" "before the split"
done

rig_say "2. split the WAN: {h1..h$((N / 2))} | {h$((N / 2 + 1))..h$N} for ${SPLIT_S}s"
drop0=$(rig_wan_dropped)
rig_wan_split "${half_a[@]}" -- "${half_b[@]}"
t_split=$SECONDS
# Control: the split holds (its own packets count as drops).
rig_ping_fails g2 "$(ip_of "h$N")"
drops=$(rig_wan_dropped)
[ "$drops" -gt "$drop0" ] || rig_fail "the router dropped nothing across the split ($drops packets)"
printf '  ok: ping g2 -> g%s fails across the split; the router dropped %s packets\n' "$N" "$drops" >&2

rig_say "3. each half becomes one consistent ring on its own"
t_a="" t_b=""
while [ -z "$t_a" ] || [ -z "$t_b" ]; do
    [ -n "$t_a" ] || { ring_check "${half_a[@]}" 2>/dev/null && t_a=$((SECONDS - t_split)); } || true
    [ -n "$t_b" ] || { ring_check "${half_b[@]}" 2>/dev/null && t_b=$((SECONDS - t_split)); } || true
    [ -n "$t_a" ] && [ -n "$t_b" ] && break
    if [ $((SECONDS - t_split)) -ge "$PART_S" ]; then
        for half in a b; do
            declare -n hv="half_$half"
            printf '  half %s:\n' "$half" >&2
            ring_summary "${hv[@]}" >&2
            ring_check "${hv[@]}" || true
        done
        rig_fail "within ${PART_S}s of the split: half A consistent after ${t_a:-never}s, half B after ${t_b:-never}s"
    fi
    sleep 0.5
done
printf '  ok: half A (%s hosts, with h1) one consistent ring %ss after the split\n' "${#half_a[@]}" "$t_a" >&2
printf '  ok: half B (%s hosts, without h1) one consistent ring %ss after the split\n' "${#half_b[@]}" "$t_b" >&2
ring_summary "${hosts[@]}" >&2
# The split lasts SPLIT_S in all; meanwhile the halves are watched (each
# observation is a sweep of `ring --json` over all hosts, a few seconds on
# a loaded machine); the last one, ending 0-6 s before the heal, must find
# both consistent. The rest is the split's own duration, not a readiness
# wait.
flaps=0 last=1
while [ $((SECONDS - t_split)) -lt $((SPLIT_S - 6)) ]; do
    if ring_check "${half_a[@]}" 2>/dev/null && ring_check "${half_b[@]}" 2>/dev/null; then
        last=1
    else
        last=0 flaps=$((flaps + 1))
    fi
    sleep 0.5
done
if [ "$last" != 1 ]; then
    ring_summary "${hosts[@]}" >&2
    ring_check "${half_a[@]}" || true
    ring_check "${half_b[@]}" || true
    rig_fail "the halves were not both consistent rings at the end of the split"
fi
printf '  ok: both halves consistent at the end of the split (%s inconsistent observations after they first were)\n' \
    "$flaps" >&2
while [ $((SECONDS - t_split)) -lt "$SPLIT_S" ]; do sleep 0.2; done

rig_say "4. heal: one consistent ring of all $N hosts"
rig_wan_heal
t_heal=$SECONDS
printf '  the split lasted %ss\n' "$((t_heal - t_split))" >&2
if ! rig_poll_quiet "$MERGE_S" ring_check "${hosts[@]}"; then
    ring_summary "${hosts[@]}" >&2
    ring_check "${hosts[@]}" || true
    for half in a b; do
        declare -n hv="half_$half"
        ring_check "${hv[@]}" 2>/dev/null && printf '  half %s is still one consistent ring of its own\n' "$half" >&2
    done
    rig_fail "no single consistent ring within ${MERGE_S}s of the heal"
fi
t_merge=$((SECONDS - t_heal))
printf '  ok: one consistent ring of %s hosts %ss after the heal (issue: 5-9 s; bound %ss)\n' \
    "$N" "$t_merge" "$MERGE_S" >&2

rig_say "5. lookups and pings across the former split"
# Host i of one half resolves the guest of host i of the other half, and
# back. One sweep at a time over the pairs still failing (not one poller per
# pair: 2 cores), until none is left or LOOKUP_S have passed.
t0=$SECONDS
pending=()
for i in "${!half_a[@]}"; do
    a=${half_a[$i]} b=${half_b[$((i % ${#half_b[@]}))]}
    pending+=("$a $b" "$b $a")
done
npairs=${#pending[@]}
rig_log "poll (${LOOKUP_S}s): lookups of the other half's guest from every host"
while :; do
    left=()
    for pair in "${pending[@]}"; do
        read -r a b <<<"$pair"
        ring_lookup_is "$a" blue "$(mac_of "$b")" "$b" 2>/dev/null || left+=("$pair")
    done
    pending=("${left[@]}")
    [ ${#pending[@]} -gt 0 ] || break
    if [ $((SECONDS - t0)) -ge "$LOOKUP_S" ]; then
        for pair in "${pending[@]:0:6}"; do
            read -r a b <<<"$pair"
            printf '  %s: lookup blue %s (guest of %s): %s\n' "$a" "$(mac_of "$b")" "$b" \
                "$(rig_ctl_q "$a" --json lookup blue "$(mac_of "$b")" 2>&1 | tr '\n' ' ')" >&2
        done
        ring_summary "${hosts[@]}" >&2
        rig_fail "within ${LOOKUP_S}s of the merge ${#pending[@]} of $npairs lookups across the former split still fail: $(printf '%s; ' "${pending[@]/ /->}")"
    fi
    sleep 0.5
done
t_lookup=$((SECONDS - t0))
printf '  ok: %s lookups across the former split answer the right host %ss after the merge\n' \
    "$npairs" "$t_lookup" >&2
rig_ctl h2 lookup blue "$(mac_of "h$N")" >&2
for pair in "${ping_pairs[@]}"; do
    read -r a b <<<"$pair"
    ping_pair "$a" "$b" "after the heal"
done
printf '  figures (N=%s, split %ss): one ring %ss after the daemons started; halves consistent A %ss, B %ss after the split; one ring %ss after the heal; lookups across %ss after that\n' \
    "$N" "$((t_heal - t_split))" "$t_ring" "$t_a" "$t_b" "$t_merge" "$t_lookup" >&2
rig_pass
