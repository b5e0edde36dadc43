/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_LINK_INTERNAL_H
#define OVL_CRYPTO_LINK_INTERNAL_H

/*
 * DOC: link_internal — structures shared by link.c, link_cookie.c, link_index.c,
 * messages.c, timers.c and replay.c (not part of the public API)
 *
 * Ownership: a link_host owns its peers (doubly linked list), the index
 * hash table and scratch buffers. A peer owns up to three keypairs
 * (previous/current/next) and one initiator handshake (only while we are
 * the initiator), each a slot of the host's secpool, and its queue of
 * outbound data waiting for a session. Every keypair and every in-flight
 * handshake has an entry in the index table under its local index.
 *
 * Timer policy lives only in timers.c: link.c reports facts
 * (link_timers_*) and timers.c calls back the actions declared at the end
 * of this header.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/link.h"
#include "crypto/noise.h"
#include "crypto/replay.h"
#include "crypto/secpool.h"

#define LINK_NS_PER_SEC UINT64_C(1000000000)
#define LINK_NS_PER_MS UINT64_C(1000000)

/*
 * WireGuard's protocol constants under their names from the WireGuard
 * paper (section 6.1), times in nanoseconds. The message limits do not
 * fit an int, so this enum is 64-bit wide (a GNU C / C23 feature that gcc
 * and clang both implement).
 */
enum link_wg_spec {
    REKEY_AFTER_MESSAGES = UINT64_C(1) << 60,
    REJECT_AFTER_MESSAGES = UINT64_MAX - (UINT64_C(1) << 13), /* 2^64 - 2^13 - 1 */
    REKEY_AFTER_TIME = 120 * LINK_NS_PER_SEC,
    REJECT_AFTER_TIME = 180 * LINK_NS_PER_SEC,
    REKEY_ATTEMPT_TIME = 90 * LINK_NS_PER_SEC,
    REKEY_TIMEOUT = 5 * LINK_NS_PER_SEC,
    REKEY_TIMEOUT_JITTER_MAX = 333 * LINK_NS_PER_MS,    /* inclusive */
    KEEPALIVE_TIMEOUT = 10 * LINK_NS_PER_SEC,
    INITIATIONS_PER_SECOND = 50,
    INITIATION_MIN_INTERVAL = LINK_NS_PER_SEC / 50,     /* 1 / INITIATIONS_PER_SECOND */
    ZERO_KEYS_AFTER = 3 * REJECT_AFTER_TIME,            /* 540 s */
    /* The peer refuses our initiation within INITIATION_MIN_INTERVAL of
     * accepting our last one: an AES-GCM upgrade right after crossing
     * initiations waits this long after our last (twice: delay jitter). */
    AEAD_UPGRADE_GAP = 2 * INITIATION_MIN_INTERVAL,
    COOKIE_SECRET_MAX_AGE = 120 * LINK_NS_PER_SEC,      /* the responder's; also a cookie's life */
    LINK_LOAD_WINDOW = LINK_NS_PER_SEC,
    LINK_QUEUE_MAX = 128,                               /* packets waiting for a session */
};

/* RFC 6298 section 2 smoothing, applied to handshake round trips: the
 * first sample sets SRTT, then SRTT <- (1 - alpha) SRTT + alpha R'. */
enum link_rfc6298 {
    RTT_ALPHA_DIV = 8,                                  /* alpha = 1/8 */
};

