#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 38 — revocation, certificate renewal and a second authority
# (issue 12, "Revocation and rotation"; docs/security.md).
# One authority "main": a, b, c (all enclaves), blue guests a1, b1, c1.
# a and b list each other; c lists a and b, who admit it by certificate.
#   - c's certificate serial goes into a's RevokedFile and a reloads: a's
#     link to c closes within the reload (bound: 2 s from the reload command
#     to peers --json without c; the measured time is printed), c's further
#     handshakes to a are refused and counted (drop_revoked), a1 no longer
#     reaches c1, and a does not link to c again although b still lists it
#     in the ring;
#   - c's public key goes into b's RevokedFile: the same on b (by key);
#   - b gets a renewed certificate (same key, later expiry) and reloads:
#     a sees the new serial at once (a handshake b starts on reload), the
#     a-b link stays up throughout, a 5 s ping a1 -> b1 at 20 ms loses
#     nothing, and no handshake is counted as a drop (drop_auth,
#     drop_revoked unchanged on a and b);
#   - d holds a certificate of a second authority "next": a refuses it
#     while it trusts "main" only, and admits it once a's [Host] lists both
#     authorities and a reloads; d1 then pings a1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cert.sh"
rig_init

rig_wan_create
cert_ca_init main
cert_ca_init next
for h in a b c; do
    rig_host_create "$h" "$(( $(printf '%d' "'$h") - 96 ))"
    cert_issue main "$h" "$h" "$(rig_host_pubkey "$h")" '*' 1d
    cert_host_authority "$h" main
done
# a and b revoke nothing yet: an empty RevokedFile (a missing one is an error).
for h in a b; do
    : > "$(rig_host_dir "$h")/revoked"
    printf 'RevokedFile = %s/revoked\n' "$(rig_host_dir "$h")" >> "$(rig_host_conf "$h")"
done
rig_host_peer a b
rig_host_peer b a
rig_host_peer c a
rig_host_peer c b
for h in a b c; do rig_enclave "$h" blue 100; done
for h in a b c; do rig_assert "overlayd --check $h" "$OVERLAYD" -c "$(rig_host_conf "$h")" --check; done
for h in a b c; do rig_daemon_start "$h"; done
for h in a b c; do rig_wait_links "$h" 2 20; done
rig_guest_create a blue a1 10.100.0.1 52:54:00:00:38:01
rig_guest_create b blue b1 10.100.0.2 52:54:00:00:38:02
rig_guest_create c blue c1 10.100.0.3 52:54:00:00:38:03
rig_ping a1 10.100.0.3
rig_ping b1 10.100.0.3
rig_ping a1 10.100.0.2

_grew() { [ "$(rig_counter "$1" "$2")" -gt "$3" ]; }
_not_up() { [ "$(rig_peer_state "$1" "$2")" != up ]; }

rig_say "RevokedFile: a bad line refuses the reload, precisely"
printf '# c\n0123\n' > "$(rig_host_dir a)/revoked"
out=$(rig_ctl a reload 2>&1) && rig_fail "a reloaded a bad RevokedFile: $out"
grep -q "$(rig_host_dir a)/revoked:2: serial \"0123\" has 4 hex digits" <<<"$out" \
    || rig_fail "a reload: unexpected message: $out"
rig_assert_eq "$(rig_peer_state a c)" up "a: link to c after the refused reload"

rig_say "revoke c by serial on a"
serial_c=$("$OVERLAYCTL" --json cert show "$(rig_host_dir c)/host.cert" | jq -r .serial)
[[ $serial_c =~ ^[0-9a-f]{16}$ ]] || rig_fail "cert show: serial '$serial_c'"
printf '# revoked hosts\n\n%s   # c: lost laptop\n' "$serial_c" > "$(rig_host_dir a)/revoked"
rev_a=$(rig_counter a drop_revoked)
t0=$(date +%s%N)
out=$(rig_ctl a reload 2>&1) || rig_fail "a reload failed: $out"
rig_poll 2 "a closes its link to c within 2 s of the reload" cert_peer_absent a c
t1=$(date +%s%N)
printf '  measured: a closed its link to c %d ms after the reload command\n' \
    $(( (t1 - t0) / 1000000 )) >&2
grep -q "peer c: certificate serial revoked: link closed" <<<"$out" \
    || rig_fail "a reload did not report closing c: $out"
rig_poll 60 "c's handshakes to a are refused (a's drop_revoked grows)" _grew a drop_revoked "$rev_a"
printf '  ok: a drop_revoked %s -> %s\n' "$rev_a" "$(rig_counter a drop_revoked)" >&2
grep -q "refused .*: key or certificate serial revoked" "$(rig_host_dir a)/overlayd.log" \
    || rig_fail "a did not log why it refused c"
rig_ping_fails a1 10.100.0.3
rig_ping b1 10.100.0.3                 # b still admits c
rig_ping a1 10.100.0.2
# b lists c in the ring: a must not link to it again, nor accept it.
rig_ping_fails a1 10.100.0.3
rig_assert "a still does not list c" cert_peer_absent a c

