#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 10 with certificates: RING_N hosts (default 12) with certificates
# from one authority, each knowing only h1 as its [Peer]; every other host is
# found through the ring and linked on demand; RING_KILL daemons (default 3)
# are SIGKILLed at once. The assertions are 11-ring.sh's. RING_N=24 (5
# killed) runs the issue's full scenario; its link bound (assertion 4) is
# not met reliably yet (see docs/design.md, "Ring").
export RING_AUTH=1 RING_N=${RING_N:-12}
if [ "$RING_N" -ge 24 ]; then export RING_KILL=${RING_KILL:-5}; else export RING_KILL=${RING_KILL:-3}; fi
exec bash "$(dirname "$0")/11-ring.sh"
