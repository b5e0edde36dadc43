/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_LINK_H
#define OVL_CRYPTO_LINK_H

/*
 * DOC: link — authenticated, encrypted sessions between two hosts
 *
 * The session layer on top of crypto/noise.c, shaped after WireGuard:
 * handshake initiation/response packets with 32-bit session indices,
 * transport data packets with a 64-bit counter, a sliding anti-replay
 * window, previous/current/next keypairs so a rekey loses no packet, and
 * WireGuard's timer rules (all of them in crypto/timers.c).
 *
 * It is a pure state machine: it never reads a clock (every entry point
 * takes @now, monotonic nanoseconds), never touches a socket (packets to
 * send are handed to hooks->send, which the daemon batches), and draws
 * randomness only through hooks->random so tests are deterministic.
 * Timers: link_host_next_deadline() says when to call
 * link_host_on_timeout() next. Wire formats: docs/protocol.md.
 *
 * Addresses are not this layer's business: the daemon maps a peer to its
 * endpoint (link_peer_user()) and updates it from rx->peer after each
 * authenticated packet (roaming).
 *
 * Fragments (link_frag.c, docs/protocol.md 2.5): with
 * link_host_set_frag_size() a data packet longer than the underlay takes
 * is encrypted once and sent as up to LINK_FRAG_MAX type 5 datagrams; the
 * receiver reassembles it in one of LINK_REASM_SLOTS host buffers and then
 * processes it exactly as a type 4 datagram.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct link_host;
struct link_peer;

enum link_limits {
    LINK_KEY_LEN = 32,
    LINK_MSG_INIT = 1,
    LINK_MSG_RESPONSE = 2,
    LINK_MSG_COOKIE = 3,          /* cookie reply: an initiation under load lacked mac2 */
    LINK_MSG_DATA = 4,
    LINK_DATA_HEADER_LEN = 16,    /* type(1) reserved(3) receiver(4) counter(8) */
    LINK_TAG_LEN = 16,
    LINK_DATA_OVERHEAD = LINK_DATA_HEADER_LEN + LINK_TAG_LEN, /* 32 */
    LINK_MAX_HANDSHAKE_PAYLOAD = 1024, /* room for a certificate */
    LINK_MAX_PAYLOAD = 65536 + 256,    /* a 64 KiB super-frame and its inner headers */
    LINK_MAX_PACKET = LINK_MAX_PAYLOAD + LINK_DATA_OVERHEAD, /* 65 824: one data packet */
    LINK_MSG_FRAG = 5,            /* one piece of a data packet (docs/protocol.md 2.5) */
    /* type(1) index(1) count(1) reserved(1) receiver(4) counter(8) */
    LINK_FRAG_HEADER_LEN = 16,
    LINK_FRAG_MAX = 64,           /* fragments of one data packet, at most */
    LINK_FRAG_MIN_DATAGRAM = 64,  /* smallest fragment size link_host_set_frag_size() sets */
    LINK_REASM_SLOTS = 16,        /* data packets reassembled at once, per host */
    LINK_REASM_PEER_SLOTS = 4,    /* ... of which one peer's sessions hold at most */
    LINK_REPLAY_WINDOW = 4096,    /* packets; at least 2048 by requirement */
};

enum link_state {
    LINK_DOWN = 0,                /* known, no session */
    LINK_CONNECTING = 1,          /* a handshake in flight */
    LINK_UP = 2,                  /* completed handshake, session not expired */
};

/* Why a packet was dropped: link_receive() returns the negative value. */
enum link_drop {
    LINK_DROP_MALFORMED = 1000,   /* bad type, bad length */
    LINK_DROP_AUTH,               /* decryption / MAC / handshake authentication failed */
    LINK_DROP_REPLAY,             /* authenticated, counter seen or too old; or replayed init */
    LINK_DROP_UNKNOWN_PEER,       /* no session for the receiver index, or static key not admitted */
    LINK_DROP_EXPIRED,            /* session past REJECT_AFTER_TIME / messages */
    LINK_DROP_RATELIMIT,          /* initiation within 1/50 s of the last accepted one */
    LINK_DROP_CIPHER,             /* initiation choosing an AEAD this host does not offer */
    LINK_DROP_COOKIE,             /* initiation under load without a valid mac2: cookie sent */
    LINK_DROP_FRAG_MALFORMED,     /* fragment of a bad header or length, a duplicate, or one
                                   * inconsistent with the others of its packet */
};

