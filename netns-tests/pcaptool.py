#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""pcaptool — read tcpdump captures and re-send UDP datagrams (stdlib only).

Used by the netns scenarios:
  count FILE HEX            occurrences of a byte string anywhere in the raw file
  macs FILE                 distinct Ethernet source/destination MACs, one a line
  udp FILE [filters]        number of matching IPv4/UDP datagrams (Ethernet or,
                            from tcpdump -i any, Linux cooked SLL/SLL2 frames)
  list FILE [filters]       one line per matching datagram (index, addresses,
                            length, first payload byte, bytes 8..15 as LE u64)
  replay FILE IFACE [filters] [--skip N] [--count N] [--flip OFF] [--set-sport P]

A capture on a veth shows a UDP GSO send (the daemon sends a run of
equal-size link packets to one host in one message) as one datagram: the
filters and replay see each link packet of such a run as a datagram of its
own (split_run), as the receiving host does.
                            re-send matching Ethernet frames on IFACE
                            (AF_PACKET) with the MACs they were captured
                            with (so capture on the port they are re-sent
                            on), optionally with the payload byte at OFF
                            (negative: from the end) XORed with 0x01 and/or
                            the UDP source port set to P; IP and UDP
                            checksums are recomputed so the receiving kernel
                            hands the datagram to the socket
Filters: --src IP --dst IP --sport P --dport P --port P (either side)
         --type T (first UDP payload byte) --max-len N (frame length)
         --min-udp N (UDP payload length)
"""
import argparse
import socket
import struct
import sys

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113    # tcpdump -i any (older libpcap): 16-byte header
LINKTYPE_LINUX_SLL2 = 276   # tcpdump -i any (libpcap >= 1.10): 20-byte header


def read_pcap(path):
    """Yield (linktype, frame bytes) for every record of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a pcap file (pcapng is not supported)")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        yield linktype, data[off:off + incl]
        off += incl


