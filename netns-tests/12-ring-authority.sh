#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 11 with certificates, the issue's full scenario: RING_N hosts
# (default 24) with certificates from one authority, each knowing only h1 as
# its [Peer]; every other host is found through the ring and linked on
# demand; RING_KILL daemons (5 when N >= 24) are SIGKILLed at once. The
# assertions are 11-ring.sh's, the O(log N) link bound included.
export RING_AUTH=1 RING_N=${RING_N:-24}
if [ "$RING_N" -ge 24 ]; then export RING_KILL=${RING_KILL:-5}; else export RING_KILL=${RING_KILL:-3}; fi
exec bash "$(dirname "$0")/11-ring.sh"