/* Wire sizes (docs/protocol.md, section "Packets"). */
enum link_wire {
    LINK_TAI64N_LEN = 12,
    LINK_MAC_LEN = 16,
    LINK_INIT_HDR_LEN = 8,          /* type, aead, caps, reserved, sender */
    LINK_RESP_HDR_LEN = 12,         /* type, reserved(3), sender, receiver */
    LINK_INIT_MIN_LEN = LINK_INIT_HDR_LEN + NOISE_IK_MSG1_LEN + LINK_TAI64N_LEN + 2 * LINK_MAC_LEN,
    LINK_INIT_MAX_LEN = LINK_INIT_MIN_LEN + LINK_MAX_HANDSHAKE_PAYLOAD,
    LINK_RESP_MIN_LEN = LINK_RESP_HDR_LEN + NOISE_IK_MSG2_LEN + 2 * LINK_MAC_LEN,
    LINK_RESP_MAX_LEN = LINK_RESP_MIN_LEN + LINK_MAX_HANDSHAKE_PAYLOAD,
    LINK_COOKIE_LEN = 16,
    LINK_COOKIE_NONCE_LEN = 24,     /* XChaCha20-Poly1305 */
    /* type, reserved(3), receiver, nonce, cookie sealed (16 + tag 16) */
    LINK_COOKIE_REPLY_LEN = 8 + LINK_COOKIE_NONCE_LEN + LINK_COOKIE_LEN + 16,
};

/* Initiation byte 2: what the initiator offers (docs/protocol.md 2.1). */
enum link_caps { LINK_CAP_AESGCM = 0x01 };

/* The prologue the handshake hashes: the version string, then the
 * initiation's first four bytes, so that no byte of them (the AEAD chosen,
 * the capabilities offered) can be altered on the way. */
enum { LINK_HS_PROLOGUE_MAX = 32 };
enum { LINK_POOL_CHUNK = 64 };    /* keypairs or handshakes per secpool chunk */

struct link_keypair {
    struct link_peer *peer;
    enum noise_aead aead;
    struct noise_key send_key;      /* 16-byte aligned: a secpool slot is 64-aligned */
    struct noise_key recv_key;
    uint64_t send_counter;          /* next counter to use */
    struct replay_window replay;
    uint64_t birth;                 /* monotonic ns when derived */
    uint32_t local_index;
    uint32_t remote_index;
    bool initiator;
};

/* Our own in-flight initiation (the responder side needs no state). */
struct link_handshake {
    struct noise_handshake noise;
    enum noise_aead aead;
    uint32_t local_index;
    /* When this initiation went out: its response's arrival is one RTT.
     * A retransmission is a new link_handshake (new index), so a response
     * always finds the send time of the initiation it answers. */
    uint64_t sent_at;
};

/*
 * One data packet being reassembled from fragments (link_frag.c), keyed by
 * (receiver index, counter). Chunk i lands at i * chunk; the last chunk
 * waits at the end of @buf until the packet is complete (its offset needs
 * the chunk size, which it does not tell).
 */
struct link_reasm {
    uint8_t *buf;                   /* LINK_MAX_PACKET, malloc'd on first use */
    struct link_peer *peer;         /* whose keypair the receiver index named */
    uint64_t counter;
    uint64_t born;                  /* arrival of the first fragment */
    uint64_t have;                  /* bit i: fragment i is in */
    uint32_t receiver;
    size_t chunk;                   /* length of every chunk but the last; 0: none in yet */
    size_t last;                    /* length of the last chunk; 0: not in yet */
    uint8_t count;                  /* 0: slot free */
};

enum link_frag_limits {
    LINK_REASM_TIMEOUT = 500 * LINK_NS_PER_MS,  /* an incomplete packet is given up */
    /* Fragment train: every header, and the packet sealed behind the first. */
    LINK_TRAIN_MAX = LINK_FRAG_MAX * LINK_FRAG_HEADER_LEN + LINK_MAX_PACKET,
};

struct link_qpkt {
    size_t len;
    uint8_t data[];
};

enum link_index_kind { LINK_IDX_FREE = 0, LINK_IDX_HANDSHAKE = 1, LINK_IDX_KEYPAIR = 2 };

struct link_index_entry {
    uint32_t index;
    uint8_t kind;                   /* enum link_index_kind */
    struct link_peer *peer;
    struct link_keypair *keypair;   /* kind == LINK_IDX_KEYPAIR */
};

