/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_OVS_H
#define OVL_OVERLAYD_DATAPATH_OVS_H

/*
 * DOC: ovs — plugging an uplink TAP into an Open vSwitch bridge
 * (BridgeType = openvswitch) with ovs-vsctl, run with uv_spawn one call at
 * a time, each bounded by a timeout, never blocking the loop
 */

struct daemon;
struct enclave;

/* Queue `del-port UPLINK` then `add-port BRIDGE UPLINK` as two calls. */
void ovs_plug(struct daemon *d, const struct enclave *e);
/* Queue `del-port UPLINK`. */
void ovs_unplug(struct daemon *d, const struct enclave *e);
/* Drop calls not started yet (the loop ends); the running one finishes. */
void ovs_cancel_queued(struct daemon *d);

#endif
