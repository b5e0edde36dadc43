# SPDX-License-Identifier: GPL-2.0-only
# Shared prologue of the overlayd/tests/smoke_*.sh scripts (sourced, not
# run). The caller sets SMOKE_PREFIX (a short tag) and passes OVERLAYD and
# OVERLAYCTL as $1 and $2. Provides D, C, a temp dir T, the run prefix P
# for namespace names ("$P-a", ...), PIDS (daemons to stop), fail and inns,
# and an EXIT trap that stops every daemon, prints their logs on failure
# (or with SMOKE_VERBOSE set) and deletes every "$P-*" namespace.
set -euo pipefail
D=$1
C=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip ping jq; do command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }; done

P="${SMOKE_PREFIX:?}$$"
T=$(mktemp -d "/tmp/$P.XXXXXX")
PIDS=()
cleanup() {
    local rc=$?
    set +e
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ $rc -ne 0 ] || [ -n "${SMOKE_VERBOSE:-}" ]; then
        for h in a b; do echo "----- overlayd $h -----"; cat "$T/$h.log" 2>/dev/null; done
    fi
    for n in $(ip netns list | awk '{print $1}' | grep "^$P-"); do ip netns del "$n"; done
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
inns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
