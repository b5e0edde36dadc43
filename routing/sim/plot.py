#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Plot lookup hops vs N from ringsim CSV rows as a hand-written SVG.

usage: plot.py [results.csv] [out.svg]
CSV columns (ringsim -c): n, build, hops_mean, hops_p99, success, get_success,
state_entries, state_bytes, msgs_per_host_s, t_join, t_heal, success_after, wall_s,
links_mean, links_p99, links_max, out_degree_mean, log2_n, relay_hops_mean,
relay_hops_p99, relay_success (older rows stop at wall_s; only n and hops are read).
Where several rows have the same n (100k: bulk, then waves) the last one is plotted.
Python 3 standard library only.
"""
import csv
import math
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "routing/sim/results.csv"
dst = sys.argv[2] if len(sys.argv) > 2 else "docs/routing-hops.svg"

by_n = {}
with open(src, newline="") as f:
    for r in csv.reader(f):
        if not r or r[0].startswith("#") or r[0] == "n":
            continue
        by_n[int(r[0])] = (int(r[0]), float(r[2]), float(r[3]))
rows = sorted(by_n.values())
if not rows:
    sys.exit("no rows in " + src)

W, H, L, R, T, B = 640, 400, 60, 20, 40, 50
nmin, nmax = 100, 100000
ymax = max(max(p99 for _, _, p99 in rows), 0.5 * math.log2(nmax) + 1) + 1


def x(n):
    return L + (W - L - R) * (math.log10(n) - math.log10(nmin)) / (math.log10(nmax) - math.log10(nmin))


def y(v):
    return H - B - (H - T - B) * v / ymax


def poly(points, color, dash=""):
    pts = " ".join("%.1f,%.1f" % p for p in points)
    extra = ' stroke-dasharray="%s"' % dash if dash else ""
    return '<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>' % (color, extra, pts)


out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
       'font-family="sans-serif" font-size="12">' % (W, H),
       '<rect width="100%" height="100%" fill="white"/>',
       '<text x="%d" y="20" font-size="14">overlayd ring: lookup hops vs N (ringsim)</text>' % L]
for n in (100, 1000, 10000, 100000):
    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x(n), T, x(n), H - B))
    out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x(n), H - B + 18, n))
for v in range(0, int(ymax) + 1, 2):
    out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (L, y(v), W - R, y(v)))
    out.append('<text x="%d" y="%.1f" text-anchor="end">%d</text>' % (L - 6, y(v) + 4, v))
out.append('<text x="%d" y="%d" text-anchor="middle">N (hosts, log scale)</text>' % ((L + W - R) // 2, H - 12))
out.append('<text x="16" y="%d" transform="rotate(-90 16 %d)" text-anchor="middle">hops</text>'
           % ((T + H - B) // 2, (T + H - B) // 2))
ref = [(x(n), y(0.5 * math.log2(n))) for n in (100, 1000, 10000, 100000)]
tgt = [(x(n), y(0.5 * math.log2(n) + 1)) for n in (100, 1000, 10000, 100000)]
out.append(poly(ref, "#999", "4,4"))
out.append(poly(tgt, "#d62728", "6,3"))
out.append(poly([(x(n), y(m)) for n, m, _ in rows], "#1f77b4"))
out.append(poly([(x(n), y(p)) for n, _, p in rows], "#ff7f0e"))
for n, m, p in rows:
    out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#1f77b4"/>' % (x(n), y(m)))
    out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#ff7f0e"/>' % (x(n), y(p)))
    out.append('<text x="%.1f" y="%.1f" fill="#1f77b4">%.2f</text>' % (x(n) + 5, y(m) + 14, m))
legend = [("#1f77b4", "", "mean hops"), ("#ff7f0e", "", "p99 hops"),
          ("#d62728", "6,3", "target: 1/2 log2 N + 1"), ("#999", "4,4", "1/2 log2 N")]
for i, (c, d, label) in enumerate(legend):
    yy = T + 10 + 16 * i
    out.append(poly([(L + 10, yy), (L + 40, yy)], c, d))
    out.append('<text x="%d" y="%d">%s</text>' % (L + 46, yy + 4, label))
out.append("</svg>")
with open(dst, "w") as f:
    f.write("\n".join(out) + "\n")
print("wrote", dst)
