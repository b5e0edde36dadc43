#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 22 — the WAN impairments of lib-wan.sh, checked with real pings
# between the WAN addresses of three hosts h1, h2, h3 on the routed WAN (no
# daemon runs: the hosts are plain namespaces; rig_host_create still writes
# a key and a config for each, unused). Bounds are generous; the figures
# are printed.
#
# Asserts:
#  1. control: h1 pings h2 and h3, none lost, median RTT below 10 ms;
#  2. delay: rig_wan_delay_both h1 h3 40 — h1 -> h3 RTT at least 75 ms,
#     median at most 120 ms, replies in order (no jitter: the delayer keeps
#     each pair's order), h3 -> h1 the same; h1 -> h2 and h2 -> h3 stay
#     below 10 ms; after rig_wan_undelay h3 h1 only h1 -> h3 is held: RTT
#     35..80 ms;
#  3. jitter: rig_wan_delay_both h1 h3 40 20 — RTT at least 38 ms (each way
#     at least 20), spread (max - min) at least 20 ms and standard deviation
#     at least 5 ms over 30 pings;
#  4. loss: delays ended; rig_wan_loss h1 h3 50 — 30..70 % of 200 pings
#     h1 -> h3 lost; none of 40 h1 -> h2; rig_wan_loss h1 h3 0: none of 40
#     lost;
#  5. pair cut: rig_wan_cut_pair h1 h3 — h1 <-> h3 fails both ways while
#     h1 <-> h2 and h2 <-> h3 ping, and the router's drop counter grows;
#     rig_wan_uncut_pair: h1 <-> h3 pings again;
#  6. clear: with a delay, 100 % loss and a pair cut (h2, h3) in place,
#     rig_wan_clear: every pair pings, none lost, below 10 ms; the delayer
#     still runs.
. "$(dirname "$0")/lib.sh"
rig_init nft
rig_wan_create
rig_wan_delay_check
for i in 1 2 3; do rig_host_create "h$i" "$i"; done

# rtt FROM TO COUNT INTERVAL: ping TO's WAN address from host FROM; prints
# "SENT RECEIVED MIN MEDIAN MAX SD REORDERED" (times in ms; SD the standard
# deviation; REORDERED how many replies came after one with a higher
# icmp_seq).
rtt() {
    local from=$1 to=$2 n=$3 i=$4
    rig_log "[$(rig_ns "$from")] ping -n -c $n -i $i -W 2 $(rig_host_addr "$to")"
    # One awk for the figures: on a loaded machine every process spawned
    # costs more than the pings themselves.
    { ip netns exec "$(rig_ns "$from")" ping -n -c "$n" -i "$i" -W 2 "$(rig_host_addr "$to")" || true; } |
    awk -v n="$n" 'BEGIN { k = 0; r = 0 }
        / time=/ {
            seq = $0; sub(/.*icmp_seq=/, "", seq); seq += 0
            if (k > 0 && seq < last) r++
            last = seq
            t = $0; sub(/.* time=/, "", t); t += 0
            # insertion sort: at most a few hundred replies
            for (j = k; j > 0 && v[j - 1] > t; j--) v[j] = v[j - 1]
            v[j] = t; k++; s += t; q += t * t
        }
        END {
            if (k == 0) { printf "%d 0 0 0 0 0 0\n", n; exit }
            m = s / k; var = q / k - m * m; if (var < 0) var = 0
            med = (k % 2) ? v[(k - 1) / 2] : (v[k / 2 - 1] + v[k / 2]) / 2
            printf "%d %d %.1f %.1f %.1f %.1f %d\n", n, k, v[0], med, v[k - 1], sqrt(var), r + 0
        }'
}

# holds DESC EXPR (awk, over the variables below): the assertion, with the figures.
holds() {
    local desc=$1 expr=$2
    awk -v sent="$sent" -v recv="$recv" -v min="$min" -v med="$med" -v max="$max" -v sd="$sd" \
        -v reord="$reord" "BEGIN { exit !($expr) }" \
        || rig_fail "$desc: $expr does not hold (sent $sent, received $recv, min $min, median $med, max $max, sd $sd, reordered $reord)"
    printf '  ok: %s (%s)\n' "$desc" "$expr" >&2
}

# measure FROM TO COUNT INTERVAL: rtt into sent recv min med max sd reord,
# and print them.
measure() {
    read -r sent recv min med max sd reord < <(rtt "$@")
    printf '  %s -> %s: %s/%s replies, RTT min %s median %s max %s ms, sd %s ms, %s reordered\n' \
        "$1" "$2" "$recv" "$sent" "$min" "$med" "$max" "$sd" "$reord" >&2
}