struct link_counters {
    uint64_t drop_malformed;
    uint64_t drop_auth;
    uint64_t drop_replay;
    uint64_t drop_unknown_peer;
    uint64_t drop_expired;
    uint64_t handshakes_initiated;
    uint64_t handshakes_completed;
    uint64_t drop_ratelimit;      /* initiations over INITIATIONS_PER_SECOND */
    uint64_t drop_cipher;         /* LINK_DROP_CIPHER */
    uint64_t drop_cookie;         /* LINK_DROP_COOKIE */
    uint64_t cookies_sent;        /* cookie replies sent */
    uint64_t frag_sent;           /* data packets sent as fragments */
    uint64_t frag_reassembled;    /* data packets reassembled from fragments */
    uint64_t drop_frag_malformed; /* LINK_DROP_FRAG_MALFORMED */
    uint64_t drop_frag_expired;   /* incomplete packets given up: timed out or evicted */
};

/*
 * Hooks are called from inside link_* calls: they must not free the host
 * or a peer, nor call link_receive() (copy, return, act later). They may
 * call link_peer_new(), link_peer_send() and link_peer_connect(); the
 * layer is re-entrant for those, also while the fragments of a packet go
 * out one hooks->send at a time (tests: test_hook_reentry,
 * test_reentry_and_queue).
 */
struct link_hooks {
    void *ctx;
    /* Fill @buf with @len random bytes (the daemon: randombytes_buf). */
    void (*random)(void *ctx, uint8_t *buf, size_t len);
    /*
     * A datagram for @peer's current endpoint. @pkt is only valid during
     * the call; the daemon copies it into its sendmmsg batch.
     */
    void (*send)(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len);
    /*
     * Responder side: an authenticated initiation came from static key
     * @pub that is not a known peer. Return a new peer (link_peer_new) to
     * accept it, or NULL to refuse (counted as drop_unknown_peer). May be
     * NULL: unknown keys are refused. @payload is the initiator's
     * handshake payload after the timestamp (its certificate, with an
     * Authority).
     */
    struct link_peer *(*accept)(void *ctx, const uint8_t pub[LINK_KEY_LEN],
                                const uint8_t *payload, size_t payload_len);
    /*
     * Payload to put in our handshake message (initiation or response)
     * for @peer; returns its length (<= @cap). May be NULL: no payload.
     */
    size_t (*handshake_payload)(void *ctx, struct link_peer *peer,
                                uint8_t *buf, size_t cap);
    /*
     * Called when a handshake with @peer completed and the remote's
     * handshake payload is @payload (for certificate checks). Return 0 to
     * keep the session, negative to discard it (counted as drop_auth).
     * May be NULL.
     */
    int (*handshake_done)(void *ctx, struct link_peer *peer,
                          const uint8_t *payload, size_t payload_len);
    /* @peer's state changed (for logging and routing). May be NULL. */
    void (*state_changed)(void *ctx, struct link_peer *peer, enum link_state st);
    /*
     * A datagram for @addr, the source link_receive_from() was given (a
     * cookie reply: no peer is known yet). May be NULL: no cookie replies,
     * and an initiation without mac2 under load is only dropped.
     */
    void (*send_to)(void *ctx, const void *addr, size_t addr_len, const uint8_t *pkt,
                    size_t len);
    /*
     * All fragments of one data packet for @peer, back to back in @pkt
     * (@len bytes): each exactly @seg bytes but the last (1..@seg), so
     * the daemon can hand @pkt to UDP GSO with UDP_SEGMENT = @seg. @pkt
     * is only valid during the call. May be NULL: each fragment then goes
     * through hooks->send.
     */
    void (*send_train)(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len,
                       size_t seg);
};

/*
 * What link_receive() found in a datagram. @data is inside the input
 * buffer, or, when the datagram was the fragment that completed a data
 * packet, inside the host's reassembly buffer: valid (and writable, the
 * daemon may change the payload in place) until the next link_receive*()
 * call on the host or link_host_free().
 */
