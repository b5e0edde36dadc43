/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CTL_CMDS_H
#define OVL_OVERLAYD_CTL_CMDS_H

/*
 * DOC: ctl_cmds — the daemon side of overlayctl's commands
 *
 * ctl_cmd_run() executes one request (argv[0] is the command) against the
 * daemon and writes the reply body into @out: aligned text columns, or
 * with @json one JSON document whose field names and types are fixed by
 * the contract (../shared/CONTRACT.md "JSON shapes"). On failure @out
 * holds a one-line reason (reload: one line per problem).
 */

#include <stdbool.h>

struct daemon;
struct sbuf;

/* Returns 0 on success, -1 on failure (reason in @out), or CTL_DEFERRED
 * (ctl_server.h): the command answers later through ctl_server_reply(). */
int ctl_cmd_run(struct daemon *d, int argc, char **argv, bool json, struct sbuf *out);

#endif
