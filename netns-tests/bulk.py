#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Byte-exact UDP echoes and hashed TCP bulk transfers (netns-tests, scenario 41).

  bulk.py udpecho ADDR PORT          echo every UDP datagram back to its
                                     sender, forever
  bulk.py udpcheck ADDR PORT SIZE... send one datagram of random bytes per
                                     SIZE; each echo must be byte-identical
                                     (a lost one is re-sent, up to 5 times);
                                     exit 1 naming the first size that broke
  bulk.py tcpsink ADDR PORT OUT      accept one stream, read it to its end,
                                     then write OUT (JSON: bytes, sha256,
                                     seconds from the first byte to the end)
  bulk.py tcpsource ADDR PORT MIB    send MIB MiB of random bytes, close, wait
                                     for the receiver's close; print JSON
                                     (bytes, sha256, seconds)

Random data, not a pattern: a segment boundary or a fragment put back at the
wrong offset cannot go unnoticed by chance of a repeating pattern.
"""
import hashlib
import json
import os
import select
import socket
import sys
import time

TRIES, WAIT_S = 5, 1.0


def udpecho(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def udpcheck(addr, port, *sizes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((addr, int(port)))
    sent = set()          # echoes of earlier datagrams may still arrive late
    for size in map(int, sizes):
        payload = os.urandom(size)
        sent.add(payload)
        ok, stray, tries = False, 0, 0
        while not ok and tries < TRIES:
            s.send(payload)
            tries += 1
            deadline = time.monotonic() + WAIT_S
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    break
                echo = s.recv(65535)
                if echo == payload:
                    ok = True
                    break
                if echo in sent:
                    stray += 1
                    continue
                print("size %d: echo differs: %d bytes back, first difference at byte %d"
                      % (size, len(echo), _first_diff(echo, payload)), file=sys.stderr)
                sys.exit(1)
        if not ok:
            print("size %d: no echo after %d tries" % (size, tries), file=sys.stderr)
            sys.exit(1)
        print("  udp %5d bytes: identical echo (tries %d, late echoes %d)" % (size, tries, stray),
              file=sys.stderr)


def tcpsink(addr, port, out):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(1)
    conn, _ = srv.accept()
    h, total, t0 = hashlib.sha256(), 0, None
    while True:
        data = conn.recv(1 << 18)
        if not data:
            break
        if t0 is None:
            t0 = time.monotonic()
        h.update(data)
        total += len(data)
    secs = time.monotonic() - t0 if t0 is not None else 0.0
    conn.close()
    with open(out + ".tmp", "w") as f:
        json.dump({"bytes": total, "sha256": h.hexdigest(), "seconds": round(secs, 3)}, f)
    os.rename(out + ".tmp", out)


def tcpsource(addr, port, mib):
    data = os.urandom(int(mib) << 20)
    s = socket.create_connection((addr, int(port)), timeout=30)
    s.settimeout(30)      # a send blocked this long is a broken stream
    t0 = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)             # the receiver's close: everything was read
    secs = time.monotonic() - t0
    s.close()
    print(json.dumps({"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "seconds": round(secs, 3)}))


if __name__ == "__main__":
    {"udpecho": udpecho, "udpcheck": udpcheck, "tcpsink": tcpsink,
     "tcpsource": tcpsource}[sys.argv[1]](*sys.argv[2:])