struct link_rx {
    struct link_peer *peer;       /* authenticated sender, or NULL */
    uint8_t *data;                /* decrypted payload */
    size_t len;                   /* 0: handshake, keepalive or fragment, nothing to deliver */
};

/*
 * Create the local side with its X25519 private key. @wall_offset_ns is
 * the wall-clock time (ns) corresponding to monotonic time 0, used only for
 * TAI64N timestamps in initiations (so a restarted host's new initiation
 * is still newer than the ones it sent before).
 * Returns 0 or one of: -ENOMEM, -EINVAL.
 */
int link_host_new(struct link_host **out, const uint8_t priv[LINK_KEY_LEN],
                  const struct link_hooks *hooks, uint64_t wall_offset_ns);
void link_host_free(struct link_host *host);
const uint8_t *link_host_pubkey(const struct link_host *host);
const struct link_counters *link_host_counters(const struct link_host *host);

/*
 * Add a peer with static public key @pub. @user is the daemon's pointer.
 * Returns 0 or one of: -EEXIST (same key already a peer), -EINVAL (our
 * own key), -ENOMEM.
 */
int link_peer_new(struct link_host *host, const uint8_t pub[LINK_KEY_LEN],
                  void *user, struct link_peer **out);
/* Remove a peer, wiping its keys. */
void link_peer_free(struct link_peer *peer);
struct link_peer *link_peer_find(struct link_host *host, const uint8_t pub[LINK_KEY_LEN]);
void *link_peer_user(const struct link_peer *peer);
const uint8_t *link_peer_pubkey(const struct link_peer *peer);
enum link_state link_peer_state(const struct link_peer *peer, uint64_t now);
/* Monotonic time of the last completed handshake, or 0 if none. */
uint64_t link_peer_last_handshake(const struct link_peer *peer);
/*
 * Round-trip time to @peer in ns, 0 = unknown. Measured on handshakes only
 * (about every REKEY_AFTER_TIME = 2 minutes while traffic flows): as
 * initiator from sending an initiation to its response, as responder from
 * sending a response to the first transport packet under the new keypair.
 * link_peer_rtt_ns() is smoothed as RFC 6298 (first sample, then
 * 7/8 old + 1/8 new); link_peer_rtt_last_ns() is the latest sample. Both
 * survive the session (the path's last known RTT) but not link_peer_free().
 */
uint64_t link_peer_rtt_ns(const struct link_peer *peer);
uint64_t link_peer_rtt_last_ns(const struct link_peer *peer);
/*
 * The greatest TAI64N timestamp accepted in @peer's initiations
 * (LINK_TIMESTAMP_LEN bytes, big-endian; all zero: none yet). A peer
 * freed and re-created (an idle link closed, then re-opened) starts from
 * zero, so the caller keeps it across the gap and seeds the new peer:
 * otherwise an initiation captured earlier could be replayed and accepted.
 * Seeding only ever raises the stored value.
 */
enum { LINK_TIMESTAMP_LEN = 12 };
void link_peer_last_timestamp(const struct link_peer *peer, uint8_t out[LINK_TIMESTAMP_LEN]);
void link_peer_set_last_timestamp(struct link_peer *peer, const uint8_t ts[LINK_TIMESTAMP_LEN]);
/* Keepalive interval in seconds while idle (0 = off, the default). */
void link_peer_set_persistent_keepalive(struct link_peer *peer, unsigned seconds);

/*
 * Under load: more than @per_second authenticated-looking initiations
 * (valid mac1) in a second. Then an initiation must carry a valid mac2,
 * a MAC with the cookie its source address earned, or it gets a cookie
 * reply and no Diffie-Hellman (docs/protocol.md 2.3). 0 = never under
 * load. Default LINK_LOAD_INITIATIONS.
 */
enum { LINK_LOAD_INITIATIONS = 200 };
void link_host_set_load_limit(struct link_host *host, unsigned per_second);

/*
 * Send a data packet longer than @max_datagram bytes as fragments of at
 * most @max_datagram bytes each, 16-byte fragment header included
 * (docs/protocol.md 2.5): the underlay's largest UDP payload. 0 (the
 * default): never fragment. Values 1..63 are raised to
 * LINK_FRAG_MIN_DATAGRAM. Handshakes and keepalives are never fragmented.
 * Receiving fragments needs no setting.
 */
