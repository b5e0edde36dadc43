/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wan_delay — a test helper for the netns scenarios: holds every packet of
 * some NFQUEUE queues for a delay (plus or minus a jitter) before it gives
 * the verdict NF_ACCEPT. The machine has no netem qdisc and nft has no
 * `queue` statement (shared/MACHINE-NOTES.md), so the rig steers each
 * directed host pair into its own queue with `iptables -j NFQUEUE` in the
 * router namespace and runs one wan_delay there (lib-wan.sh).
 *
 *   wan_delay CONTROL STATUS
 *
 * CONTROL holds one setting a line ('#' starts a comment):
 *
 *   generation N                  a number the rig chooses for this content
 *   queue Q DELAY_MS JITTER_MS    queue Q (0..65535): delay, jitter
 *
 * The file is read at start and again on each SIGHUP; a queue named for the
 * first time is bound then. Once the queues are bound and the settings in
 * force, "generation N" is written to STATUS (a new file renamed over the
 * old, so a reader never sees half of it): the rig polls STATUS for its
 * number, so it adds the iptables rule that sends packets to a queue only
 * after the queue is bound, and learns that a new setting is in force
 * without a fixed sleep (SIGHUPs sent in a row may merge into one; a number
 * in the file cannot be lost that way). SIGTERM or SIGINT: every held
 * packet is accepted at once and the program exits 0.
 *
 * Why one process serving every queue, configured through a file re-read
 * on SIGHUP, rather than one process per queue with its figures on the
 * command line: a delay can then change while packets are held, without a
 * gap in which the queue has no listener (the kernel drops what arrives at
 * an unbound queue, and what a dying listener still held); a queue is bound
 * once and stays bound for the run, so the rig gives each directed pair one
 * queue number and never re-steers it; and a rig of many hosts costs one
 * process and one netlink socket, not one per pair.
 *
 * Timing: each packet's release time is its arrival (CLOCK_MONOTONIC when it
 * is read from the socket) plus DELAY_MS plus a uniform random offset in
 * [-JITTER_MS, +JITTER_MS], never before its arrival. The held packets sit
 * in one binary min-heap ordered by (release time, arrival number); the
 * loop sleeps in ppoll() until the earliest release time or the next
 * packet or signal, never busily. With jitter 0 the release times of one
 * queue grow with arrival and ties go by arrival, so each queue's packets
 * leave in the order they came (a setting changed to a shorter delay may
 * let new packets pass ones still held under the old one, as on a re-routed
 * path). A new setting applies to packets that arrive after it.
 *
 * Exit status: 0 after SIGTERM/SIGINT; 1 with one line on stderr when the
 * control file is invalid or a queue cannot be bound (the rig reports it).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

enum limits {
    MAX_QUEUES = 4096,          /* distinct queue numbers one run may bind */
    MAX_DELAY_MS = 60000,       /* a minute: anything longer is a typo */
    QUEUE_MAXLEN = 16384,       /* packets the kernel keeps per queue */
    RCVBUF_BYTES = 8 << 20,     /* socket buffer for bursts of queued packets */
    RECV_BUF = 4096,            /* one metadata-only message fits easily */
};

static const uint64_t NS_PER_MS = 1000000;

struct delayer;

struct queue {
    struct delayer *d;          /* the callback's way back to the heap */
    uint16_t num;
    struct nfq_q_handle *qh;
    uint64_t delay_ns;
    uint64_t jitter_ns;
};

struct held {
    uint64_t due_ns;
    uint64_t seq;               /* arrival number: ties go by arrival */
    struct queue *q;
    uint32_t id;                /* the kernel's packet id within q */
};