rig_say "revoke c by key on b"
printf '%s\n' "$(rig_host_pubkey c)" >> "$(rig_host_dir b)/revoked"
rev_b=$(rig_counter b drop_revoked)
t0=$(date +%s%N)
out=$(rig_ctl b reload 2>&1) || rig_fail "b reload failed: $out"
rig_poll 2 "b closes its link to c within 2 s of the reload" cert_peer_absent b c
t1=$(date +%s%N)
printf '  measured: b closed its link to c %d ms after the reload command\n' \
    $(( (t1 - t0) / 1000000 )) >&2
grep -q "peer c: key revoked: link closed" <<<"$out" || rig_fail "b reload: $out"
rig_poll 60 "c's handshakes to b are refused (b's drop_revoked grows)" _grew b drop_revoked "$rev_b"
printf '  ok: b drop_revoked %s -> %s\n' "$rev_b" "$(rig_counter b drop_revoked)" >&2
rig_ping_fails b1 10.100.0.3
rig_ping_fails a1 10.100.0.3
rig_ping a1 10.100.0.2

rig_say "renew b's certificate: the a-b link stays up"
old_b=$(cert_peer_field a b cert_serial | tr -d '"')
cert_issue main b b "$(rig_host_pubkey b)" '*' 2d
new_b=$("$OVERLAYCTL" --json cert show "$(rig_host_dir b)/host.cert" | jq -r .serial)
[ "$new_b" != "$old_b" ] || rig_fail "the renewed certificate has the old serial"
auth_a=$(rig_counter a drop_auth); auth_b=$(rig_counter b drop_auth)
rev_a=$(rig_counter a drop_revoked); rev_b=$(rig_counter b drop_revoked)
rig_in a1 ping -n -c 250 -i 0.02 -W 1 10.100.0.2 > "$RIG_DIR/renew-ping.txt" 2>&1 &
ping_pid=$!
sleep 1                                 # pings flow before the reload
out=$(rig_ctl b reload 2>&1) || rig_fail "b reload (renewal) failed: $out"
grep -q "certificate renewed" <<<"$out" || rig_fail "b reload: $out"
down=0
_renewed() {
    [ "$(rig_peer_state a b)" = up ] || down=1
    [ "$(cert_peer_field a b cert_serial)" = "\"$new_b\"" ]
}
rig_poll 10 "a sees b's renewed certificate (serial $new_b)" _renewed
while kill -0 "$ping_pid" 2>/dev/null; do
    [ "$(rig_peer_state a b)" = up ] || down=1
    sleep 0.2
done
wait "$ping_pid" || true
rig_assert_eq "$down" 0 "a-b link went down during the renewal"
exp=$(cert_peer_field a b cert_expires_s)
[ "$exp" -gt 86400 ] || rig_fail "a: b's cert_expires_s is $exp, want about 2 days"
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$RIG_DIR/renew-ping.txt")
printf '  measured: %s of 250 pings a1 -> b1 answered across the renewal\n' "$recv" >&2
rig_assert_eq "$recv" 250 "pings answered across b's renewal"
rig_assert_eq "$(rig_counter a drop_auth)" "$auth_a" "a: drop_auth across the renewal"
rig_assert_eq "$(rig_counter b drop_auth)" "$auth_b" "b: drop_auth across the renewal"
# c (revoked) may still knock: only drop_revoked's growth from c is fine,
# nothing of it may come from b (a's log names who).
if grep -q "drop_revoked: handshake from b " "$(rig_host_dir a)/overlayd.log"; then
    rig_fail "a counted b's handshake as revoked"
fi
grep -q "b renewed: certificate b, serial $new_b" "$(rig_host_dir a)/overlayd.log" \
    || rig_fail "a did not log b's renewal"

rig_say "a second authority: d (authority next) is admitted once a trusts both"
rig_host_create d 4
cert_issue next d d "$(rig_host_pubkey d)" '*' 1d
cert_host_authority d next
printf 'Authority = %s\n' "$(cert_ca_pub main)" >> "$(rig_host_conf d)"   # d trusts a's too
rig_host_peer d a
rig_enclave d blue 100
rig_assert "overlayd --check d (two authorities)" "$OVERLAYD" -c "$(rig_host_conf d)" --check
unp_a=$(rig_counter a drop_unknown_peer)
rig_daemon_start d
rig_poll 15 "a refuses d while it trusts main only" _grew a drop_unknown_peer "$unp_a"
rig_assert "a does not list d" cert_peer_absent a d
sed -i "0,/^Authority = .*/s//&\nAuthority = $(cert_ca_pub next | sed 's/[\/&]/\\&/g')/" \
    "$(rig_host_conf a)"
rig_assert "overlayd --check a (two authorities)" "$OVERLAYD" -c "$(rig_host_conf a)" --check
out=$(rig_ctl a reload 2>&1) || rig_fail "a reload (second authority) failed: $out"
grep -q "authorities: 2 trusted" <<<"$out" || rig_fail "a reload: $out"
_d_up() { [ "$(rig_peer_state a d)" = up ]; }
rig_poll 20 "a admits d (certificate of authority next)" _d_up
rig_assert_eq "$(rig_peer_state a b)" up "a: link to b after trusting a second authority"
rig_guest_create d blue d1 10.100.0.4 52:54:00:00:38:04
rig_ping d1 10.100.0.1
rig_ping_fails d1 10.100.0.3            # c: revoked by a and b, and trusts main only
rig_assert "a still does not list c" cert_peer_absent a c
rig_pass
