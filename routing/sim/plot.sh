#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Plot the partition time series that ringsim writes with -P and -c
# (routing/sim/part.c) as an SVG: successor rings and hosts out of place,
# and the share of lookups answered with the right owner, over time.
#
# usage: routing/sim/plot.sh [series.csv] [out.svg]
#   defaults: routing/sim/partition.csv docs/routing-partition.svg
#   regenerate the data: ringsim -n 10000 -w 2 -P 45 -c routing/sim/partition.csv
# Needs gnuplot (Debian: gnuplot-nox).
set -eu

src=${1:-routing/sim/partition.csv}
dst=${2:-docs/routing-partition.svg}

# The heal: the first row of phase "healed" (column 2).
heal=$(awk -F, '$2 == "healed" { print $1; exit }' "$src")
[ -n "$heal" ] || { echo "plot.sh: no rows after the heal in $src" >&2; exit 1; }

gnuplot <<GP
set terminal svg size 760,600 dynamic font "sans,12" background "white"
set output '$dst'
set datafile separator ','
set multiplot layout 2,1 title "Partition and heal (ringsim -P): split at 0 s, healed at $heal s"
set grid
set xlabel 'seconds since the split'
set arrow 1 from $heal, graph 0 to $heal, graph 1 nohead dashtype 2 lc rgb 'gray40'
set key below

set ylabel 'rings (cycles of first successors)'
set yrange [0:*]
set y2label 'hosts'
set y2range [0:*]
set ytics nomirror
set y2tics
plot '$src' every ::1 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'rings', \
     '' every ::1 using 1:4 axes x1y2 with lines lw 2 lc rgb '#d62728' \
        title 'hosts out of place (against the whole ring)'

unset y2label
unset y2tics
set ytics mirror
set ylabel 'lookups correct (%)'
set yrange [0:105]
set key below
plot '$src' every ::1 using 1:(\$5 > 0 ? 100.0 * \$6 / \$5 : NaN) with linespoints pt 7 ps 0.4 lw 1.5 \
     lc rgb '#2ca02c' title 'issued in each 0.5 s, answered with the global owner'
unset multiplot
GP
echo "wrote $dst"
