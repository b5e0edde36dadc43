#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 13 — a captured handshake initiation cannot be replayed after the
# peer was removed and re-created.
# The link layer remembers the greatest initiation timestamp per link peer;
# removing the peer (idle close, reload, expiry) used to forget it, so an
# initiation captured earlier was accepted again by the re-created peer (and
# its endpoint moved to wherever the replay came from). overlayd keeps the
# timestamps of removed peers and seeds re-created ones with them.
#   - h1 and h2 list each other; the WAN is captured while their links come up;
#   - h2 stops; h1 drops h2 from its [Peer]s (reload), then takes it back
#     (reload): a brand-new link peer for h2's key;
#   - h2's last captured initiation re-sent to h1 is refused as a replay
#     (h1's drop_replay +1);
#   - h1 restarts, so it remembers no timestamp at all: the same initiation,
#     re-sent from another source port, is answered there (the response is
#     seen on the WAN) but h2's endpoint on h1 stays where it was: only a
#     response or data moves an endpoint, never an initiation.
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
for i in 1 2; do rig_enclave "h$i" blue 100; done
conf=$(rig_host_conf h1)
cp "$conf" "$RIG_DIR/h1-nopeer.conf"
rig_mesh h1 h2
cp "$conf" "$RIG_DIR/h1-full.conf"

H1=$(rig_host_addr h1) H2=$(rig_host_addr h2)
SEL=(--src "$H2" --dst "$H1" --dport 51900 --type 1)
# On the router's port towards h1, so the frames can be re-sent there as they are.
W1=$(rig_wan_port h1)
rig_capture_start wan "$W1" "$RIG_DIR/init.pcap" udp port 51900
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_capture_stop "$RIG_DIR/init.pcap"
rig_pcap list "$RIG_DIR/init.pcap" "${SEL[@]}" >&2
n=$(rig_pcap udp "$RIG_DIR/init.pcap" "${SEL[@]}")
[ "$n" -ge 1 ] || rig_fail "no initiation h2 -> h1 captured"

rig_say "h2 stops; h1 forgets h2 and takes it back (two reloads)"
rig_daemon_stop h2 || true
cp "$RIG_DIR/h1-nopeer.conf" "$conf"
rig_ctl h1 reload >/dev/null || rig_fail "reload of h1 without h2 failed"
rig_assert_eq "$(rig_peer_state h1 h2)" absent "h1's peer h2 after the first reload"
cp "$RIG_DIR/h1-full.conf" "$conf"
rig_ctl h1 reload >/dev/null || rig_fail "reload of h1 with h2 failed"
st=$(rig_peer_state h1 h2)
[ "$st" = down ] || [ "$st" = connecting ] || rig_fail "h1's peer h2 after the second reload: '$st'"

rig_say "replay h2's last initiation to h1"
replay0=$(rig_counter h1 drop_replay)
rig_in wan "$RIG_PYTHON" "$RIG_HERE/pcaptool.py" replay "$RIG_DIR/init.pcap" "$W1" "${SEL[@]}" \
    --skip $((n - 1)) --count 1
_replay_counted() { [ "$(rig_counter h1 drop_replay)" -ge $((replay0 + 1)) ]; }
rig_poll 5 "h1 counts the replayed initiation as drop_replay" _replay_counted
printf '  ok: h1 drop_replay %s -> %s\n' "$replay0" "$(rig_counter h1 drop_replay)" >&2
st=$(rig_peer_state h1 h2)
[ "$st" != up ] || rig_fail "h1's peer h2 is up after a replayed initiation"

rig_say "h1 restarts (no timestamps left); the initiation comes again from port 40000"
rig_daemon_stop h1 || true
rig_daemon_start h1
ep_of() { rig_ctl_q h1 --json peers | jq -r '.peers[] | select(.name == "h2") | .endpoint'; }
rig_assert_eq "$(ep_of)" "$H2:51900" "h2's endpoint on h1 after the restart"
rig_capture_start wan "$W1" "$RIG_DIR/resp.pcap" udp port 51900
rig_in wan "$RIG_PYTHON" "$RIG_HERE/pcaptool.py" replay "$RIG_DIR/init.pcap" "$W1" "${SEL[@]}" \
    --skip $((n - 1)) --count 1 --set-sport 40000
_answered() { [ "$(rig_pcap udp "$RIG_DIR/resp.pcap" --src "$H1" --dst "$H2" --dport 40000 --type 2)" -ge 1 ]; }
rig_poll 5 "h1 answers the initiation where it came from (port 40000)" _answered
rig_capture_stop "$RIG_DIR/resp.pcap"
rig_assert_eq "$(ep_of)" "$H2:51900" "h2's endpoint on h1 after the replayed initiation"
rig_assert_eq "$(rig_counter h1 drop_replay)" 0 "h1 drop_replay (nothing to tell the replay by)"

rig_pass
