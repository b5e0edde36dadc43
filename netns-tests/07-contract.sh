#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 7 — the overlayctl surface of CONTRACT.md, on two live hosts.
#  - JSON shapes of status, peers, enclaves and fdb (field names and types);
#  - attach: interface on the enclave bridge, up, MTU = inner MTU >= 1400;
#    idempotent; a full-size DF ping (inner MTU - 28) crosses the overlay;
#  - detach: off the bridge, announcement withdrawn on the other host,
#    idempotent; re-attach restores the path;
#  - exit 1 with a one-line reason for an unknown enclave and for a daemon
#    that is not running;
#  - genkey/pubkey agree with wg (when wg is installed);
#  - metrics: Prometheus text (every line well formed, HELP and TYPE once
#    per family, every status counter as overlayd_<name>_total with the
#    same value, peers by state), --json, and the same text over HTTP at
#    h1's MetricsListen (404 for another path).
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
# Still inside [Host]: rig_mesh appends the [Peer] sections.
printf 'MetricsListen = 127.0.0.1:9475\n' >> "$(rig_host_conf h1)"
rig_mesh h1 h2
rig_enclave h1 blue 100
rig_enclave h2 blue 100
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_ping b1 10.100.0.2
H1=$(rig_ns h1)

# jcheck DESC JSON JQ-EXPR: the jq expression must be true.
jcheck() {
    if [ "$(jq -r "$3" <<<"$2")" != true ]; then
        printf '%s\n' "$2" >&2
        rig_fail "$1: jq '$3' is not true"
    fi
    printf '  ok: %s\n' "$1" >&2
}

rig_say "JSON shapes"
st=$(rig_ctl h1 --json status)
jcheck "status fields" "$st" '(.name == "h1") and (.public_key|type) == "string" and (.ring_id|type) == "string"
    and (.listen|type) == "string" and (.uptime_s|type) == "number" and .peers_up == 1
    and .enclaves == ["blue"]'
jcheck "status.public_key is the key from overlayctl pubkey" "$st" ".public_key == \"$(rig_host_pubkey h1)\""
jcheck "status counters" "$st" '[.counters | .drop_replay, .drop_auth, .drop_unknown_peer, .drop_unknown_enclave
    | type == "number"] | all'
# Every drop reason of the daemon (lib/drop.h) and of the link layer is shown.
reasons=$(grep -o '"drop_[a-z_]*"' "$RIG_HERE/../lib/drop.h" | tr -d '"' | sort -u)
[ "$(wc -w <<<"$reasons")" -ge 10 ] || rig_fail "could not read the drop reasons from lib/drop.h"
for r in $reasons drop_malformed drop_expired drop_ratelimit drop_truncated; do
    jcheck "status counter $r" "$st" "(.counters.$r | type) == \"number\""
done
pe=$(rig_ctl h1 --json peers)
jcheck "peers fields" "$pe" '(.peers | length) == 1 and (.peers[0] | (.name == "h2")
    and (.public_key|type) == "string" and (.endpoint|type) as $t | ($t == "string" or $t == "null"))'
jcheck "peers types" "$pe" '.peers[0] | .state == "up" and ((.rtt_ms|type) == "number" or .rtt_ms == null)
    and (.rx_bytes|type) == "number" and (.tx_bytes|type) == "number" and .rx_bytes > 0 and .tx_bytes > 0
    and ((.last_handshake_s|type) == "number" or .last_handshake_s == null) and .via == null'
jcheck "peers public_key is h2's" "$pe" ".peers[0].public_key == \"$(rig_host_pubkey h2)\""
en=$(rig_ctl h1 --json enclaves)
jcheck "enclaves fields" "$en" '(.enclaves | length) == 1 and (.enclaves[0] | .name == "blue" and .id == 100
    and (.bridge|type) == "string" and (.members|type) == "array" and (.hosts|type) == "array")'
