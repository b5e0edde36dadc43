#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One entry point for a fresh Debian 12 machine (run as root):
#   ./dev.sh demo    install what is missing, build, run the live 3-host demo
#   ./dev.sh test    install what is missing, build, run every test suite
#                    (normal build, then again under ASan+UBSan), then run
#                    every fuzz target for OVL_FUZZ_SECONDS (default 20)
#   ./dev.sh deps    only install the packages
#   ./dev.sh build   only configure and build (build/)
#
# The test run ends with one line "N passed, N failed[, N skipped]" that
# totals meson's results over all three builds.
set -euo pipefail
cd "$(dirname "$0")"

PKGS=(
    build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
    libsodium-dev libuv1-dev libnl-3-dev libnl-route-3-dev libnetfilter-queue-dev
    iproute2 iputils-ping iputils-arping tcpdump iperf3 nftables iptables procps psmisc
    wireguard-tools wireguard-go tinc python3 jq
    openvswitch-switch qemu-system-x86 busybox-static
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
)

say() { printf '==> %s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "dev.sh: $1 needs root (network namespaces, bridges, TAPs): run it with sudo" >&2
        exit 1
    fi
}

deps() {
    local missing=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "all packages present"
        return 0
    fi
    need_root "installing packages"
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# setup DIR [meson options...]: configure DIR once, reconfigure when options change.
setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir"
}

build() {
    say "building build/"
    setup build
}

# run_suites DIR LABEL: run every suite of DIR; results are read back from testlog.json.
run_suites() {
    local dir=$1 label=$2; shift 2
    say "meson test ($label)"
    meson test -C "$dir" --print-errorlogs --timeout-multiplier "${OVL_TIMEOUT_MULT:-1}" "$@" || true
}

count_results() {
    python3 - "$@" <<'EOF'
import json, sys
passed = failed = skipped = 0
failures = []
for log in sys.argv[1:]:
    try:
        lines = open(log).read().splitlines()
    except OSError:
        failed += 1
        print(f"missing test log {log}: counted as one failure", file=sys.stderr)
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        r = t.get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append((log, t))
# CI keeps only the tail of the output: name each failure and repeat the end
# of its output just above the summary line.
for log, t in failures:
    print(f"==> FAILED ({t.get('result')}): {t.get('name')} [{log}]")
    out = ((t.get("stdout") or "") + (t.get("stderr") or "")).splitlines()
    # The verdict may sit above a long log dump: show it first.
    for l in [l for l in out if l.startswith(("FAIL", "not ok", "  FAIL"))][:5]:
        print(f"    >> {l}")
    for l in out[-25:]:
        print(f"    {l}")
for log, t in failures:
    print(f"failed: {t.get('name')} [{log}]")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
EOF
}

# A build that fails leaves no test log, which count_results counts as one
# failure: the summary line is printed whatever happens.
try_build() {
    local dir=$1; shift
    rm -f "$dir/meson-logs/testlog.json"
    if ! setup "$dir" "$@"; then
        say "BUILD FAILED: $dir"
        return 1
    fi
}

test_all() {
    deps
    need_root "the test suites"
    say "building build/"
    try_build build && run_suites build "normal build"
    say "building build-asan/ (ASan+UBSan)"
    try_build build-asan -Db_sanitize=address,undefined -Db_lundef=false &&
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        OVL_TIMEOUT_MULT=3 BCAST_N=12 PART_N=16 run_suites build-asan "ASan+UBSan" --no-suite scale
    local logs=(build/meson-logs/testlog.json build-asan/meson-logs/testlog.json)
    say "building build-fuzz/ (clang, libFuzzer, ASan+UBSan)"
    if CC=clang try_build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
        say "meson test --suite fuzz (each target ${OVL_FUZZ_SECONDS:-20} s)"
        meson configure build-fuzz -Dfuzz_seconds="${OVL_FUZZ_SECONDS:-20}" >/dev/null
        meson test -C build-fuzz --suite fuzz --print-errorlogs || true
    fi
    logs+=(build-fuzz/meson-logs/testlog.json)
    count_results "${logs[@]}"
}

demo() {
    deps
    need_root "the demo"
    build
    OVERLAYD="$PWD/build/overlayd/overlayd" OVERLAYCTL="$PWD/build/overlayd/overlayctl" \
        WAN_DELAY="$PWD/build/netns-tests/wan_delay" bash netns-tests/demo.sh
}

case "${1:-}" in
    deps) deps ;;
    build) deps; build ;;
    test) test_all ;;
    demo) demo ;;
    *)
        sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
