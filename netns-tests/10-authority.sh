#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 10 — admission by an overlay authority.
# One authority; h1 (all enclaves), h2 (blue only), h3 (blue, red). Every host
# has blue (100) and red (200) enclave files, h2's red included, which its
# certificate does not allow. h1 and h2 list each other as [Peer]; h3 lists
# h1 and h2, who do not list h3: they admit it by its certificate alone.
#   - blue guests ping across all three hosts, red guests between h1 and h3;
#   - h2 never gets a red frame or record: nothing from red guests on its red
#     guest's port while they ping and broadcast, no remote entry in its red fdb,
#     its peers do not list it for red; a red guest on h2 goes nowhere (h2
#     counts its frames as drop_unknown_enclave);
#   - h4 (certificate of another authority) is refused by h1: h1's
#     drop_unknown_peer grows, h4's link to h1 never comes up;
#   - h5: an expired certificate stops overlayd --check and the start with a
#     precise message; then h5 runs with a certificate valid for 6 s: h1
#     admits it, and drops it when the certificate expires (the peer goes,
#     h5's further packets count as drop_unknown_peer on h1);
#   - h6 with a certificate for another public key: --check and the start
#     fail with the precise message, and h1 never sees it;
#   - h2's reload refuses a certificate of another authority, then takes a
#     renewed one listing red too: h1 sees the new grant at once and red
#     reaches h2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cert.sh"
rig_init

rig_wan_create
cert_ca_init main
cert_ca_init other
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
cert_issue main h1 h1 "$(rig_host_pubkey h1)" '*' 1d
cert_issue main h2 h2 "$(rig_host_pubkey h2)" 100 1d
cert_issue main h3 h3 "$(rig_host_pubkey h3)" 100,200 1d
for i in 1 2 3; do cert_host_authority "h$i" main; done
rig_host_peer h1 h2
rig_host_peer h2 h1
rig_host_peer h3 h1
rig_host_peer h3 h2
for i in 1 2 3; do
    rig_enclave "h$i" blue 100
    rig_enclave "h$i" red 200
done
# h3 announces itself (HOST message) as "h3-spoof"; its certificate says h3:
# peers must show the certificate's name, never the announced one.
sed -i '0,/^Name = h3$/s//Name = h3-spoof/' "$(rig_host_conf h3)"
for i in 1 2 3; do rig_assert "overlayd --check h$i" "$OVERLAYD" -c "$(rig_host_conf "h$i")" --check; done
for i in 1 2 3; do rig_daemon_start "h$i"; done
for i in 1 2 3; do rig_wait_links "h$i" 2; done
grep -q "enclave red (200) is not in this host's certificate" "$(rig_host_dir h2)/overlayd.log" \
    || rig_fail "h2 did not warn that red is not in its certificate"

rig_say "certificates as peers see them"
rig_assert_eq "$(cert_peer_field h1 h3 cert_name)" '"h3"' "h1: h3 admitted by certificate name"
rig_assert_eq "$(cert_peer_field h1 h3 allowed_enclaves)" '[100,200]' "h1: h3's allowed enclaves"
rig_assert_eq "$(cert_peer_field h1 h2 allowed_enclaves)" '[100]' "h1: h2's allowed enclaves"
rig_assert_eq "$(cert_peer_field h2 h1 allowed_all)" 'true' "h2: h1 may carry every enclave"
exp=$(cert_peer_field h1 h2 cert_expires_s)
[ "$exp" -gt 86000 ] && [ "$exp" -le 86400 ] || rig_fail "h1: h2's cert_expires_s is $exp, want about 1 day"
rig_assert "text peers shows CERT and ENCLAVES" bash -c \
    "'$OVERLAYCTL' -s '$(rig_host_sock h1)' peers | grep -Eq '^h2 .* h2 +100 +(chachapoly|aesgcm) *\$'"

hosts_of() { rig_ctl_q "$1" --json enclaves | jq -r --arg e "$2" '[.enclaves[] | select(.name == $e) | .hosts[]] | sort | join(",")'; }
_hosts_are() { [ "$(hosts_of "$1" "$2")" = "$3" ]; }
rig_poll 10 "h1: blue carried by h2,h3" _hosts_are h1 blue h2,h3
rig_poll 10 "h1: red carried by h3 only" _hosts_are h1 red h3
rig_poll 10 "h3: red carried by h1 only" _hosts_are h3 red h1
rig_poll 10 "h2: blue carried by h1,h3" _hosts_are h2 blue h1,h3
rig_assert_eq "$(rig_ctl_q h1 --json peers | jq -r '[.peers[].name] | sort | join(",")')" \
    "h2,h3" "h1 peer names (h3 announced h3-spoof)"
rig_assert_eq "$(rig_ctl_q h2 --json peers | jq -r '[.peers[].name] | sort | join(",")')" \
    "h1,h3" "h2 peer names (h3 announced h3-spoof)"
