#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# overlayctl argument handling: bad input exits 1 with one "overlayctl: ..."
# line on stderr; key commands match the documented forms. No daemon, no root.
set -u
CTL=$1
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nosock="$tmp/none.sock"

# expect_fail DESC PATTERN ARGS... : exit 1, one stderr line matching PATTERN
expect_fail() {
    local desc=$1 pat=$2; shift 2
    "$CTL" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "FAIL: $desc: exit $rc, want 1 (overlayctl $*)"; fails=$((fails + 1)); return
    fi
    if [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -q -- "$pat" "$tmp/err"; then
        echo "FAIL: $desc: stderr '$(cat "$tmp/err")' does not match '$pat'"; fails=$((fails + 1)); return
    fi
    if [ -s "$tmp/out" ]; then
        echo "FAIL: $desc: unexpected stdout '$(cat "$tmp/out")'"; fails=$((fails + 1))
    fi
}

expect_fail "no command" "no command given" -s "$nosock"
expect_fail "unknown command" "unknown command frobnicate" -s "$nosock" frobnicate
expect_fail "unknown option" "unknown option --bogus" --bogus status
expect_fail "-s without path" "-s needs a socket path" -s
expect_fail "daemon not running" "daemon not running ($nosock: No such file or directory)" -s "$nosock" status
expect_fail "daemon not running (json)" "daemon not running" -s "$nosock" --json peers
expect_fail "fdb without enclave" "usage: fdb ENCLAVE" -s "$nosock" fdb
expect_fail "neigh without enclave" "usage: neigh ENCLAVE" -s "$nosock" neigh
expect_fail "attach missing ifname" "usage: attach" -s "$nosock" attach blue
expect_fail "attach bad mac" "bad MAC zz:" -s "$nosock" attach blue veth0 --mac zz:00:00:00:00:00
expect_fail "attach multicast mac" "bad MAC 01:" -s "$nosock" attach blue veth0 --mac 01:00:5e:00:00:01
expect_fail "attach stray arg" "unexpected argument --foo" -s "$nosock" attach blue veth0 --foo
expect_fail "detach no args" "usage: detach IFNAME" -s "$nosock" detach
expect_fail "status extra arg" "takes no arguments" -s "$nosock" status extra
expect_fail "ring extra arg" "ring: takes no arguments" -s "$nosock" ring extra
expect_fail "ring daemon not running" "daemon not running" -s "$nosock" ring
expect_fail "lookup no mac" "usage: lookup ENCLAVE MAC" -s "$nosock" lookup blue
expect_fail "lookup bad mac" "bad MAC zz:" -s "$nosock" lookup blue zz:00:00:00:00:01
expect_fail "lookup daemon not running" "daemon not running" -s "$nosock" lookup blue 52:54:00:00:00:01
expect_fail "genkey args" "takes no arguments" genkey extra

# A daemon's multi-line error (a refused reload: one problem per line) is
# printed as ONE line, the problems joined with "; ". A one-shot fake
# daemon answers the request.
fake="$tmp/fake.sock"
python3 - "$fake" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(10)
c, _ = s.accept()
buf = b""
while not buf.endswith(b"\n\n"):
    d = c.recv(4096)
    if not d:
        break
    buf += d
c.sendall(b"error\n/etc/x/a.conf:3: bad key\n/etc/x/b.conf:5: bad id\nreload refused\n")
c.close()
PY
fakepid=$!
for _ in $(seq 50); do [ -S "$fake" ] && break; sleep 0.1; done
expect_fail "multi-line daemon error joined" \
    "^overlayctl: /etc/x/a.conf:3: bad key; /etc/x/b.conf:5: bad id; reload refused$" -s "$fake" reload
wait "$fakepid" 2>/dev/null

# pubkey: bad input
printf 'not a key\n' | "$CTL" pubkey >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q "overlayctl: pubkey: invalid private key" "$tmp/err"; then
    echo "FAIL: pubkey bad input: exit $rc, stderr '$(cat "$tmp/err")'"; fails=$((fails + 1))
fi

# genkey | pubkey: 44-char base64 keys; RFC 7748 section 6.1 vector (Alice)
k=$("$CTL" genkey) || { echo "FAIL: genkey"; fails=$((fails + 1)); }
if ! [[ "$k" =~ ^[A-Za-z0-9+/]{43}=$ ]]; then
    echo "FAIL: genkey output '$k'"; fails=$((fails + 1))
fi
p=$(printf '%s\n' "$k" | "$CTL" pubkey) || { echo "FAIL: pubkey of genkey"; fails=$((fails + 1)); }
[[ "$p" =~ ^[A-Za-z0-9+/]{43}=$ ]] || { echo "FAIL: pubkey output '$p'"; fails=$((fails + 1)); }
# Alice's private key 77076d0a...2c2a and public key 8520f009...4e6a, base64
p=$(printf 'dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n' | "$CTL" pubkey)
if [ "$p" != "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=" ]; then
    echo "FAIL: pubkey RFC 7748 vector: got '$p'"; fails=$((fails + 1))
fi

# --json for the local commands: one JSON document, same values as the text.
# jfield FILE KEY: the value of top-level KEY (lists comma-joined, null -> "null")
jfield() {
    jq -j --arg k "$2" '.[$k] | if type == "array" then map(tostring) | join(",")
                               elif . == null then "null" else tostring end' "$1"
}
jcheck() {   # jcheck DESC GOT WANT
    [ "$2" == "$3" ] || { echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); }
}
alice='dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo='
alice_pub='hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo='
"$CTL" --json genkey >"$tmp/gk.json" || { echo "FAIL: --json genkey"; fails=$((fails + 1)); }
k=$(jfield "$tmp/gk.json" private_key)
[[ "$k" =~ ^[A-Za-z0-9+/]{43}=$ ]] || { echo "FAIL: --json genkey: '$(cat "$tmp/gk.json")'"; fails=$((fails + 1)); }
"$CTL" genkey --json >"$tmp/gk2.json" && jfield "$tmp/gk2.json" private_key >/dev/null ||
    { echo "FAIL: genkey --json (after the command)"; fails=$((fails + 1)); }