struct delayer {
    struct nfq_handle *h;
    int fd;
    struct queue *queues[MAX_QUEUES];
    size_t n_queues;
    struct held *heap;
    size_t n_held, cap_held;
    uint64_t next_seq;
    uint64_t rng;
    uint64_t now_ns;            /* time of the read that is being handled */
    int cb_err;                 /* first error inside the packet callback */
    const char *control, *status;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: jitter needs spread, not cryptographic quality. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* ---- the heap of held packets ------------------------------------------ */

static bool held_before(const struct held *a, const struct held *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void held_swap(struct held *a, struct held *b)
{
    struct held t = *a;

    *a = *b;
    *b = t;
}

/* Add one packet; returns 0 or -ENOMEM. */
static int heap_push(struct delayer *d, struct held e)
{
    if (d->n_held == d->cap_held) {
        size_t cap = d->cap_held ? 2 * d->cap_held : 1024;
        struct held *n = realloc(d->heap, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        d->heap = n;
        d->cap_held = cap;
    }
    size_t i = d->n_held++;

    d->heap[i] = e;
    while (i > 0 && held_before(&d->heap[i], &d->heap[(i - 1) / 2])) {
        held_swap(&d->heap[i], &d->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct held heap_pop(struct delayer *d)
{
    struct held top = d->heap[0];
    size_t i = 0;

    d->heap[0] = d->heap[--d->n_held];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < d->n_held && held_before(&d->heap[l], &d->heap[m]))
            m = l;
        if (r < d->n_held && held_before(&d->heap[r], &d->heap[m]))
            m = r;
        if (m == i)
            break;
        held_swap(&d->heap[i], &d->heap[m]);
        i = m;
    }
    return top;
}

/*
 * Accept every held packet due at @now_ns (all of them when @all). A verdict
 * that fails is reported and the packet forgotten: the kernel drops it when
 * the queue goes, which is what a lossy link would have done anyway.
 */
static void release_due(struct delayer *d, uint64_t now_ns, bool all)
{
    while (d->n_held > 0 && (all || d->heap[0].due_ns <= now_ns)) {
        struct held e = heap_pop(d);

        if (nfq_set_verdict(e.q->qh, e.id, NF_ACCEPT, 0, NULL) < 0)
            fprintf(stderr, "wan_delay: verdict for packet %" PRIu32 " of queue %u: %s\n",
                    e.id, e.q->num, strerror(errno));
    }
}

/* ---- queues -------------------------------------------------------------- */

/* libnetfilter_queue calls this for each queued packet read from the socket. */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
    struct queue *q = data;
    struct delayer *d = q->d;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    uint64_t hold = q->delay_ns;
    int ret;

    if (!ph)
        return 0;
    if (q->jitter_ns) {
        /* Uniform in [delay - jitter, delay + jitter], never before arrival. */
        uint64_t off = rng_next(&d->rng) % (2 * q->jitter_ns + 1);

        hold = hold + off > q->jitter_ns ? hold + off - q->jitter_ns : 0;
    }
    ret = heap_push(d, (struct held){ .due_ns = d->now_ns + hold, .seq = d->next_seq++, .q = q,
                                      .id = ntohl(ph->packet_id) });
    if (ret < 0) {
        /* No memory to hold it: let it pass undelayed rather than lose it. */
        nfq_set_verdict(qh, ntohl(ph->packet_id), NF_ACCEPT, 0, NULL);
        if (!d->cb_err)
            d->cb_err = ret;
    }
    return 0;
}

static struct queue *queue_find(struct delayer *d, unsigned num)
{
    for (size_t i = 0; i < d->n_queues; i++)
        if (d->queues[i]->num == num)
            return d->queues[i];
    return NULL;
}

/*
 * Bind queue @num (metadata only: the verdict needs the packet id, not the
 * payload). Returns 0 or one of: -ENOSPC (MAX_QUEUES bound), -ENOMEM,
 * -EBUSY (another process holds the queue, or NFQUEUE is not available
 * here), -EIO (a setting of the queue was refused).
 */
static int queue_bind(struct delayer *d, unsigned num, struct queue **out)
{
    struct queue *q;

    if (d->n_queues == MAX_QUEUES)
        return -ENOSPC;
    q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->d = d;
    q->num = (uint16_t)num;
    q->qh = nfq_create_queue(d->h, q->num, on_packet, q);
    if (!q->qh) {
        free(q);
        return -EBUSY;
    }
    if (nfq_set_mode(q->qh, NFQNL_COPY_META, 0) < 0 ||
        nfq_set_queue_maxlen(q->qh, QUEUE_MAXLEN) < 0) {
        nfq_destroy_queue(q->qh);
        free(q);
        return -EIO;
    }
    /*
     * GSO packets whole (no segmentation in the kernel just to queue them):
     * cheaper for TCP through a delayed pair. Older kernels refuse the flag;
     * then they segment, which is slower but correct.
     */
    nfq_set_queue_flags(q->qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO);
    d->queues[d->n_queues++] = q;
    *out = q;
    return 0;
}

/* ---- the control file ---------------------------------------------------- */

/* One unsigned decimal in [0, max]; returns 0 or -EINVAL. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

struct setting {
    unsigned num;
    unsigned long delay_ms, jitter_ms;
};

/*
 * Read the whole control file before changing anything, so a bad line
 * leaves every queue as it was. Returns 0 or one of: -errno of fopen, -EINVAL
 * (a bad line; reported on stderr), -ENOSPC (more than MAX_QUEUES lines).
 */
static int control_read(const char *path, struct setting *set, size_t *n_set, unsigned long *gen)
{
    char line[256];
    unsigned lineno = 0;
    FILE *f = fopen(path, "r");
    int ret = 0;

    if (!f)
        return -errno;
    *n_set = 0;
    *gen = 0;
    while (fgets(line, sizeof(line), f)) {
        char *save, *w[5] = { 0 };
        size_t nw = 0;
        unsigned long num;

        lineno++;
        line[strcspn(line, "#\n")] = '\0';
        for (char *t = strtok_r(line, " \t", &save); t && nw < 5; t = strtok_r(NULL, " \t", &save))
            w[nw++] = t;
        if (nw == 0)
            continue;
        if (nw == 2 && strcmp(w[0], "generation") == 0 && parse_uint(w[1], ULONG_MAX, gen) == 0)
            continue;
        if (nw == 4 && strcmp(w[0], "queue") == 0 && parse_uint(w[1], 65535, &num) == 0 &&
            parse_uint(w[2], MAX_DELAY_MS, &set[*n_set].delay_ms) == 0 &&
            parse_uint(w[3], MAX_DELAY_MS, &set[*n_set].jitter_ms) == 0) {
            if (*n_set == MAX_QUEUES) {
                ret = -ENOSPC;
                break;
            }
            set[(*n_set)++].num = (unsigned)num;
            continue;
        }
        fprintf(stderr, "wan_delay: %s:%u: expected 'generation N' or 'queue Q DELAY_MS JITTER_MS'\n",
                path, lineno);
        ret = -EINVAL;
        break;
    }
    fclose(f);
    return ret;
}

/* Write "generation N" to the status file through a rename; 0 or -errno. */
static int status_write(const char *path, unsigned long gen)
{
    char tmp[PATH_MAX];
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "generation %lu\n", gen);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return -errno;
    return 0;
}

/*
 * Apply the control file: bind the queues named for the first time, set
 * every named queue's figures, and set queues the file no longer names to
 * no delay (they stay bound: the rig removed their iptables rules first, and
 * packets they still hold leave on time). Then report the generation.
 * Returns 0 or one of the errors of control_read, queue_bind, status_write.
 */
static int control_apply(struct delayer *d)
{
    static struct setting set[MAX_QUEUES];
    size_t n_set;
    unsigned long gen;
    int ret = control_read(d->control, set, &n_set, &gen);

    if (ret < 0)
        return ret;
    for (size_t i = 0; i < d->n_queues; i++)
        d->queues[i]->delay_ns = d->queues[i]->jitter_ns = 0;
    for (size_t i = 0; i < n_set; i++) {
        struct queue *q = queue_find(d, set[i].num);

        if (!q && (ret = queue_bind(d, set[i].num, &q)) < 0) {
            fprintf(stderr, "wan_delay: cannot bind NFQUEUE queue %u: %s\n", set[i].num, strerror(-ret));
            return ret;
        }
        q->delay_ns = set[i].delay_ms * NS_PER_MS;
        q->jitter_ns = set[i].jitter_ms * NS_PER_MS;
    }
    ret = status_write(d->status, gen);
    if (ret < 0)
        fprintf(stderr, "wan_delay: cannot write %s: %s\n", d->status, strerror(-ret));
    return ret;
}

/* ---- main loop ----------------------------------------------------------- */

/*
 * Read every message waiting on the socket. Returns 0 or -errno of recv
 * (ENOBUFS cannot come: the socket is set to NETLINK_NO_ENOBUFS) or of a
 * failed callback.
 */
static int read_packets(struct delayer *d)
{
    char buf[RECV_BUF] __attribute__((aligned));

    for (;;) {
        ssize_t n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            return -errno;
        }
        d->now_ns = mono_ns();
        nfq_handle_packet(d->h, buf, (int)n);
        if (d->cb_err) {
            fprintf(stderr, "wan_delay: a packet passed undelayed: %s\n", strerror(-d->cb_err));
            d->cb_err = 0;
        }
    }
}

/* Returns 0 after SIGTERM/SIGINT, or -errno of a failure (reported). */
static int run(struct delayer *d, int sfd)
{
    for (;;) {
        struct pollfd p[2] = { { .fd = d->fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        struct timespec ts, *tmo = NULL;
        uint64_t now = mono_ns();

        release_due(d, now, false);
        if (d->n_held > 0) {
            uint64_t wait = d->heap[0].due_ns - now;

            ts.tv_sec = (time_t)(wait / 1000000000u);
            ts.tv_nsec = (long)(wait % 1000000000u);
            tmo = &ts;
        }
        if (ppoll(p, 2, tmo, NULL) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "wan_delay: ppoll: %s\n", strerror(errno));
            return -errno;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;

            if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo != SIGHUP)
                    return 0;
                /* A bad control file is fatal: the rig wrote it, so it is a bug. */
                int ret = control_apply(d);

                if (ret < 0)
                    return ret;
            }
        }
        if (p[0].revents & POLLIN) {
            int ret = read_packets(d);

            if (ret < 0) {
                fprintf(stderr, "wan_delay: recv: %s\n", strerror(-ret));
                return ret;
            }
        }
    }
}