if rig_ctl_q h1 --json ring | grep -q h3-spoof; then
    rig_fail "h1 ring shows h3's announced name h3-spoof"
fi
rig_assert_eq "$(hosts_of h2 red)" "" "h2: hosts carrying red"

rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_guest_create h3 blue b3 10.100.0.3 52:54:00:00:01:03
rig_guest_create h1 red r1 10.200.0.1 52:54:00:00:02:01
rig_guest_create h3 red r3 10.200.0.3 52:54:00:00:02:03
rig_guest_create h2 red r2 10.200.0.2 52:54:00:00:02:02

rig_say "blue everywhere, red between h1 and h3"
rig_ping b1 10.100.0.2
rig_ping b1 10.100.0.3
rig_ping b2 10.100.0.3
rig_ping r1 10.200.0.3

rig_say "h2 never sees red"
unk2=$(rig_counter h2 drop_unknown_enclave)
# r2's port: every red frame h2 delivers or r2 sends passes it (docs/design.md "Guest ports").
rig_capture_start h2 g-r2 "$RIG_DIR/h2-red.pcap"
rig_ping r3 10.200.0.1
rig_ping_fails r1 10.200.0.99          # ARP broadcasts in red
rig_ping_fails r3 10.200.0.98
rig_ping_fails r2 10.200.0.1           # h2's own red guest: stays on h2
rig_capture_stop "$RIG_DIR/h2-red.pcap"
for mac in 52:54:00:00:02:01 52:54:00:00:02:03; do
    rig_assert_eq "$(rig_pcap count "$RIG_DIR/h2-red.pcap" "$(rig_mac_hex $mac)")" 0 \
        "h2's red port g-r2: bytes of red MAC $mac"
done
[ "$(rig_pcap count "$RIG_DIR/h2-red.pcap" "$(rig_mac_hex 52:54:00:00:02:02)")" -gt 0 ] \
    || rig_fail "the capture on h2's red port did not even see h2's own red guest"
remote=$(rig_ctl_q h2 --json fdb red | jq '[.entries[] | select(.location != "local")] | length')
rig_assert_eq "$remote" 0 "h2: remote entries in the red fdb"
for h in h1 h3; do
    f=$(rig_ctl_q "$h" --json fdb red | jq -r '.entries[].mac')
    ! grep -q '52:54:00:00:02:02' <<<"$f" || rig_fail "$h learned h2's red guest"
done
[ "$(rig_counter h2 drop_unknown_enclave)" -gt "$unk2" ] \
    || rig_fail "h2's drop_unknown_enclave did not grow while its red guest sent"
printf '  ok: h2 dropped its own red frames (drop_unknown_enclave %s -> %s)\n' \
    "$unk2" "$(rig_counter h2 drop_unknown_enclave)" >&2

rig_say "h2 holds no red record and may not look one up"
# Red's location records live on hosts that may carry red only (the
# records of an enclave go to the first carrier at or after their key).
_stored() { rig_ctl_q "$1" --json ring | jq --argjson e "$2" '[.stored[] | select(.enclave == $e) | .records] | add // 0'; }
_red_stored() { [ $(( $(_stored h1 200) + $(_stored h3 200) )) -gt 0 ]; }
rig_poll 20 "red records stored on h1 or h3" _red_stored
rig_assert_eq "$(_stored h2 200)" 0 "h2: red records stored"
# ... nor in transit: no ring message brought h2 a red MAC, query or record
# (payloads go to carriers only, and relayed messages are sealed).
rig_assert_eq "$(rig_ctl_q h2 --json ring | jq .stats.foreign_payloads)" 0 \
    "h2: ring messages with red data"
[ "$(_stored h2 100)" -gt 0 ] || [ "$(_stored h1 100)" -gt 0 ] || rig_fail "no blue records anywhere"
out=$(rig_ctl_q h2 lookup red 52:54:00:00:02:01 2>&1) && rig_fail "h2 looked up a red MAC: $out"
rig_assert "h2: red lookup refused" grep -q "refused: red is not in this host's certificate" <<<"$out"
_red_r3_on_h3() { [ "$(rig_ctl_q h1 --json lookup red 52:54:00:00:02:03 | jq -r .host)" = h3 ]; }
rig_poll 20 "h1: lookup of red r3 answers h3" _red_r3_on_h3
printf '  ok: h1 finds red r3 on h3 through the ring\n' >&2

rig_say "h4: certificate from another authority"
rig_host_create h4 4
cert_issue other h4 h4 "$(rig_host_pubkey h4)" '*' 1d
cert_host_authority h4 other
rig_host_peer h4 h1
rig_enclave h4 blue 100
unp1=$(rig_counter h1 drop_unknown_peer)
rig_daemon_start h4
_grew() { [ "$(rig_counter "$1" "$2")" -gt "$3" ]; }
rig_poll 10 "h1 refuses h4 (drop_unknown_peer grows)" _grew h1 drop_unknown_peer "$unp1"
grep -q "refused .*: certificate issued by another authority" "$(rig_host_dir h1)/overlayd.log" \
    || rig_fail "h1 did not log why it refused h4"