struct link_index_table {
    struct link_index_entry *slots;
    size_t cap;                     /* power of two */
    size_t used;
};

/* Timer state of one peer: absolute deadlines, 0 = not armed. */
struct link_timers {
    uint64_t retransmit;            /* resend our initiation */
    uint64_t attempt_start;         /* first initiation of this attempt series */
    uint64_t send_keepalive;        /* passive keepalive */
    uint64_t new_handshake;         /* sent data, heard nothing */
    uint64_t zero_keys;             /* wipe everything */
    uint64_t upgrade;               /* initiate choosing AES-GCM (link_maybe_upgrade) */
    uint64_t last_initiation;       /* our last initiation went out ... */
    bool initiated;                 /* ... if we ever sent one */
    uint64_t last_traversal;        /* last authenticated packet in or out */
    bool traversed;
    unsigned persistent_keepalive;  /* seconds, 0 = off */
};

struct link_peer {
    struct link_host *host;
    struct link_peer *prev, *next;
    void *user;
    uint8_t pub[LINK_KEY_LEN];
    uint8_t mac1_key[LINK_KEY_LEN]; /* for packets we send to this peer */
    uint8_t cookie_key[LINK_KEY_LEN];   /* opens its cookie replies */
    uint8_t last_mac1[LINK_MAC_LEN];    /* of our last initiation: a cookie reply's AD */
    bool sent_mac1;
    uint8_t cookie[LINK_COOKIE_LEN];    /* its last cookie for us, for mac2 */
    uint64_t cookie_at;
    bool has_cookie;
    struct link_keypair *kp_prev, *kp_cur, *kp_next;
    struct link_handshake *hs;      /* non-NULL while our initiation is in flight */
    uint8_t last_ts[LINK_TAI64N_LEN];  /* greatest initiation timestamp accepted */
    uint64_t last_init_accepted;
    bool has_init_accepted;
    /* Its last authenticated initiation offered AES-GCM: our next
     * initiation may choose it. Cleared when such an initiation goes
     * unanswered, so a host that stopped offering it is still reached. */
    bool remote_aesgcm;
    uint64_t last_handshake;
    uint64_t rtt_srtt;              /* smoothed RTT in ns, 0 = no sample yet */
    uint64_t rtt_last;              /* latest sample in ns, 0 = none */
    enum link_state reported;
    struct link_timers t;
    struct link_qpkt *queue[LINK_QUEUE_MAX];
    unsigned q_head, q_len;
};

struct link_host {
    struct link_hooks hooks;
    uint8_t *priv;                  /* sodium_malloc'd */
    uint8_t pub[LINK_KEY_LEN];
    uint8_t mac1_key[LINK_KEY_LEN]; /* for packets sent to us */
    uint8_t cookie_key[LINK_KEY_LEN];   /* seals our cookie replies */
    uint8_t cookie_secret[LINK_KEY_LEN];
    uint64_t cookie_secret_at;
    bool has_cookie_secret;
    unsigned load_limit;            /* initiations a second before mac2 is required */
    uint64_t load_window;           /* start of the current second ... */
    unsigned load_count;            /* ... and the initiations (valid mac1) in it */
    uint64_t wall_offset_ns;
    bool aesgcm;                    /* offer and accept AES-GCM (link_host_set_aesgcm) */
    struct link_peer *peers;
    struct link_index_table idx;
    struct link_counters counters;
    struct secpool kp_pool;               /* every struct link_keypair */
    struct secpool hs_pool;               /* every struct link_handshake */
    struct noise_handshake *scratch_hs;   /* sodium_malloc'd, responder / tentative reads */
    uint8_t *scratch_payload;             /* sodium_malloc'd, decrypted handshake payloads */
    uint8_t *pktbuf;                      /* outbound packet assembly */
    size_t frag_size;                     /* link_host_set_frag_size; 0: never fragment */
    uint8_t *trainbuf;                    /* LINK_TRAIN_MAX, malloc'd on first use */
    bool train_busy;                      /* trainbuf in use (a send hook may send again) */
    struct link_reasm reasm[LINK_REASM_SLOTS];
};

