#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 37 — an admitted host abusing control messages (issue 12, items
# 6 and 8; docs/security.md). h1 runs overlayd (enclave blue, guest g1);
# r is a host h1 admits (a [Peer], no Authority: it may carry blue) that
# runs no daemon but netns-tests/rogue_ctl, a link built on the project's
# own libraries, with r's key:
#  1. 20 datagrams, each packed with ENCLAVES + REQUEST TLVs (171): h1
#     takes only the first set of each (drop_enclaves_extra grows by
#     20 x 170) and answers within r's budget (5, then one per 5 s;
#     drop_enclaves_ratelimit): r gets at most 8 sets back where 3,420
#     were sent before;
#  2. r claims g1's MAC (attached on h1) at sequence 2^62: refused
#     (drop_claim_seq), the MAC stays local on h1;
#  3. r claims 200 MACs it never had at 2^40 (a new MAC's claim may carry
#     at most 2^32 - 1): all refused (drop_claim_seq), none in h1's table;
#     then 50 at sequence 1: taken (the bound refuses nothing honest).
# About 10 s.
. "$(dirname "$0")/lib.sh"
rig_init
[ -n "${ROGUE_CTL:-}" ] && [ -x "$ROGUE_CTL" ] || rig_skip "ROGUE_CTL (netns-tests/rogue_ctl) not built"

rig_wan_create
rig_host_create h1 1
rig_host_create r 2
rig_host_peer h1 r -
rig_enclave h1 blue 100
rig_daemon_start h1
MAC=52:54:00:00:37:01
rig_guest_create h1 blue g1 10.100.0.1 "$MAC"

rogue() {
    rig_in r "$ROGUE_CTL" "$(rig_host_dir r)/host.key" "$(rig_host_pubkey h1)" \
        "$(rig_host_addr h1):51900" 100 "$@"
}
fdb_has() {
    rig_ctl_q h1 --json fdb blue | jq -e --arg m "$1" ".entries[] | select(.mac == \$m) | $2" >/dev/null
}
fdb_count_prefix() {
    rig_ctl_q h1 --json fdb blue | jq --arg p "$1" '[.entries[] | select(.mac | startswith($p))] | length'
}
# A counter this daemon does not have reads 0 (and the check fails).
count() { rig_counter h1 "$1" | sed 's/^null$/0/'; }
_g1_local() { fdb_has "$MAC" '.state == "local"'; }
rig_poll 5 "g1's MAC is local on h1" _g1_local

rig_say "r floods h1 with ENCLAVES + REQUEST"
x0=$(count drop_enclaves_extra)
l0=$(count drop_enclaves_ratelimit)
out=$(rogue flood 20) || rig_fail "rogue_ctl flood failed: $out"
answers=$(awk '/^answers/ { print $2 }' <<<"$out")
sets=$(awk '/^sets/ { print $2 }' <<<"$out")
x=$(( $(count drop_enclaves_extra) - x0 ))
l=$(( $(count drop_enclaves_ratelimit) - l0 ))
printf '  %s sets sent in 20 datagrams: %s answered, %s ignored, %s answers held back\n' \
    "$((20 * sets))" "$answers" "$x" "$l" >&2
[ "$x" -eq $((20 * (sets - 1))) ] || rig_fail "drop_enclaves_extra grew by $x, want $((20 * (sets - 1)))"
[ "$l" -ge 14 ] || rig_fail "drop_enclaves_ratelimit grew by $l, want >= 14"
[ -n "$answers" ] && [ "$answers" -le 8 ] || rig_fail "r got $answers sets back, want <= 8"

rig_say "r claims g1's MAC at 2^62"
c0=$(count drop_claim_seq)
out=$(rogue claim "$MAC" 4611686018427387904) || rig_fail "rogue_ctl claim failed: $out"
c=$(( $(count drop_claim_seq) - c0 ))
[ "$c" -eq 1 ] || rig_fail "drop_claim_seq grew by $c, want 1"
_g1_local || rig_fail "g1's MAC left h1: $(rig_ctl_q h1 --json fdb blue)"

rig_say "r claims 200 new MACs at 2^40, then 50 at 1"
out=$(rogue claim 02:37:00:00:00:00 1099511627776 200) || rig_fail "rogue_ctl claim failed: $out"
c=$(( $(count drop_claim_seq) - c0 ))
[ "$c" -eq 201 ] || rig_fail "drop_claim_seq grew by $c, want 201"
[ "$(fdb_count_prefix 02:37:00:00:00)" -eq 0 ] || rig_fail "a claim at 2^40 entered h1's table"
out=$(rogue claim 02:37:00:00:10:00 1 50) || rig_fail "rogue_ctl claim failed: $out"
n=$(fdb_count_prefix 02:37:00:00:10)
[ "$n" -eq 50 ] || rig_fail "$n of 50 claims at sequence 1 entered h1's table, want 50"
_g1_local || rig_fail "g1's MAC left h1"

rig_pass
