# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib-ring.sh — helpers for the ring scenarios, on top of lib.sh.
#
#   ring_host_keys_only A B     A knows B's key (admission) but not its endpoint
#   ring_check HOSTS...         the ring views of HOSTS form ONE consistent ring:
#                               sorted by id, every host's successors[0] is the
#                               next id and its predecessor the previous one
#   ring_lookup_is H ENC MAC W  `lookup ENC MAC` on H answers host W
#   ring_links_up H             number of peers in state up
#   ring_start_guests HOSTS...  start each host's daemon, then attach guest gN
#                               (the caller's mac_of/ip_of) to blue on hN,
#                               IPv4 only
#   ring_neighbours H           names of H's ring neighbours (the hosts it
#                               keeps links to): predecessor, successor and
#                               fingers beyond its successor list
#   ring_summary HOSTS...       id-ordered one-line views (failure reports)

# ring_host_keys_only A B: a [Peer] with B's key and no Endpoint. Without an
# Authority that admits B (static admission needs both sides to know the
# keys); the endpoint comes from the ring when A has something to send.
ring_host_keys_only() {
    local a=$1 b=$2
    cat >> "$(rig_host_conf "$a")" <<EOF

[Peer]
Name = $b
PublicKey = $(rig_host_pubkey "$b")
EOF
}

ring_view() { rig_ctl_q "$1" --json ring; }

# ring_check HOSTS...: prints the problem on stderr and fails when the views
# are not one consistent ring.
ring_check() {
    local h views=()
    for h in "$@"; do
        views+=("$(ring_view "$h" | jq -c --arg h "$h" '. + {host: $h}')") || return 1
    done
    printf '%s\n' "${views[@]}" | "$RIG_PYTHON" -c '
import json, sys
v = [json.loads(l) for l in sys.stdin if l.strip()]
ids = sorted(x["id"] for x in v)
by = {x["id"]: x for x in v}
n = len(ids)
bad = []
for i, k in enumerate(ids):
    x = by[k]
    if x.get("state") != "active":
        bad.append("%s: state %s" % (x["host"], x.get("state")))
        continue
    want_s, want_p = ids[(i + 1) % n], ids[(i - 1) % n]
    s = x["successors"][0]["id"] if x["successors"] else None
    p = x["predecessor"]["id"] if x["predecessor"] else None
    if n == 1:
        continue
    if s != want_s:
        bad.append("%s: successor %s, want %s" % (x["host"], s, want_s))
    if p != want_p:
        bad.append("%s: predecessor %s, want %s" % (x["host"], p, want_p))
if bad:
    sys.stderr.write("ring not consistent: " + "; ".join(bad[:6]) + "\n")
    sys.exit(1)
'
}

ring_lookup_is() {
    local h=$1 enc=$2 mac=$3 want=$4 got
    got=$(rig_ctl_q "$h" --json lookup "$enc" "$mac" | jq -r .host) || return 1
    [ "$got" = "$want" ] || { echo "$h: lookup $enc $mac: $got, want $want" >&2; return 1; }
}

ring_links_up() { rig_links_up "$1"; }

# ring_neighbours H: one name a line, as routing's ring_node_neighbours()
# picks them from H's `ring --json` view.
ring_neighbours() {
    ring_view "$1" | jq -r '([.predecessor.name?, .successors[0].name?]
        + ([.fingers[].name] - [.successors[1:][].name])) | map(select(. != null)) | unique | .[]'
}

# rig_poll_quiet TIMEOUT_S CMD...: like rig_poll, but returns 1 on timeout
# (the caller says what was wrong).
rig_poll_quiet() {
    local deadline=$((SECONDS + $1)); shift
    rig_log "poll (quiet): $*"
    while ! "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# ring_log2_ceil N
ring_log2_ceil() {
    local n=$1 l=0 v=1
    while [ "$v" -lt "$n" ]; do v=$((v * 2)); l=$((l + 1)); done
    printf '%s' "$l"
}

# ring_summary HOSTS...: one line per host in id order: name, id prefix,
# state, successors[0] and predecessor names, links up (for failure reports).
ring_summary() {
    local h
    for h in "$@"; do
        ring_view "$h" 2>/dev/null | jq -r --arg l "$(ring_links_up "$h" 2>/dev/null)" \
            '"\(.id) \(.name) \(.state) succ=\(.successors[0].name? // "-") pred=\(.predecessor.name? // "-") links=\($l)"' \
            || printf 'zz %s (no answer)\n' "$h"
    done | sort | sed -E 's/^([0-9a-f]{8})[0-9a-f]* /  \1 /'
}

# ring_start_guests HOSTS...: the daemons, then one IPv4-only guest per
# host in blue. IPv4 only keeps the enclave quiet: no router solicitations,
# so the broadcast counters and link counts the scenarios read come from
# what they do themselves.
ring_start_guests() {
    local h
    for h in "$@"; do rig_daemon_start "$h"; done
    for h in "$@"; do
        rig_guest_create "$h" blue "g${h#h}" "$(ip_of "$h")" "$(mac_of "$h")"
        rig_in "g${h#h}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1
    done
}