rig_say "1. control: no impairment"
measure h1 h2 10 0.05
holds "h1 -> h2 fast, none lost" "recv == sent && med < 10"
measure h1 h3 10 0.05
holds "h1 -> h3 fast, none lost" "recv == sent && med < 10"

rig_say "2. delay: 40 ms each way between h1 and h3"
rig_wan_delay_both h1 h3 40
measure h1 h3 20 0.01
holds "h1 -> h3 RTT about 80 ms, in order" "recv == sent && min >= 75 && med <= 120 && reord == 0"
spread0=$(awk -v a="$max" -v b="$min" 'BEGIN { printf "%.1f", a - b }')
measure h3 h1 10 0.05
holds "h3 -> h1 RTT about 80 ms" "recv == sent && min >= 75 && med <= 120"
measure h1 h2 10 0.05
holds "h1 -> h2 still fast" "recv == sent && med < 10"
measure h2 h3 10 0.05
holds "h2 -> h3 still fast" "recv == sent && med < 10"
rig_wan_undelay h3 h1
measure h1 h3 10 0.05
holds "only h1 -> h3 held: RTT about 40 ms" "recv == sent && min >= 35 && med <= 80"

rig_say "3. jitter: 40 +- 20 ms each way between h1 and h3"
rig_wan_delay_both h1 h3 40 20
measure h1 h3 30 0.01
holds "h1 -> h3 RTT spreads" "recv == sent && min >= 38 && max - min >= 20 && sd >= 5"
printf '  spread without jitter %s ms, with jitter %s ms\n' "$spread0" \
    "$(awk -v a="$max" -v b="$min" 'BEGIN { printf "%.1f", a - b }')" >&2

rig_say "4. loss: 50 % h1 -> h3"
rig_wan_undelay h1 h3
rig_wan_undelay h3 h1
rig_wan_loss h1 h3 50
measure h1 h3 200 0.01
holds "about half of h1 -> h3 lost" "recv >= 0.3 * sent && recv <= 0.7 * sent"
printf '  lost %s of %s (%s %%)\n' "$((sent - recv))" "$sent" "$(((sent - recv) * 100 / sent))" >&2
measure h1 h2 40 0.01
holds "h1 -> h2 loses nothing" "recv == sent"
rig_wan_loss h1 h3 0
measure h1 h3 40 0.01
holds "loss 0: h1 -> h3 loses nothing" "recv == sent && med < 10"

rig_say "5. pair cut h1 | h3"
drop0=$(rig_wan_dropped)
rig_wan_cut_pair h1 h3
rig_ping_fails h1 "$(rig_host_addr h3)"
rig_ping_fails h3 "$(rig_host_addr h1)"
rig_ping h1 "$(rig_host_addr h2)"
rig_ping h2 "$(rig_host_addr h1)"
rig_ping h2 "$(rig_host_addr h3)"
rig_ping h3 "$(rig_host_addr h2)"
drops=$(rig_wan_dropped)
[ "$drops" -gt "$drop0" ] || rig_fail "the router dropped nothing for the pair cut ($drops packets)"
printf '  ok: h1 <-> h3 cut, h2 reaches both; the router dropped %s packets\n' "$((drops - drop0))" >&2
rig_wan_uncut_pair h1 h3
_ping1() { ip netns exec "$(rig_ns "$1")" ping -n -q -c 1 -W 1 "$2" >/dev/null; }
rig_poll 5 "h1 pings h3 after the pair cut ends" _ping1 h1 "$(rig_host_addr h3)"
rig_ping h1 "$(rig_host_addr h3)"
rig_ping h3 "$(rig_host_addr h1)"

rig_say "6. everything at once, then rig_wan_clear"
rig_wan_delay_both h1 h2 40 10
rig_wan_loss h1 h3 100
rig_wan_cut_pair h2 h3
measure h1 h2 5 0.05
holds "h1 -> h2 delayed" "recv == sent && min >= 50"
rig_ping_fails h1 "$(rig_host_addr h3)"
rig_ping_fails h2 "$(rig_host_addr h3)"
rig_wan_clear
for pair in "h1 h2" "h2 h1" "h1 h3" "h3 h1" "h2 h3" "h3 h2"; do
    read -r a b <<<"$pair"
    measure "$a" "$b" 20 0.01
    holds "$a -> $b after rig_wan_clear" "recv == sent && med < 10"
done
_rig_exited "$RIG_WAN_DELAY_PID" && rig_fail "the delayer wan_delay is gone"
rules=$(ip netns exec "$(rig_ns wan)" "$RIG_WAN_IPT" -w -t mangle -S RIGWAN_DELAY | grep -c -- '-j NFQUEUE' || true)
rig_assert_eq "$rules" 0 "NFQUEUE rules left after rig_wan_clear"
rig_pass