def l3_start(linktype, frame):
    """Return (ethertype, offset of the network header) of a frame, or None."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        ethertype, l3 = struct.unpack("!H", frame[12:14])[0], 14
        if ethertype == 0x8100 and len(frame) >= 18:
            ethertype, l3 = struct.unpack("!H", frame[16:18])[0], 18
        return ethertype, l3
    if linktype == LINKTYPE_LINUX_SLL and len(frame) >= 16:
        return struct.unpack("!H", frame[14:16])[0], 16
    if linktype == LINKTYPE_LINUX_SLL2 and len(frame) >= 20:
        return struct.unpack("!H", frame[0:2])[0], 20
    return None


def parse_udp(frame, linktype=LINKTYPE_ETHERNET):
    """Return a dict for an IPv4/UDP frame (Ethernet or Linux cooked), or None."""
    start = l3_start(linktype, frame)
    if start is None:
        return None
    ethertype, l3 = start
    if ethertype != 0x0800 or len(frame) < l3 + 20 + 8:
        return None
    ihl = (frame[l3] & 0x0F) * 4
    if frame[l3 + 9] != 17 or ihl < 20:
        return None
    l4 = l3 + ihl
    sport, dport, ulen = struct.unpack("!HHH", frame[l4:l4 + 6])
    payload = frame[l4 + 8:l4 + ulen] if ulen >= 8 else b""
    return {
        "src": socket.inet_ntoa(frame[l3 + 12:l3 + 16]),
        "dst": socket.inet_ntoa(frame[l3 + 16:l3 + 20]),
        "sport": sport, "dport": dport, "l3": l3, "l4": l4,
        "payload": payload, "linktype": linktype,
    }


def matches(u, a, frame):
    if u is None:
        return False
    if a.src and u["src"] != a.src:
        return False
    if a.dst and u["dst"] != a.dst:
        return False
    if a.sport is not None and u["sport"] != a.sport:
        return False
    if a.dport is not None and u["dport"] != a.dport:
        return False
    if a.port is not None and a.port not in (u["sport"], u["dport"]):
        return False
    if a.type is not None and (not u["payload"] or u["payload"][0] != a.type):
        return False
    if a.max_len is not None and len(frame) > a.max_len:
        return False
    if a.min_udp is not None and len(u["payload"]) < a.min_udp:
        return False
    return True


def run_length(p):
    """Length of each link data packet when @p holds a run of them (a UDP
    GSO send, captured on a veth before anything cut it), else None: the
    next packet starts with type 4, the same receiver index and the next
    counter."""
    if len(p) < 64 or p[0] != 4:
        return None
    ctr = struct.unpack("<Q", p[8:16])[0]
    for n in range(32, len(p) - 16 + 1):
        if p[n] == 4 and p[n + 4:n + 8] == p[4:8] and \
                struct.unpack("<Q", p[n + 8:n + 16])[0] == ctr + 1:
            return n
    return None


def split_run(frame, u):
    """The datagrams of a captured UDP GSO run, each a frame of its own."""
    n = run_length(u["payload"])
    if n is None:
        return [(frame, u)]
    out, p, l3, l4 = [], u["payload"], u["l3"], u["l4"]
    for off in range(0, len(p), n):
        seg = p[off:off + n]
        b = bytearray(frame[:l4 + 8]) + seg
        b[l3 + 2:l3 + 4] = struct.pack("!H", l4 - l3 + 8 + len(seg))
        b[l4 + 4:l4 + 6] = struct.pack("!H", 8 + len(seg))
        v = dict(u)
        v["payload"] = bytes(seg)
        out.append((bytes(b), v))
    return out


def selected(a):
    out = []
    for lt, frame in read_pcap(a.file):
        u = parse_udp(frame, lt)
        if u is None:
            continue
        for f, v in split_run(frame, u):
            if matches(v, a, f):
                out.append((f, v))
    return out


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix_checksums(frame, u):
    b = bytearray(frame)
    l3, l4 = u["l3"], u["l4"]
    ihl = l4 - l3
    b[l3 + 10:l3 + 12] = b"\0\0"
    b[l3 + 10:l3 + 12] = struct.pack("!H", csum(bytes(b[l3:l4])))
    ulen = struct.unpack("!H", b[l4 + 4:l4 + 6])[0]
    b[l4 + 6:l4 + 8] = b"\0\0"
    pseudo = bytes(b[l3 + 12:l3 + 20]) + struct.pack("!BBH", 0, 17, ulen)
    c = csum(pseudo + bytes(b[l4:l4 + ulen]))
    b[l4 + 6:l4 + 8] = struct.pack("!H", c if c else 0xFFFF)
    del ihl
    return bytes(b)


def cmd_count(a):
    with open(a.file, "rb") as f:
        data = f.read()
    print(data.count(bytes.fromhex(a.hex)))


def cmd_macs(a):
    seen = set()
    for lt, frame in read_pcap(a.file):
        if lt != LINKTYPE_ETHERNET or len(frame) < 14:
            continue
        for m in (frame[0:6], frame[6:12]):
            seen.add(":".join("%02x" % x for x in m))
    for m in sorted(seen):
        print(m)


def cmd_udp(a):
    print(len(selected(a)))


def cmd_list(a):
    for i, (frame, u) in enumerate(selected(a)):
        p = u["payload"]
        ctr = struct.unpack("<Q", p[8:16])[0] if len(p) >= 16 else -1
        print(f"{i} {u['src']}:{u['sport']} > {u['dst']}:{u['dport']} "
              f"frame={len(frame)} udp={len(p)} type={p[0] if p else -1} ctr={ctr}")


def cmd_replay(a):
    frames = selected(a)[a.skip:a.skip + a.count]
    if len(frames) < a.count:
        raise SystemExit(f"replay: only {len(frames)} matching datagrams, {a.count} wanted")
    if any(u["linktype"] != LINKTYPE_ETHERNET for _, u in frames):
        raise SystemExit("replay: the capture is not Ethernet (tcpdump -i any?); "
                         "capture on the port the frames are to be re-sent on")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for frame, u in frames:
        if a.flip is not None:
            b = bytearray(frame)
            pos = u["l4"] + 8 + (a.flip if a.flip >= 0 else len(u["payload"]) + a.flip)
            b[pos] ^= 0x01
            frame = bytes(b)
        if a.set_sport is not None:
            b = bytearray(frame)
            b[u["l4"]:u["l4"] + 2] = struct.pack("!H", a.set_sport)
            frame = bytes(b)
        out = fix_checksums(frame, u)
        s.send(out)
        p = u["payload"]
        ctr = struct.unpack("<Q", p[8:16])[0] if len(p) >= 16 else -1
        sport = a.set_sport if a.set_sport is not None else u['sport']
        print(f"sent {u['src']}:{sport} > {u['dst']}:{u['dport']} udp={len(p)} "
              f"ctr={ctr}{' flipped' if a.flip is not None else ''}")
    s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def filters(p):
        p.add_argument("--src")
        p.add_argument("--dst")
        p.add_argument("--sport", type=int)
        p.add_argument("--dport", type=int)
        p.add_argument("--port", type=int)
        p.add_argument("--type", type=int)
        p.add_argument("--max-len", type=int)
        p.add_argument("--min-udp", type=int)

    p = sub.add_parser("count")
    p.add_argument("file")
    p.add_argument("hex")
    p = sub.add_parser("macs")
    p.add_argument("file")
    for name in ("udp", "list"):
        p = sub.add_parser(name)
        p.add_argument("file")
        filters(p)
    p = sub.add_parser("replay")
    p.add_argument("file")
    p.add_argument("iface")
    filters(p)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--flip", type=int)
    p.add_argument("--set-sport", type=int)
    a = ap.parse_args()
    {"count": cmd_count, "macs": cmd_macs, "udp": cmd_udp,
     "list": cmd_list, "replay": cmd_replay}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