jcheck "enclaves: blue is carried by h2 too" "$en" '.enclaves[0].hosts | index("h2") != null'
fd=$(rig_ctl h1 --json fdb blue)
jcheck "fdb fields" "$fd" '.enclave == "blue" and (.entries | length) >= 2 and ([.entries[] |
    (.mac|type) == "string" and (.location|type) == "string" and (.seq|type) == "number"
    and (.age_s|type) == "number" and (.state|type) == "string"] | all)'
jcheck "fdb: b1 local, b2 on h2, MACs lowercase" "$fd" '([.entries[] | select(.mac == "52:54:00:00:01:01")
    | .location] | index("local") != null) and ([.entries[] | select(.mac == "52:54:00:00:01:02") | .location]
    | index("h2") != null) and ([.entries[].mac | test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")] | all)'

rig_say "metrics: Prometheus text, --json, HTTP"
# metrics_check DESC STATUS_JSON: stdin is exposition text; every line
# well formed, each family declared once before its samples, the status
# counters there with at least their values in STATUS_JSON (they only grow).
metrics_check() {
    "$RIG_PYTHON" -c '
import json, re, sys
desc, status = sys.argv[1], json.loads(sys.argv[2])
sample = re.compile(r"^([a-z_:][a-z0-9_:]*)(\{[a-z_]+=\"[a-z0-9_-]*\"\})? (-?[0-9.e+]+)$")
declared, seen, values = {}, set(), {}
for line in sys.stdin.read().splitlines():
    m = re.match(r"^# (HELP|TYPE) ([a-z_:][a-z0-9_:]*) (.+)$", line)
    if m:
        key = (m.group(1), m.group(2))
        assert key not in seen, "%s: %s declared twice" % (desc, key)
        seen.add(key)
        if m.group(1) == "TYPE":
            assert m.group(3) in ("counter", "gauge"), line
            declared[m.group(2)] = m.group(3)
        continue
    m = sample.match(line)
    assert m, "%s: malformed line %r" % (desc, line)
    assert m.group(1) in declared, "%s: %s has no TYPE before it" % (desc, m.group(1))
    values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
for name, v in status["counters"].items():
    got = values.get("overlayd_%s_total" % name)
    assert got is not None, "%s: counter %s missing" % (desc, name)
    assert got >= v, "%s: %s is %s, status said %s" % (desc, name, got, v)
assert values.get("overlayd_peers{state=\"up\"}") == 1, "%s: peers up" % desc
assert "overlayd_peer_rx_bytes_total{peer=\"h2\"}" in values, "%s: rx bytes of h2" % desc
print("  ok: %s: %d samples, %d families" % (desc, len(values), len(declared)), file=sys.stderr)
' "$1" "$2" || rig_fail "$1 is not what the contract says"
}
st=$(rig_ctl h1 --json status)
rig_ctl h1 metrics | metrics_check "overlayctl metrics" "$st"
mj=$(rig_ctl h1 --json metrics)
jcheck "metrics --json" "$mj" '(.metrics | length) > 50 and ([.metrics[] | (.name|type) == "string"
    and (.type == "counter" or .type == "gauge") and (.labels|type) == "object" and (.value|type) == "number"] | all)'
# http_get PATH: status line and body of http://127.0.0.1:9475/PATH from h1.
http_get() {
    ip netns exec "$H1" "$RIG_PYTHON" -c '
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen("http://127.0.0.1:9475" + sys.argv[1], timeout=5)
    print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
' "$1"
}
out=$(http_get /metrics)
[ "$(head -1 <<<"$out")" = 200 ] || rig_fail "GET /metrics on MetricsListen: $(head -1 <<<"$out")"
tail -n +2 <<<"$out" | metrics_check "GET /metrics" "$st"
[ "$(http_get /other | head -1)" = 404 ] || rig_fail "GET /other on MetricsListen is not 404"
printf '  ok: GET /other is 404\n' >&2