/* ---- link_index.c: local index -> (peer, keypair | handshake) ---- */
int link_index_init(struct link_index_table *t);
void link_index_free(struct link_index_table *t);
/* Draws a fresh random index unused by any live entry. Returns 0 or -ENOMEM. */
int link_index_add(struct link_host *host, enum link_index_kind kind,
                   struct link_peer *peer, struct link_keypair *kp, uint32_t *index);
struct link_index_entry *link_index_lookup(const struct link_index_table *t, uint32_t index);
void link_index_remove(struct link_index_table *t, uint32_t index);

/* ---- messages.c: wire encode/decode ---- */
void link_mac1_key(uint8_t key[LINK_KEY_LEN], const uint8_t pub[LINK_KEY_LEN]);
void link_mac1(uint8_t out[LINK_MAC_LEN], const uint8_t key[LINK_KEY_LEN],
               const uint8_t *pkt, size_t len);
/* Checks mac1 of a handshake packet of @len bytes (mac1 at len - 32). */
bool link_mac1_ok(const uint8_t key[LINK_KEY_LEN], const uint8_t *pkt, size_t len);
/* Appends mac1 (computed over pkt[0..len)) and mac2 at pkt + len: over
 * pkt[0..len + 16) with @cookie as key, or zero without one. */
void link_put_macs(const uint8_t key[LINK_KEY_LEN], const uint8_t *cookie, uint8_t *pkt,
                   size_t len);
/* Checks mac2 of a handshake packet of @len bytes against @cookie. */
bool link_mac2_ok(const uint8_t cookie[LINK_COOKIE_LEN], const uint8_t *pkt, size_t len);
/* Key of cookie replies sealed by the host with public key @pub. */
void link_cookie_key(uint8_t key[LINK_KEY_LEN], const uint8_t pub[LINK_KEY_LEN]);
/* The cookie @src earns under @secret. */
void link_cookie(uint8_t out[LINK_COOKIE_LEN], const uint8_t secret[LINK_KEY_LEN],
                 const void *src, size_t src_len);
void link_put_header(uint8_t *pkt, uint8_t type);
void link_put_le32(uint8_t *p, uint32_t v);
uint32_t link_get_le32(const uint8_t *p);
void link_put_le64(uint8_t *p, uint64_t v);
uint64_t link_get_le64(const uint8_t *p);
void link_tai64n(uint8_t out[LINK_TAI64N_LEN], uint64_t wall_ns);
/* Writes the handshake prologue for an initiation header into @out
 * (LINK_HS_PROLOGUE_MAX bytes) and returns its length. */
size_t link_hs_prologue(uint8_t *out, const uint8_t *init_hdr);
extern const uint8_t link_prologue[];
extern const size_t link_prologue_len;

/* ---- link.c: shared with link_frag.c ---- */
/* Seals @len bytes of @data as a type 4 packet at @pkt (header, ciphertext,
 * tag: @len + LINK_DATA_OVERHEAD bytes) under kp's next send counter. */
void link_data_seal(struct link_keypair *kp, const uint8_t *data, size_t len, uint8_t *pkt);

/* ---- link_frag.c: fragments (docs/protocol.md 2.5) ---- */
/* Fragments a data packet of @pkt_len bytes needs at the host's fragment
 * size: 1 = none (sent whole), more than LINK_FRAG_MAX: too long. */
size_t link_frag_count(const struct link_host *host, size_t pkt_len);
/* Seals @data for @peer under @kp and sends it as fragments. Returns 0 or
 * -ENOMEM (nothing sent, no counter used). */