/* The netlink socket: large buffer, and no ENOBUFS errors on overrun. */
static void socket_setup(int fd)
{
    int one = 1, size = RCVBUF_BYTES;

    /* FORCE goes past rmem_max (we run as root); plain RCVBUF is the fallback. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    /* An overrun drops packets in the kernel, as a full link buffer would;
     * the loop must not stop over it. */
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
}

int main(int argc, char **argv)
{
    static struct delayer d;
    sigset_t mask;
    int sfd, ret;

    if (argc != 3) {
        fprintf(stderr, "usage: wan_delay CONTROL STATUS\n");
        return 1;
    }
    d.control = argv[1];
    d.status = argv[2];
    d.rng = mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
    if (!d.rng)
        d.rng = 1;              /* xorshift stays at 0 forever from 0 */

    /* Signals arrive through a descriptor, so ppoll sees them with packets
     * and a handler never runs inside libnetfilter_queue. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
        fprintf(stderr, "wan_delay: signalfd: %s\n", strerror(errno));
        return 1;
    }
    /*
     * No nfq_bind_pf: kernels since 3.8 ignore it and serve every family
     * through the queue binding alone.
     */
    d.h = nfq_open();
    if (!d.h) {
        fprintf(stderr, "wan_delay: nfq_open: %s (no nfnetlink_queue?)\n", strerror(errno));
        return 1;
    }
    d.fd = nfq_fd(d.h);
    socket_setup(d.fd);
    ret = control_apply(&d);
    if (ret == 0)
        ret = run(&d, sfd);
    /* Held packets go on at once: a delayer told to stop is not a blackhole. */
    release_due(&d, 0, true);
    for (size_t i = 0; i < d.n_queues; i++) {
        nfq_destroy_queue(d.queues[i]->qh);
        free(d.queues[i]);
    }
    nfq_close(d.h);
    free(d.heap);
    close(sfd);
    return ret < 0 ? 1 : 0;
}