rig_say "attach: bridge port, up, inner MTU; idempotent"
BR=$(jq -r '.enclaves[0].bridge' <<<"$en")
link_json() { ip -n "$H1" -j -d link show "$1"; }
lj=$(link_json g-b1)
jcheck "g-b1 is a port of $BR" "$lj" ".[0].master == \"$BR\""
jcheck "g-b1 is up" "$lj" '.[0].flags | index("UP") != null'
MTU=$(jq '.[0].mtu' <<<"$lj")
[ "$MTU" -ge 1400 ] || rig_fail "inner MTU $MTU < 1400 on a 1500-byte IPv4 underlay"
printf '  ok: inner MTU %s >= 1400\n' "$MTU" >&2
rig_assert "attach again (idempotent)" rig_ctl h1 attach blue g-b1 --mac 52:54:00:00:01:01 --name b1
jcheck "g-b1 still a port of $BR" "$(link_json g-b1)" ".[0].master == \"$BR\""
rig_assert "DF ping of the full inner MTU ($MTU) across hosts" \
    rig_in b1 ping -n -q -c 3 -i 0.2 -W 2 -M "do" -s $((MTU - 28)) 10.100.0.2
rig_assert_fails "DF ping one byte over the inner MTU" \
    ip netns exec "$(rig_ns b1)" ping -n -q -c 1 -W 1 -M "do" -s $((MTU - 27)) 10.100.0.2

rig_say "errors: exit 1 with a one-line reason"
ctl_err() {   # DESC ARGS...: must exit 1 with exactly one line on stderr
    local desc=$1 rc=0; shift
    rig_log "overlayctl $*"
    "$OVERLAYCTL" "$@" >/dev/null 2>"$RIG_DIR/err" || rc=$?
    rig_assert_eq "$rc" 1 "$desc: exit status"
    rig_assert_eq "$(wc -l < "$RIG_DIR/err")" 1 "$desc: lines on stderr ($(cat "$RIG_DIR/err"))"
}
ctl_err "attach to an unknown enclave" -s "$(rig_host_sock h1)" attach nosuch g-b1
ctl_err "fdb of an unknown enclave" -s "$(rig_host_sock h1)" fdb nosuch
ctl_err "status without a daemon" -s "$RIG_DIR/no-daemon.sock" status

rig_say "detach: off the bridge, withdrawn on h2, idempotent"
# b2 must not send to b1 meanwhile: a unicast frame (its ARP cache's
# reachability probe) makes h2 look b1 up on the ring, whose record lives
# until its lifetime ends after the unpublish (routing/ring.h), and h2
# would then point b1 at h1 again; that is not what this step checks.
rig_run ip -n "$(rig_ns b2)" neigh flush dev eth0
rig_assert "detach g-b1" rig_ctl h1 detach g-b1
jcheck "g-b1 has no master after detach" "$(link_json g-b1)" '.[0].master == null'
_withdrawn() { ! rig_ctl_q h2 --json fdb blue | jq -e '.entries[] | select(.mac == "52:54:00:00:01:01" and .location == "h1")' >/dev/null; }
rig_poll 10 "h2's fdb forgets b1 after detach" _withdrawn
rig_assert "detach again (idempotent)" rig_ctl h1 detach g-b1
rig_ping_fails b2 10.100.0.1
rig_assert "re-attach g-b1" rig_ctl h1 attach blue g-b1 --mac 52:54:00:00:01:01 --name b1
rig_ping b2 10.100.0.1

if command -v wg >/dev/null; then
    rig_say "genkey/pubkey agree with wg"
    k=$("$OVERLAYCTL" genkey)
    rig_assert_eq "$("$OVERLAYCTL" pubkey <<<"$k")" "$(wg pubkey <<<"$k")" "overlayctl pubkey = wg pubkey"
    k=$(wg genkey)
    rig_assert_eq "$("$OVERLAYCTL" pubkey <<<"$k")" "$(wg pubkey <<<"$k")" "overlayctl pubkey of a wg key"
fi

rig_pass
