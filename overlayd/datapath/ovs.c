/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BridgeType = openvswitch: the bridge is an OVS bridge someone else owns;
 * our uplink TAP is its port. The TAP dies with our fd, so after a restart
 * (or an uplink reopen) a new TAP of the same name exists and OVS must be
 * told: ovs-vswitchd keeps the old port's dead netdev unless the port is
 * deleted and added again in two separate transactions (in one, OVSDB sees
 * no change and vswitchd reopens nothing). ovs-vsctl rather than our own
 * OVSDB client: it is OVS's own stable interface, finds the database the
 * way the operator's tools do (OVS_RUNDIR, or its default socket), and two
 * short calls per (re)open are no load worth a JSON-RPC client.
 *
 * Calls run one at a time in order (a del-port of a close must not
 * overtake the add-port of an earlier open), each with --timeout and our
 * own kill timer behind it.
 */
#include "overlayd/datapath/ovs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "overlayd/daemon.h"

enum {
    OVS_VSCTL_TIMEOUT_S = 5,            /* ovs-vsctl's own bound (--timeout) */
    OVS_KILL_MS = 8000,                 /* ours, if it ignores its own */
};

struct ovs_job {
    struct ovs_job *next;
    struct daemon *d;
    bool add;                           /* add-port, else del-port */
    char enclave[CONFIG_NAME_MAX + 1];  /* copies: the enclave may be gone */
    char bridge[CONFIG_IFNAME_MAX + 1];
    char port[CONFIG_IFNAME_MAX + 1];
    uv_process_t proc;
    uv_timer_t timer;
    int open_handles;
};

static void ovs_run_next(struct daemon *d);

static void ovs_job_closed(uv_handle_t *h)
{
    struct ovs_job *j = h->data;
    struct daemon *d = j->d;

    if (--j->open_handles > 0)
        return;
    d->ovs_jobs = j->next;
    free(j);
    ovs_run_next(d);
}

static const char *ovs_verb(const struct ovs_job *j)
{
    return j->add ? "add-port" : "del-port";
}

static void ovs_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
    struct ovs_job *j = p->data;

    if (status == 0 && term_signal == 0)
        log_info("enclave", "%s: ovs-vsctl %s %s %s: done", j->enclave, ovs_verb(j), j->bridge,
                 j->port);
    else
        log_error("enclave", "%s: ovs-vsctl %s %s %s failed (exit %lld, signal %d); the "
                  "uplink is %s the Open vSwitch bridge", j->enclave, ovs_verb(j), j->bridge,
                  j->port, (long long)status, term_signal, j->add ? "not on" : "maybe still on");
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->timer, ovs_job_closed);
    uv_close((uv_handle_t *)p, ovs_job_closed);
}

static void ovs_kill_cb(uv_timer_t *t)
{
    struct ovs_job *j = t->data;

    log_warn("enclave", "%s: ovs-vsctl %s %s took over %d ms; killing it", j->enclave,
             ovs_verb(j), j->port, OVS_KILL_MS);
    uv_process_kill(&j->proc, SIGKILL);
}

static int ovs_spawn(struct ovs_job *j)
{
    char timeout[32];
    char *del_argv[] = { "ovs-vsctl", timeout, "--if-exists", "del-port", j->port, NULL };
    char *add_argv[] = { "ovs-vsctl", timeout, "add-port", j->bridge, j->port, NULL };
    uv_stdio_container_t stdio[3] = {
        { .flags = UV_IGNORE }, { .flags = UV_IGNORE },
        { .flags = UV_INHERIT_FD, .data.fd = 2 },   /* its complaints go to our log */
    };
    uv_process_options_t opt = {
        .exit_cb = ovs_exit_cb,
        .file = "ovs-vsctl",
        .args = j->add ? add_argv : del_argv,
        .stdio_count = 3,
        .stdio = stdio,
    };
    int rc;

    snprintf(timeout, sizeof(timeout), "--timeout=%d", OVS_VSCTL_TIMEOUT_S);
    j->proc.data = j;
    rc = uv_spawn(j->d->loop, &j->proc, &opt);
    if (rc < 0) {
        /* libuv still wants the handle closed after a failed spawn. */
        log_error("enclave", "%s: cannot run ovs-vsctl %s %s: %s", j->enclave, ovs_verb(j),
                  j->port, uv_strerror(rc));
        j->open_handles = 1;
        uv_close((uv_handle_t *)&j->proc, ovs_job_closed);
        return rc;
    }
    j->open_handles = 2;
    uv_timer_init(j->d->loop, &j->timer);
    j->timer.data = j;
    uv_timer_start(&j->timer, ovs_kill_cb, OVS_KILL_MS, 0);
    return 0;
}

static void ovs_run_next(struct daemon *d)
{
    if (d->ovs_jobs)
        ovs_spawn(d->ovs_jobs);
}

static void ovs_queue(struct daemon *d, const struct enclave *e, bool add)
{
    struct ovs_job *j = calloc(1, sizeof(*j)), **tail = &d->ovs_jobs;

    if (!j) {
        log_error("enclave", "%s: out of memory for ovs-vsctl", e->name);
        return;
    }
    j->d = d;
    j->add = add;
    memcpy(j->enclave, e->name, sizeof(j->enclave));
    memcpy(j->bridge, e->bridge, sizeof(j->bridge));
    memcpy(j->port, e->uplink, sizeof(j->port));
    while (*tail)
        tail = &(*tail)->next;
    *tail = j;
    if (d->ovs_jobs == j)
        ovs_run_next(d);
}

void ovs_plug(struct daemon *d, const struct enclave *e)
{
    ovs_queue(d, e, false);
    ovs_queue(d, e, true);
}

void ovs_unplug(struct daemon *d, const struct enclave *e)
{
    ovs_queue(d, e, false);
}

void ovs_cancel_queued(struct daemon *d)
{
    struct ovs_job *head = d->ovs_jobs;

    if (!head)
        return;
    while (head->next) {
        struct ovs_job *j = head->next;

        head->next = j->next;
        free(j);
    }
}
