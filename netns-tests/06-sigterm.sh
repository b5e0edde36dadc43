#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 5 — SIGTERM leaves nothing behind.
# Two hosts with two enclaves each and attached guests, links up. Each
# daemon gets SIGTERM: it must exit 0, its control socket file must be gone
# and no ovl-*/ovu-* interface may remain in its namespace (the guests'
# veth ends, which the operator created, stay). Positive control: before the
# stop those interfaces exist.
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
for h in h1 h2; do
    rig_enclave "$h" blue 100
    rig_enclave "$h" red 200
done
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_guest_create h1 red r1 10.100.0.1 52:54:00:00:02:01
rig_guest_create h2 red r2 10.100.0.2 52:54:00:00:02:02
rig_ping b1 10.100.0.2
rig_ping r2 10.100.0.1

# `enclaves` shows each enclave's state (ok / failed): JSON and a STATE column.
st=$(rig_ctl_q h1 --json enclaves | jq -r '[.enclaves[].state] | join(",")')
rig_assert_eq "$st" "ok,ok" "h1 enclaves state (json)"
hdr=$(rig_ctl_q h1 enclaves | head -1)
[[ "$hdr" == *STATE* ]] || rig_fail "h1 enclaves text header has no STATE column: '$hdr'"
rig_ctl_q h1 enclaves | awk 'NR > 1 && $6 != "ok" { bad = 1 } END { exit bad }' \
    || rig_fail "h1 enclaves text STATE is not ok: $(rig_ctl_q h1 enclaves)"
printf '  ok: enclaves state column\n' >&2

# fdb_has HOST ENCLAVE MAC: HOST's fdb lists MAC at some other host.
fdb_has() {
    rig_ctl_q "$1" --json fdb "$2" | jq -e --arg m "$3" \
        '[.entries[] | select(.mac == $m and .location != "local")] | length > 0'
}
fdb_lacks() { ! fdb_has "$@"; }

ovl_links() { ip -n "$(rig_ns "$1")" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(ovl|ovu)-' || true; }

rig_poll 10 "h2 fdb lists h1's guests" \
    eval 'fdb_has h2 blue 52:54:00:00:01:01 && fdb_has h2 red 52:54:00:00:02:01'

for h in h1 h2; do
    rig_say "SIGTERM to overlayd of $h"
    before=$(ovl_links "$h" | sort | tr '\n' ' ')
    rig_log "$h interfaces before: $before"
    [ "$(wc -w <<<"$before")" -ge 4 ] || rig_fail "$h: expected >= 4 ovl-/ovu- interfaces before the stop, got '$before'"
    [ -S "$(rig_host_sock "$h")" ] || rig_fail "$h: control socket missing before the stop"
    rc=0
    rig_daemon_stop "$h" || rc=$?
    rig_assert_eq "$rc" 0 "$h overlayd exit status after SIGTERM"
    if [ "$h" = h1 ]; then
        # A clean stop tells the peers: h2 drops h1's guest MACs at once
        # rather than forwarding into a dead host until the link expires.
        rig_poll 2 "h2 fdb forgets h1's MACs after h1's SIGTERM" \
            eval 'fdb_lacks h2 blue 52:54:00:00:01:01 && fdb_lacks h2 red 52:54:00:00:02:01'
        printf '  ok: h2 forgot h1 guest MACs after SIGTERM\n' >&2
    fi
    after=$(ovl_links "$h" | tr '\n' ' ')
    rig_assert_eq "$after" "" "$h ovl-/ovu- interfaces after SIGTERM"
    [ ! -e "$(rig_host_sock "$h")" ] || rig_fail "$h: control socket file still there after SIGTERM"
    printf '  ok: %s control socket removed\n' "$h" >&2
    # The guests' veth ends are the operator's: they stay.
    rig_assert "guest veth g-b${h#h} remains on $h" ip -n "$(rig_ns "$h")" link show "g-b${h#h}"
done

rig_pass