void link_host_set_frag_size(struct link_host *host, size_t max_datagram);

/*
 * Offer and accept AES-256-GCM besides ChaCha20-Poly1305 (off by default).
 * Two hosts that both offer it move to it right after their first
 * handshake (docs/protocol.md, "Choice of AEAD"). Returns 0, or -ENOTSUP
 * when the CPU lacks AES-NI (nothing changes then).
 */
int link_host_set_aesgcm(struct link_host *host, bool on);
/* The AEAD of the session @peer's data goes out under, or -1: none. */
int link_peer_aead(const struct link_peer *peer);

/*
 * Start a handshake now (unless one is in flight or a session is fresh).
 * Returns 0 or -ENOMEM (also when no unused session index could be drawn),
 * -EMSGSIZE if hooks->handshake_payload claimed more than its cap, or
 * -EPROTO if the peer's public key is a low-order point (DH output zero).
 */
int link_peer_connect(struct link_peer *peer, uint64_t now);

/*
 * Start a handshake now even when the session is fresh (a new handshake
 * payload to deliver, e.g. a renewed certificate); the current session
 * carries data until the new one completes. Nothing happens while a
 * handshake is in flight. Returns 0 or as link_peer_connect.
 */
int link_peer_rekey_now(struct link_peer *peer, uint64_t now);

/*
 * The way to @peer changed (a detour chosen or left) while an initiation
 * is unanswered: send a fresh one now, as the retry timer would after
 * REKEY_TIMEOUT, since the old one most likely went down the old way.
 * Nothing in flight: nothing happens. Returns 0 or as link_peer_connect.
 */
int link_peer_retry_now(struct link_peer *peer, uint64_t now);

/*
 * Encrypt @len bytes of @data for @peer and hand the packet to
 * hooks->send, or, longer than the fragment size
 * (link_host_set_frag_size), as fragments to hooks->send_train or
 * hooks->send. Without a usable session the data is queued (bounded;
 * oldest dropped) and a handshake started; the queue is flushed when it
 * completes. @len 0 sends a keepalive.
 * Returns 0 or one of: -EMSGSIZE (@len over LINK_MAX_PAYLOAD, more than
 * LINK_FRAG_MAX fragments at the fragment size, or as link_peer_connect),
 * -ENOMEM.
 */
int link_peer_send(struct link_peer *peer, uint64_t now, const uint8_t *data, size_t len);

/*
 * Process one datagram. Handshake packets may make the layer call
 * hooks->send (a response) and hooks->accept; data packets are decrypted
 * in place and described by @rx. A fragment is kept (0, rx->peer NULL)
 * until the last one of its packet arrives; then the packet is processed
 * as a data datagram (rx->data in the reassembly buffer, see struct
 * link_rx). @pkt must not lie in such a buffer (an earlier call's
 * rx->data, e.g. a relayed packet inside it): copy it first, since this
 * call may reuse the buffer for a fragment.
 * Returns 0 or -LINK_DROP_* (the matching counter has been incremented),
 * or -ENOMEM when a new session or a fragment's reassembly buffer could
 * not be stored, or -EMSGSIZE when
 * hooks->handshake_payload claimed more than its cap (no response sent).
 */
int link_receive(struct link_host *host, uint64_t now, uint8_t *pkt, size_t len,
                 struct link_rx *rx);
/*
 * The same for a datagram from @src (@src_len bytes: the daemon passes its
 * sockaddr; only compared and MACed, never parsed). Under load an
 * initiation's mac2 is checked against the cookie of @src, and a cookie
 * reply goes back to it through hooks->send_to. link_receive() is this
 * with no source: never a cookie reply, never a mac2 check.
 */
int link_receive_from(struct link_host *host, uint64_t now, uint8_t *pkt, size_t len,
                      const void *src, size_t src_len, struct link_rx *rx);

/* Earliest time at which link_host_on_timeout() has work (UINT64_MAX: none). */
uint64_t link_host_next_deadline(const struct link_host *host);
/* Run every timer that is due at @now: retries, rekeys, keepalives, expiry. */
void link_host_on_timeout(struct link_host *host, uint64_t now);

#endif
