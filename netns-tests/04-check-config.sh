#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 4a — `overlayd --check` on broken and good configurations.
# Each broken case must exit 1 and name the problem as `path:line:` on stderr
# (`path:` with no line for a key file readable by others); a file with two
# problems reports both; the good configuration exits 0. --check must not
# create the control socket. Needs no root and no namespace.
RIG_NO_ROOT=1
. "$(dirname "$0")/lib.sh"
rig_init

D=$RIG_DIR/cfg
mkdir -p "$D/enclaves"
(umask 077; "$OVERLAYCTL" genkey > "$D/host.key")
chmod 0600 "$D/host.key"
PUB=$("$OVERLAYCTL" genkey | "$OVERLAYCTL" pubkey)   # some other host

# write_host [extra line for line 7]: the good host config; line numbers are
# fixed: 3 = PrivateKeyFile, 7 = the extra line.
write_host() {
    local keyfile=${2:-$D/host.key}
    cat > "$D/overlayd.conf" <<EOF
[Host]
Name = h1
PrivateKeyFile = $keyfile
ListenPort = 51900
ControlSocket = $D/ctl.sock
EnclaveDir = $D/enclaves
${1:-# nothing}

[Peer]
Name = h2
PublicKey = $PUB
Endpoint = 10.201.0.2:51900
EOF
}

# write_enclave FILE NAME ID MAC: line 3 = Id, line 8 = MAC.
write_enclave() {
    cat > "$D/enclaves/$1" <<EOF
[Enclave]
Name = $2
Id = $3
MTU = 1400

[Member]
Name = vm-$2
MAC = $4
Address = 10.100.0.1/24
EOF
}

reset_good() {
    rm -f "$D"/enclaves/*.conf
    write_host
    write_enclave a.conf blue 100 52:54:00:00:01:01
    write_enclave b.conf red 200 52:54:00:00:02:01
    chmod 0600 "$D/host.key"
}

# check WANT_RC: run --check, keep stderr in $ERR.
check() {
    local want=$1 rc=0
    rig_log "$OVERLAYD -c $D/overlayd.conf --check"
    "$OVERLAYD" -c "$D/overlayd.conf" --check 2>"$RIG_DIR/err" >/dev/null || rc=$?
    ERR=$(cat "$RIG_DIR/err")
    printf '%s\n' "$ERR" | sed 's/^/  stderr: /' >&2
    rig_assert_eq "$rc" "$want" "exit status of --check"
    [ ! -e "$D/ctl.sock" ] || rig_fail "--check created the control socket"
}

# expect REGEX: some stderr line must match ^REGEX
expect() {
    grep -qE "^$1" <<<"$ERR" || rig_fail "stderr has no line matching ^$1"
    printf '  ok: stderr line ^%s\n' "$1" >&2
}
re() { sed 's/\./\\./g' <<<"$1"; }   # escape a path for grep -E (mktemp: [A-Za-z0-9./])
CONF=$(re "$D/overlayd.conf")
ENC=$(re "$D/enclaves")
KEY=$(re "$D/host.key")

rig_say "good configuration"
reset_good
check 0

rig_say "unknown key in [Host] (line 7)"
reset_good; write_host "Colour = blue"
check 1; expect "$CONF:7: "

rig_say "unknown section (line 7)"
reset_good; write_host "[Bogus]"
check 1; expect "$CONF:7: "

rig_say "bad MAC in an enclave file (line 8)"
reset_good; write_enclave a.conf blue 100 52:54:00:00:01
check 1; expect "$ENC/a\\.conf:8: "

rig_say "duplicate enclave id (line 3 of one of the files)"
reset_good; write_enclave b.conf red 100 52:54:00:00:02:01
check 1; expect "$ENC/[ab]\\.conf:3: "

rig_say "missing key file (line 3)"
reset_good; write_host "" "$D/no-such.key"
check 1; expect "$CONF:3: "

rig_say "key file mode 0644 (no line)"
reset_good; chmod 0644 "$D/host.key"
check 1
# The contract's "path: message" (no line): either the key file's own path, or
# the config's path with a message naming the key file.
expect "($KEY|$CONF): (.*$KEY)?"
grep -qE "^($KEY|$CONF):[0-9]" <<<"$ERR" && rig_fail "mode problem reported with a line number"
grep -qE "^($KEY: |$CONF: .*$KEY)" <<<"$ERR" || rig_fail "mode problem does not name the key file"

rig_say "two problems in two files: both reported"
reset_good; write_host "Colour = blue"; write_enclave a.conf blue 100 zz:54:00:00:01:01
check 1; expect "$CONF:7: "; expect "$ENC/a\\.conf:8: "

rig_say "good configuration again"
reset_good
check 0

rig_pass
