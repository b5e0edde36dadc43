#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A paced TCP byte stream with a stall meter (netns-tests, scenario 34).

  tcpstream.py recv ADDR PORT OUT   accept one stream; at its end write OUT
                                    (JSON: bytes, reads that broke the pattern, longest gap
                                    between two reads in ms, when it was)
  tcpstream.py send ADDR PORT STOP  send a counting byte pattern in 1 KiB
                                    chunks every 5 ms until file STOP exists
                                    (no catch-up burst after a blocked send),
                                    then close; print JSON (bytes sent)

The pattern (byte i of the stream is i % 251) lets the receiver check that
what arrives is the stream, in order, without a gap or a duplicate.
"""
import json
import os
import socket
import sys
import time

CHUNK, PACE_S = 1024, 0.005
PATTERN = bytes(i % 251 for i in range(251 * 300))   # longer than one read + 251


def recv(addr, port, out):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(1)
    conn, _ = srv.accept()
    total = bad = 0
    last = time.time()
    gap, gap_at = 0.0, 0.0
    while True:
        data = conn.recv(65536)
        now = time.time()
        if not data:
            break
        if total and now - last > gap:
            gap, gap_at = now - last, last
        last = now
        off = total % 251
        if data != PATTERN[off:off + len(data)]:
            bad += 1
        total += len(data)
    conn.close()
    with open(out + ".tmp", "w") as f:
        json.dump({"bytes": total, "bad": bad, "max_gap_ms": round(gap * 1000, 1),
                   "gap_after": round(gap_at, 6)}, f)
    os.rename(out + ".tmp", out)


def send(addr, port, stop):
    s = socket.create_connection((addr, int(port)), timeout=30)
    s.settimeout(30)      # a send blocked this long is a broken stream
    total, n = 0, 0
    nxt = time.time()
    while not (n % 50 == 0 and os.path.exists(stop)):
        off = total % 251
        s.sendall(PATTERN[off:off + CHUNK])
        total += CHUNK
        n += 1
        nxt += PACE_S
        d = nxt - time.time()
        if d > 0:
            time.sleep(d)
        elif d < -0.1:
            nxt = time.time()     # paced, not a burst after a stall
    s.shutdown(socket.SHUT_WR)
    s.recv(1)             # the receiver's close: everything was read
    s.close()
    print(json.dumps({"bytes": total}))


if __name__ == "__main__":
    {"recv": recv, "send": send}[sys.argv[1]](*sys.argv[2:5])