rig_say "h5: expired certificate"
rig_host_create h5 5
cert_issue_expired main h5 h5 "$(rig_host_pubkey h5)" 100
cert_host_authority h5 main
rig_host_peer h5 h1
rig_enclave h5 blue 100
rig_assert "overlayctl cert show calls h5's certificate expired" \
    grep -q "^validity: expired" <("$OVERLAYCTL" cert show "$(rig_host_dir h5)/host.cert" --ca "$RIG_DIR/ca-main")
out=$("$OVERLAYD" -c "$(rig_host_conf h5)" --check 2>&1) && rig_fail "--check accepted an expired certificate"
grep -q "host.cert: certificate expired at" <<<"$out" || rig_fail "h5 --check: unexpected message: $out"
printf '  ok: --check: %s\n' "$out" >&2
out=$(timeout 10 ip netns exec "$(rig_ns h5)" "$OVERLAYD" -c "$(rig_host_conf h5)" 2>&1) \
    && rig_fail "overlayd started with an expired certificate"
grep -q "certificate expired at" <<<"$out" || rig_fail "h5 start: unexpected message: $out"

rig_say "h5: a certificate that expires while the link is up"
cert_issue main h5 h5 "$(rig_host_pubkey h5)" 100 6s
rig_daemon_start h5
rig_poll 5 "h1 admits h5" bash -c "[ \"\$('$OVERLAYCTL' -s '$(rig_host_sock h1)' --json peers | jq -r '.peers[] | select(.name == \"h5\") | .state')\" = up ]"
exp=$(cert_peer_field h1 h5 cert_expires_s)
[ "$exp" -le 6 ] || rig_fail "h1: h5's cert_expires_s is $exp, want <= 6"
rig_assert "h4 still has no link to h1" [ "$(rig_peer_state h4 h1)" != up ]
rig_assert "h1 does not list h4" cert_peer_absent h1 h4
rig_poll 12 "h1 drops h5 when its certificate expires" cert_peer_absent h1 h5
grep -q "h5: certificate expired at" "$(rig_host_dir h1)/overlayd.log" \
    || rig_fail "h1 did not log h5's expiry"
unp1=$(rig_counter h1 drop_unknown_peer)
rig_poll 15 "h5's packets after expiry count as drop_unknown_peer on h1" _grew h1 drop_unknown_peer "$unp1"
rig_assert "h1 still does not list h5" cert_peer_absent h1 h5

rig_say "h6: certificate for another public key"
rig_host_create h6 6
cert_issue main h6 h6 "$(rig_host_pubkey h2)" '*' 1d     # h2's key, not h6's
cert_host_authority h6 main
rig_host_peer h6 h1
out=$("$OVERLAYD" -c "$(rig_host_conf h6)" --check 2>&1) && rig_fail "--check accepted a certificate for another key"
grep -q "host.cert: certificate is for public key $(rig_host_pubkey h2), not this host's key $(rig_host_pubkey h6)" <<<"$out" \
    || rig_fail "h6 --check: unexpected message: $out"
printf '  ok: --check: %s\n' "$out" >&2
out=$(timeout 10 ip netns exec "$(rig_ns h6)" "$OVERLAYD" -c "$(rig_host_conf h6)" 2>&1) \
    && rig_fail "overlayd started with a certificate for another key"
grep -q "not this host's key" <<<"$out" || rig_fail "h6 start: unexpected message: $out"
rig_assert "h1 does not list h6" cert_peer_absent h1 h6

rig_say "h2: reload refuses a bad certificate, takes a renewed one (now blue,red)"
cert_issue other h2 h2 "$(rig_host_pubkey h2)" '*' 1d
out=$(rig_ctl h2 reload 2>&1) && rig_fail "h2 reloaded a certificate of another authority"
grep -q "certificate issued by another authority" <<<"$out" || rig_fail "h2 reload: unexpected message: $out"
grep -q "reload refused" <<<"$out" || rig_fail "h2 reload: not refused: $out"
rig_assert_eq "$(cert_peer_field h1 h2 allowed_enclaves)" '[100]' "h1: h2 still blue only"
cert_issue main h2 h2 "$(rig_host_pubkey h2)" 100,200 1d
rig_assert "reload h2 with a renewed certificate" rig_ctl h2 reload
_h2_red() { [ "$(cert_peer_field h1 h2 allowed_enclaves)" = '[100,200]' ]; }
rig_poll 10 "h1 sees h2's renewed certificate" _h2_red
rig_poll 10 "h1: red carried by h2,h3" _hosts_are h1 red h2,h3
rig_ping r2 10.200.0.1
rig_ping r2 10.200.0.3

rig_say "h1..h3 still fine"
rig_assert_eq "$(rig_links_up h1)" 2 "h1 links up"
rig_ping b2 10.100.0.1
rig_pass
