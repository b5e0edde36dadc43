#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""qmp.py SOCKET migrate URI | status — QEMU's QMP, just what
33-qemu-migration needs.

migrate URI: start a live migration to URI (e.g. tcp:10.201.0.3:4444) and
poll query-migrate until it completes; print one JSON line with QEMU's
figures (status, total-time, downtime, setup-time in ms, and the
transferred RAM). Exit 1 if it fails or takes over 120 s.
status: print query-status (running, inmigrate, paused, ...).
"""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rwb", buffering=0)
        self._read()                       # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise SystemExit("qmp: QEMU closed the socket")
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "event" in r:               # asynchronous: not our answer
                continue
            if "error" in r:
                raise SystemExit("qmp: %s: %s" % (name, r["error"]))
            return r["return"]


def migrate(q, uri):
    q.cmd("migrate", uri=uri)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = q.cmd("query-migrate")
        st = info.get("status")
        if st == "completed":
            out = {k: info.get(k) for k in ("status", "total-time", "downtime", "setup-time")}
            out["ram-transferred"] = info.get("ram", {}).get("transferred")
            print(json.dumps(out))
            return 0
        if st in ("failed", "cancelled"):
            print(json.dumps(info), file=sys.stderr)
            return 1
        time.sleep(0.05)
    print("qmp: migration not completed within 120 s", file=sys.stderr)
    return 1


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    q = Qmp(sys.argv[1])
    if sys.argv[2] == "migrate" and len(sys.argv) == 4:
        return migrate(q, sys.argv[3])
    if sys.argv[2] == "status":
        print(q.cmd("query-status")["status"])
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