printf '%s\n' "$alice" | "$CTL" --json pubkey >"$tmp/pk.json"
jcheck "--json pubkey" "$(jfield "$tmp/pk.json" public_key)" "$alice_pub"
printf '%s\n' "$k" | "$CTL" --json pubkey >"$tmp/pk.json"
jcheck "--json pubkey of --json genkey" "$(jfield "$tmp/pk.json" public_key)" \
    "$(printf '%s\n' "$k" | "$CTL" pubkey)"
expect_fail "--json pubkey bad input" "invalid private key" --json pubkey

"$CTL" --json ca init "$tmp/ca" >"$tmp/ca.json" || { echo "FAIL: --json ca init"; fails=$((fails + 1)); }
jcheck "ca init --json authority_public_key" "$(jfield "$tmp/ca.json" authority_public_key)" \
    "$(cat "$tmp/ca/authority.pub")"
jcheck "ca init --json dir" "$(jfield "$tmp/ca.json" dir)" "$tmp/ca"
expect_fail "--json ca init again" "refusing to overwrite" ca init "$tmp/ca" --json

# cert issue --json: the fields and the certificate text; cert show agrees.
"$CTL" cert issue --ca "$tmp/ca" --name host-j --pubkey "$alice_pub" --enclaves 100,7 \
    --valid 30d --json >"$tmp/issue.json" || { echo "FAIL: cert issue --json"; fails=$((fails + 1)); }
jfield "$tmp/issue.json" certificate >"$tmp/host-j.cert"
"$CTL" cert show "$tmp/host-j.cert" --ca "$tmp/ca" >"$tmp/show.txt" ||
    { echo "FAIL: cert show of the --json certificate"; fails=$((fails + 1)); }
"$CTL" --json cert show "$tmp/host-j.cert" --ca "$tmp/ca" >"$tmp/show.json" ||
    { echo "FAIL: --json cert show"; fails=$((fails + 1)); }
label() { sed -n "s/^$1: //p" "$tmp/show.txt"; }
for f in issue show; do
    j="$tmp/$f.json"
    jcheck "$f --json name" "$(jfield "$j" name)" "$(label name)"
    jcheck "$f --json public_key" "$(jfield "$j" public_key)" "$(label 'public key')"
    jcheck "$f --json enclaves" "$(jfield "$j" enclaves)" "$(label enclaves)"
    jcheck "$f --json all_enclaves" "$(jfield "$j" all_enclaves)" false
    jcheck "$f --json serial" "$(jfield "$j" serial)" "$(label serial)"
    jcheck "$f --json not_before" "$(jfield "$j" not_before)" "$(label 'not before')"
    jcheck "$f --json not_after" "$(jfield "$j" not_after)" "$(label 'not after')"
    jcheck "$f --json authority" "$(jfield "$j" authority)" "$(label authority)"
done
jcheck "issue --json not_after_unix - not_before_unix" \
    "$(( $(jfield "$tmp/issue.json" not_after_unix) - $(jfield "$tmp/issue.json" not_before_unix) ))" \
    "$(( 30 * 86400 + 300 ))"
jcheck "show --json signature" "$(jfield "$tmp/show.json" signature)" "$(label signature)"
jcheck "show --json issuer" "$(jfield "$tmp/show.json" issuer)" "$(label issuer)"
jcheck "show --json validity" "$(jfield "$tmp/show.json" validity)" "$(label validity)"
"$CTL" cert show "$tmp/host-j.cert" --json >"$tmp/show2.json"
jcheck "show --json without --ca: issuer" "$(jfield "$tmp/show2.json" issuer)" null
jq -e . "$tmp/show2.json" >/dev/null 2>&1 &&
    [ "$(wc -l <"$tmp/show2.json")" -eq 1 ] || { echo "FAIL: cert show --json: not one JSON line"; fails=$((fails + 1)); }

# help succeeds
"$CTL" help >/dev/null 2>&1 || { echo "FAIL: help"; fails=$((fails + 1)); }

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all overlayctl argument checks passed"