int link_frag_send(struct link_peer *peer, struct link_keypair *kp, const uint8_t *data,
                   size_t len);
/* Takes one type 5 datagram. Returns 0 with *@out NULL (kept), 0 with the
 * completed type 4 packet in *@out / *@out_len (a reassembly buffer), the
 * LINK_DROP_* reason (positive), or -ENOMEM (no reassembly buffer). */
int link_frag_take(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                   uint8_t **out, size_t *out_len);
/* @peer is going away: its incomplete packets are dropped silently. */
void link_frag_forget_peer(struct link_peer *peer);
/* Frees every reassembly and train buffer. */
void link_frag_free(struct link_host *host);

/* ---- timers.c: facts reported by link.c ---- */
void link_timers_data_sent(struct link_peer *peer, uint64_t now);          /* len > 0 */
void link_timers_any_sent(struct link_peer *peer, uint64_t now);           /* incl. keepalive */
void link_timers_data_received(struct link_peer *peer, uint64_t now);      /* len > 0 */
void link_timers_any_received(struct link_peer *peer, uint64_t now);       /* authenticated */
void link_timers_handshake_initiated(struct link_peer *peer, uint64_t now, bool retry);
void link_timers_handshake_complete(struct link_peer *peer, uint64_t now);
void link_timers_session_derived(struct link_peer *peer, uint64_t now);
void link_timers_keys_zeroed(struct link_peer *peer);
/* A handshake packet sent at @sent was answered at @now (@responder: by
 * the first transport packet under the keypair our response created). */
void link_timers_rtt_sample(struct link_peer *peer, uint64_t sent, uint64_t now, bool responder);
/* Questions link.c asks. */
bool link_timers_rekey_on_send(const struct link_peer *peer, uint64_t now);
bool link_timers_rekey_on_receive(const struct link_peer *peer, uint64_t now);
bool link_timers_keypair_usable_send(const struct link_keypair *kp, uint64_t now);
bool link_timers_keypair_usable_recv(const struct link_keypair *kp, uint64_t now);
bool link_timers_session_fresh(const struct link_peer *peer, uint64_t now);
bool link_timers_may_initiate(const struct link_peer *peer, uint64_t now);
bool link_timers_accept_initiation_rate(const struct link_peer *peer, uint64_t now);
enum link_state link_timers_state(const struct link_peer *peer, uint64_t now);
uint64_t link_timers_deadline(const struct link_peer *peer);
void link_timers_run(struct link_peer *peer, uint64_t now);

/* ---- link.c: actions timers.c triggers ---- */
int link_send_initiation(struct link_peer *peer, uint64_t now, bool retry);
/* A ChaChaPoly session is current, nothing in flight, and both hosts offer
 * AES-GCM: an initiation choosing it is wanted (docs/protocol.md 3.2). */
bool link_aead_upgrade_wanted(const struct link_peer *peer);

/* ---- link_cookie.c: cookies under load (docs/protocol.md 2.3) ---- */
/* Counts one initiation with a valid mac1; true past the host's limit. */
bool link_cookie_under_load(struct link_host *host, uint64_t now);
/* Under load: 0 if @pkt's mac2 is @src's cookie's, else a cookie reply
 * to @src (hooks->send_to) and LINK_DROP_COOKIE. */
int link_cookie_check(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                      const void *src, size_t src_len);
/* A cookie reply for our initiation in flight: 0 (kept for the retry's
 * mac2) or the LINK_DROP_* reason. */
int link_cookie_take(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len);
/* The cookie for @peer's next initiation, NULL: none or too old. */
const uint8_t *link_cookie_for(const struct link_peer *peer, uint64_t now);
void link_send_keepalive(struct link_peer *peer, uint64_t now);
void link_give_up_handshake(struct link_peer *peer);
void link_zero_keys(struct link_peer *peer);
void link_report_state(struct link_peer *peer, uint64_t now);

#endif
