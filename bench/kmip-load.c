/*
 * kmip-load: a KMIP load generator for ngx_kmip and its peers.
 *
 * KMIP (TTLV) over mutual TLS, many non-blocking connections per thread on
 * epoll, OpenSSL.  Persistent connections, or a new connection per
 * transaction with or without TLS session resumption; a fixed duration or a
 * fixed count; latency percentiles; a JSON summary.  It has its own small
 * TTLV writer and reader, so it depends on nothing in the module.
 *
 * A "transaction" is the list of operations given by --op (for example
 * "dv,get": Discover Versions then Get, as vCenter does on each
 * connection).  With --new-conn every transaction runs on a connection of
 * its own; otherwise the transactions follow each other on the same
 * connection.  --op handshake is the empty transaction: connect, complete
 * the TLS handshake, close.
 *
 * With --http PATH the requests are KMIP over HTTPS instead: each is the
 * body of a POST to PATH on a kept HTTP/1.1 connection, in TTLV or, with
 * --encoding json, in the JSON encoding (dv, query and get).
 *
 * usage: kmip-load --help
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>


#define KL_MAX_SEQ      8
#define KL_WBUF         2048
#define KL_RBUF         (64 * 1024)
#define KL_UID_MAX      128

/* operations */
enum {
    OP_DV = 0,
    OP_QUERY,
    OP_CREATE,
    OP_GET,
    OP_GETATTR,
    OP_CKP_RSA,         /* Create Key Pair RSA-2048 */
    OP_CKP_RSA4K,       /* ... RSA-4096 */
    OP_CKP_EC,          /* ... ECDSA P-256 */
    OP_SIGN_RSA,        /* Sign, SHA-256 with RSA PKCS#1 v1.5 */
    OP_SIGN_EC,         /* Sign, ECDSA with SHA-256 */
    OP_ACTIVATE,
    OP_NCODES,
    OP_MIX = 100
};

static const char *op_names[OP_NCODES] = {
    "dv", "query", "create", "get", "getattr", "ckp-rsa", "ckp-rsa4096",
    "ckp-ec", "sign-rsa", "sign-ec", "activate"
};

/* the operations that name a key of --uids */
#define op_needs_uid(op)                                                      \
    ((op) == OP_GET || (op) == OP_GETATTR || (op) == OP_SIGN_RSA              \
     || (op) == OP_SIGN_EC || (op) == OP_ACTIVATE)

/* the operations whose new key (a pair's private key) goes to --uids-out */
#define op_makes_key(op)                                                      \
    ((op) == OP_CREATE || (op) == OP_CKP_RSA || (op) == OP_CKP_RSA4K          \
     || (op) == OP_CKP_EC)

/* connection states */
enum {
    ST_WAIT = 0,        /* waiting for a start slot or a retry time */
    ST_CONNECT,
    ST_HANDSHAKE,
    ST_WRITE,
    ST_READ,
    ST_IDLE,            /* --hold: done, kept open */
    ST_PAUSE,           /* --think: between two transactions */
    ST_DONE
};

typedef struct {
    uint32_t   *v;
    size_t      n, cap;
} samples_t;

typedef struct thread_s thread_t;

typedef struct {
    thread_t       *t;
    int             fd;
    SSL            *ssl;
    int             state;
    uint32_t        events;     /* epoll interest registered, 0 = none */
    int             seq[KL_MAX_SEQ];
    int             nseq, step;
    int             fresh;      /* connected for this transaction */
    unsigned char   wbuf[KL_WBUF];
    size_t          wlen;
    unsigned char  *rbuf;
    size_t          rlen;
    size_t          body;       /* --http: where the response body starts */
    int             status;     /* --http: the response's status code */
    uint64_t        t_conn, t_op, t_txn, retry_at;
} conn_t;

struct thread_s {
    int             id;
    int             ep;
    conn_t         *conns;
    int             nconns;
    conn_t        **waitq;
    int             nwait;
    int             connecting;
    uint64_t        quota;      /* transactions to start, 0 = unlimited */
    uint64_t        started;
    unsigned        rnd;
    SSL_SESSION    *session;
    pthread_t       tid;

    /* results */
    uint64_t        ops[OP_NCODES];
    uint64_t        ops_total, txns, handshakes, resumed;
    uint64_t        kmip_errors, conn_errors;
    samples_t       lat_op, lat_hs, lat_txn;
    char            first_error[256];
};

typedef struct {
    const char     *host, *port;
    const char     *cert, *key, *ca;
    const char     *json, *label;
    const char     *uids_in, *uids_out;
    int             seq[KL_MAX_SEQ];
    int             nseq;
    int             mix;
    const char     *op_text;
    int             conns, threads;
    double          duration, hold, timeout, think;
    int             time_keygen;
    uint64_t        count;
    int             new_conn, resume;
    int             major, minor;
    int             tls12;
    int             max_connecting;
    int             prepare;
    int             quiet;
    const char     *http_path;  /* NULL: KMIP over TLS */
    int             json_body;  /* --encoding json */
} config_t;

static config_t       cf;
static SSL_CTX       *ctx;
static struct addrinfo *addr;
static volatile sig_atomic_t stop_now;
static uint64_t       deadline;   /* ns, 0 = none */

static char         **uids;
static size_t         nuids, uids_cap;
static pthread_mutex_t uids_lock = PTHREAD_MUTEX_INITIALIZER;

static int            ready_total;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t       t_start;
static unsigned       activate_next;    /* --op activate: the next key */


static uint64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + ts.tv_nsec;
}


static void
die(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    fprintf(stderr, "kmip-load: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}


static void
sample_add(samples_t *s, uint64_t ns)
{
    uint64_t  us;

    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof(uint32_t));
        if (s->v == NULL) {
            die("out of memory");
        }
    }

    us = ns / 1000;
    s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t) us;
}


/* TTLV writer */

typedef struct {
    unsigned char  *p;
    size_t          len, cap;
} ttlv_t;

static void
tw_hdr(ttlv_t *b, uint32_t tag, uint8_t type, uint32_t len)
{
    unsigned char  *p;

    if (b->len + 8 > b->cap) {
        die("request too large");
    }

    p = b->p + b->len;
    p[0] = tag >> 16; p[1] = tag >> 8; p[2] = tag;
    p[3] = type;
    p[4] = len >> 24; p[5] = len >> 16; p[6] = len >> 8; p[7] = len;
    b->len += 8;
}

static size_t
tw_open(ttlv_t *b, uint32_t tag)
{
    size_t  at = b->len;

    tw_hdr(b, tag, 0x01, 0);
    return at;
}

static void
tw_close(ttlv_t *b, size_t at)
{
    uint32_t  len = (uint32_t) (b->len - at - 8);

    b->p[at + 4] = len >> 24; b->p[at + 5] = len >> 16;
    b->p[at + 6] = len >> 8;  b->p[at + 7] = len;
}

static void
tw_u32(ttlv_t *b, uint32_t tag, uint8_t type, uint32_t v)
{
    tw_hdr(b, tag, type, 4);
    if (b->len + 8 > b->cap) {
        die("request too large");
    }
    b->p[b->len] = v >> 24; b->p[b->len + 1] = v >> 16;
    b->p[b->len + 2] = v >> 8; b->p[b->len + 3] = v;
    memset(b->p + b->len + 4, 0, 4);
    b->len += 8;
}

static void
tw_bytes(ttlv_t *b, uint32_t tag, uint8_t type, const void *v, size_t n)
{
    size_t  padded = (n + 7) & ~(size_t) 7;

    tw_hdr(b, tag, type, (uint32_t) n);
    if (b->len + padded > b->cap) {
        die("request too large");
    }
    memcpy(b->p + b->len, v, n);
    memset(b->p + b->len + n, 0, padded - n);
    b->len += padded;
}

#define tw_int(b, t, v)   tw_u32(b, t, 0x02, v)
#define tw_enum(b, t, v)  tw_u32(b, t, 0x05, v)
#define tw_text(b, t, s)  tw_bytes(b, t, 0x07, s, strlen(s))

static void
tw_attr_u32(ttlv_t *b, const char *name, uint8_t type, uint32_t v)
{
    size_t  a = tw_open(b, 0x420008);

    tw_text(b, 0x42000A, name);
    tw_u32(b, 0x42000B, type, v);
    tw_close(b, a);
}


static size_t
build_request(unsigned char *out, size_t cap, int op, const char *uid)
{
    size_t   msg, hdr, pv, bi, pl, ta;
    ttlv_t   b = { out, 0, cap };
    static const unsigned char ubi[8] = { 'Q', 'L', 'K', 'C', 1, 0, 0, 0 };
    static const uint32_t op_codes[OP_NCODES] = {
        0x1E, 0x18, 0x01, 0x0A, 0x0B, 0x02, 0x02, 0x02, 0x21, 0x21, 0x12
    };

    msg = tw_open(&b, 0x420078);
    hdr = tw_open(&b, 0x420077);
    pv = tw_open(&b, 0x420069);
    tw_int(&b, 0x42006A, cf.major);
    tw_int(&b, 0x42006B, cf.minor);
    tw_close(&b, pv);
    tw_int(&b, 0x42000D, 1);
    tw_close(&b, hdr);

    bi = tw_open(&b, 0x42000F);
    tw_enum(&b, 0x42005C, op_codes[op]);
    if (op != OP_DV) {
        /* vCenter's Unique Batch Item ID: "QLKC" + a little-endian 1 */
        tw_bytes(&b, 0x420093, 0x08, ubi, sizeof(ubi));
    }

    pl = tw_open(&b, 0x420079);

    switch (op) {

    case OP_QUERY:
        tw_enum(&b, 0x420074, 1);       /* Query Operations */
        tw_enum(&b, 0x420074, 2);       /* Query Objects */
        break;

    case OP_CREATE:
        tw_enum(&b, 0x420057, 2);       /* Symmetric Key */
        ta = tw_open(&b, 0x420091);
        tw_attr_u32(&b, "Cryptographic Algorithm", 0x05, 3);      /* AES */
        tw_attr_u32(&b, "Cryptographic Length", 0x02, 256);
        tw_attr_u32(&b, "Cryptographic Usage Mask", 0x02, 12);
        tw_close(&b, ta);
        break;

    case OP_CKP_RSA:
    case OP_CKP_RSA4K:
    case OP_CKP_EC:
        /*
         * KMIP 1.2: the algorithm and length common to both keys (ECDSA of
         * 256 bits: P-256), a Sign usage for the private key and Verify
         * for the public one
         */
        ta = tw_open(&b, 0x42001F);     /* Common Template-Attribute */
        tw_attr_u32(&b, "Cryptographic Algorithm", 0x05,
                    op == OP_CKP_EC ? 6 : 4);           /* ECDSA, RSA */
        tw_attr_u32(&b, "Cryptographic Length", 0x02,
                    op == OP_CKP_EC ? 256 : op == OP_CKP_RSA ? 2048 : 4096);
        tw_close(&b, ta);
        ta = tw_open(&b, 0x420065);     /* Private Key Template-Attribute */
        tw_attr_u32(&b, "Cryptographic Usage Mask", 0x02, 1);
        tw_close(&b, ta);
        ta = tw_open(&b, 0x42006E);     /* Public Key Template-Attribute */
        tw_attr_u32(&b, "Cryptographic Usage Mask", 0x02, 2);
        tw_close(&b, ta);
        break;

    case OP_SIGN_RSA:
    case OP_SIGN_EC:
        tw_text(&b, 0x420094, uid);
        ta = tw_open(&b, 0x42002B);     /* Cryptographic Parameters */
        if (op == OP_SIGN_RSA) {
            tw_enum(&b, 0x42005F, 8);   /* Padding Method: PKCS1 v1.5 */
        }
        tw_enum(&b, 0x420038, 6);       /* Hashing Algorithm: SHA-256 */
        tw_enum(&b, 0x420028, op == OP_SIGN_RSA ? 4 : 6);
        tw_close(&b, ta);
        tw_bytes(&b, 0x4200C2, 0x08, "kmip-load: a message to sign.", 29);
        break;

    case OP_GET:
    case OP_ACTIVATE:
        tw_text(&b, 0x420094, uid);
        break;

    case OP_GETATTR:
        tw_text(&b, 0x420094, uid);
        tw_text(&b, 0x42000A, "State");
        tw_text(&b, 0x42000A, "Cryptographic Length");
        break;

    default:
        break;
    }

    tw_close(&b, pl);
    tw_close(&b, bi);
    tw_close(&b, msg);

    return b.len;
}


/*
 * A bounded recursive scan of a response: the first Result Status, the
 * first Result Message and the first Unique Identifier.
 */

typedef struct {
    int     status;
    char    uid[KL_UID_MAX];
    char    message[160];
} reply_t;

static int
scan(const unsigned char *p, size_t n, reply_t *r, int depth)
{
    uint32_t  tag, len, v;
    uint8_t   type;
    size_t    padded;

    if (depth > 16) {
        return -1;
    }

    while (n > 0) {
        if (n < 8) {
            return -1;
        }

        tag = (uint32_t) p[0] << 16 | p[1] << 8 | p[2];
        type = p[3];
        len = (uint32_t) p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
        padded = ((size_t) len + 7) & ~(size_t) 7;

        if (padded > n - 8) {
            return -1;
        }

        if (type == 0x01) {
            if (scan(p + 8, len, r, depth + 1) != 0) {
                return -1;
            }

        } else if (tag == 0x42007F && type == 0x05 && len == 4) {
            v = (uint32_t) p[8] << 24 | p[9] << 16 | p[10] << 8 | p[11];
            if (r->status < 0) {
                r->status = (int) v;
            }

        } else if ((tag == 0x420094 || tag == 0x420066)  /* or private */
                   && type == 0x07 && r->uid[0] == '\0'
                   && len < KL_UID_MAX)
        {
            memcpy(r->uid, p + 8, len);
            r->uid[len] = '\0';

        } else if (tag == 0x42007D && type == 0x07 && r->message[0] == '\0')
        {
            len = len < sizeof(r->message) - 1 ? len
                                               : sizeof(r->message) - 1;
            memcpy(r->message, p + 8, len);
            r->message[len] = '\0';
        }

        p += 8 + padded;
        n -= 8 + padded;
    }

    return 0;
}


/* --encoding json: the same requests in the JSON encoding */

static size_t
build_json(unsigned char *out, size_t cap, int op, const char *uid)
{
    int          n;
    char         payload[KL_UID_MAX + 96];
    const char  *name;

    switch (op) {

    case OP_DV:
        name = "DiscoverVersions";
        payload[0] = '\0';
        break;

    case OP_QUERY:
        name = "Query";
        snprintf(payload, sizeof(payload),
                 "{\"tag\":\"QueryFunction\",\"type\":\"Enumeration\","
                 "\"value\":\"QueryOperations\"},"
                 "{\"tag\":\"QueryFunction\",\"type\":\"Enumeration\","
                 "\"value\":\"QueryObjects\"}");
        break;

    case OP_GET:
        name = "Get";
        snprintf(payload, sizeof(payload),
                 "{\"tag\":\"UniqueIdentifier\",\"type\":\"TextString\","
                 "\"value\":\"%s\"}", uid);
        break;

    default:
        die("--encoding json: dv, query and get only");
        return 0;
    }

    n = snprintf((char *) out, cap,
        "{\"tag\":\"RequestMessage\",\"value\":["
        "{\"tag\":\"RequestHeader\",\"value\":["
        "{\"tag\":\"ProtocolVersion\",\"value\":["
        "{\"tag\":\"ProtocolVersionMajor\",\"type\":\"Integer\","
        "\"value\":%d},"
        "{\"tag\":\"ProtocolVersionMinor\",\"type\":\"Integer\","
        "\"value\":%d}]},"
        "{\"tag\":\"BatchCount\",\"type\":\"Integer\",\"value\":1}]},"
        "{\"tag\":\"BatchItem\",\"value\":["
        "{\"tag\":\"Operation\",\"type\":\"Enumeration\","
        "\"value\":\"%s\"},"
        "{\"tag\":\"RequestPayload\",\"value\":[%s]}]}]}",
        cf.major, cf.minor, name, payload);

    if (n < 0 || (size_t) n >= cap) {
        die("request too large");
    }

    return (size_t) n;
}


/* --http: the request as the body of a POST */

static size_t
build_http(unsigned char *out, size_t cap, int op, const char *uid)
{
    int            n;
    size_t         len;
    unsigned char  body[KL_WBUF];

    len = cf.json_body ? build_json(body, sizeof(body), op, uid)
                       : build_request(body, sizeof(body), op, uid);

    n = snprintf((char *) out, cap,
                 "POST %s HTTP/1.1\r\nHost: kmip\r\n"
                 "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                 cf.http_path, cf.json_body ? "application/json"
                                            : "application/octet-stream",
                 len);

    if (n < 0 || (size_t) n + len > cap) {
        die("request too large");
    }

    memcpy(out + n, body, len);

    return (size_t) n + len;
}


/*
 * --http: the length of the whole response once its header has arrived
 * (0: not yet; (size_t) -1: not an HTTP/1.1 response with a
 * Content-Length); c->body and c->status are set.
 */

static size_t
http_need(conn_t *c)
{
    char     *p, *end, *h;
    size_t    hlen, clen;

    end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (end == NULL) {
        return c->rlen >= 16384 ? (size_t) -1 : 0;
    }

    hlen = (size_t) (end - (char *) c->rbuf) + 4;

    if (hlen < 12 || memcmp(c->rbuf, "HTTP/1.1 ", 9) != 0) {
        return (size_t) -1;
    }

    c->status = atoi((char *) c->rbuf + 9);
    c->body = hlen;

    for (p = (char *) c->rbuf; p < end; p = h + 2) {
        h = memmem(p, end + 2 - p, "\r\n", 2);
        if (h == NULL) {
            break;
        }

        if (h - p > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = strtoul(p + 15, NULL, 10);
            return hlen + clen > KL_RBUF ? (size_t) -1 : hlen + clen;
        }
    }

    return (size_t) -1;
}


static void
uid_add(const char *uid)
{
    pthread_mutex_lock(&uids_lock);

    if (nuids == uids_cap) {
        uids_cap = uids_cap ? uids_cap * 2 : 256;
        uids = realloc(uids, uids_cap * sizeof(char *));
        if (uids == NULL) {
            die("out of memory");
        }
    }

    uids[nuids] = strdup(uid);
    if (uids[nuids] == NULL) {
        die("out of memory");
    }
    nuids++;

    pthread_mutex_unlock(&uids_lock);
}


static void
note_error(thread_t *t, const char *fmt, ...)
{
    va_list  ap;

    if (t->first_error[0] != '\0') {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(t->first_error, sizeof(t->first_error), fmt, ap);
    va_end(ap);
}


static void
set_events(conn_t *c, uint32_t ev)
{
    struct epoll_event  e;

    if (c->events == ev) {
        return;
    }

    e.events = ev;
    e.data.ptr = c;

    if (epoll_ctl(c->t->ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
                  c->fd, &e) != 0)
    {
        die("epoll_ctl: %s", strerror(errno));
    }

    c->events = ev;
}


/*
 * After an SSL call that did not complete: 1 when TLS waits for the socket
 * (the connection's events are set for it), else 0 with the SSL error
 */
static int
ssl_wait(conn_t *c, int n, int *err)
{
    *err = SSL_get_error(c->ssl, n);

    if (*err == SSL_ERROR_WANT_READ) {
        set_events(c, EPOLLIN);
        return 1;
    }

    if (*err == SSL_ERROR_WANT_WRITE) {
        set_events(c, EPOLLOUT);
        return 1;
    }

    return 0;
}


static void
conn_close(conn_t *c)
{
    if (c->ssl) {
        if (c->state > ST_HANDSHAKE) {
            /* a close_notify, as a well-behaved client sends; not waited */
            SSL_shutdown(c->ssl);
        }
        SSL_free(c->ssl);
        c->ssl = NULL;
    }

    if (c->fd >= 0) {
        close(c->fd);           /* also removes it from the epoll set */
        c->fd = -1;
    }

    if (c->state == ST_CONNECT || c->state == ST_HANDSHAKE) {
        c->t->connecting--;
    }

    c->events = 0;
}


static void
conn_wait(conn_t *c, uint64_t retry_at)
{
    conn_close(c);
    c->state = ST_WAIT;
    c->retry_at = retry_at;
    c->t->waitq[c->t->nwait++] = c;
}


static void
conn_fail(conn_t *c, const char *what)
{
    unsigned long  e = ERR_get_error();
    char           buf[160];

    c->t->conn_errors++;
    ERR_error_string_n(e, buf, sizeof(buf));
    note_error(c->t, "%s: %s%s%s", what, strerror(errno),
               e ? " / " : "", e ? buf : "");
    ERR_clear_error();

    /* a little back-off, so that a dead server is not spun on */
    conn_wait(c, now_ns() + 20000000ull);
}


/*
 * An SSL call that returned n: waits for its socket, or the connection
 * fails; closed, the errno to report when the peer closed it (0: as is)
 */
static void
conn_ssl_fail(conn_t *c, int n, const char *what, int closed)
{
    int  err;

    if (ssl_wait(c, n, &err)) {
        return;
    }

    if (closed && err == SSL_ERROR_ZERO_RETURN) {
        errno = closed;
    }

    conn_fail(c, what);
}


static int
txn_begin(conn_t *c)
{
    thread_t  *t = c->t;
    int        i, r;

    if (stop_now || (t->quota && t->started >= t->quota)) {
        return 0;
    }

    t->started++;
    c->step = 0;

    if (cf.mix) {
        /*
         * vCenter-like: mostly reads of existing keys (power-on, host
         * boot), some status polling, a few new keys
         */
        r = rand_r(&t->rnd) % 100;
        c->nseq = 1;
        c->seq[0] = r < 50 ? OP_GET : r < 75 ? OP_GETATTR
                    : r < 90 ? OP_DV : OP_CREATE;

    } else {
        c->nseq = cf.nseq;
        for (i = 0; i < cf.nseq; i++) {
            c->seq[i] = cf.seq[i];
        }
    }

    return 1;
}


static int conn_start(conn_t *c);
static void conn_drive(conn_t *c);


/* the request of the current step */
static void
op_prepare(conn_t *c)
{
    const char  *uid = NULL;
    int          op = c->seq[c->step];

    if (op_needs_uid(op)) {
        if (nuids == 0) {
            die("%s needs keys: --prepare N or --uids FILE",
                op_names[op]);
        }
        /* each key once in turn for activate, else any */
        uid = uids[op == OP_ACTIVATE
                   ? __atomic_fetch_add(&activate_next, 1, __ATOMIC_RELAXED)
                     % nuids
                   : rand_r(&c->t->rnd) % nuids];
    }

    c->wlen = cf.http_path ? build_http(c->wbuf, sizeof(c->wbuf), op, uid)
                           : build_request(c->wbuf, sizeof(c->wbuf), op, uid);
    c->rlen = 0;
    c->t_op = now_ns();
    c->state = ST_WRITE;
}


/* the next operation of the transaction, or the end of it */
static void
next_step(conn_t *c)
{
    thread_t    *t = c->t;

    if (c->step == c->nseq) {
        t->txns++;
        sample_add(&t->lat_txn, now_ns() - c->t_txn);

        if (cf.hold > 0) {
            c->state = ST_IDLE;
            set_events(c, EPOLLIN);

            pthread_mutex_lock(&ready_lock);
            if (++ready_total == cf.conns) {
                printf("ready %d %.3f\n", ready_total,
                       (now_ns() - t_start) / 1e9);
                fflush(stdout);
            }
            pthread_mutex_unlock(&ready_lock);
            return;
        }

        if (cf.new_conn) {
            conn_close(c);
            c->state = ST_DONE;
            if (txn_begin(c)) {
                conn_start(c);
            }
            return;
        }

        if (!txn_begin(c)) {
            conn_close(c);
            c->state = ST_DONE;
            return;
        }

        if (cf.think > 0) {
            /* the next transaction after a pause, the connection kept */
            c->state = ST_PAUSE;
            c->retry_at = now_ns() + (uint64_t) (cf.think * 1e6);
            t->waitq[t->nwait++] = c;
            return;
        }

        c->t_txn = now_ns();
    }

    op_prepare(c);
}


static int
conn_start(conn_t *c)
{
    thread_t  *t = c->t;
    int        fd, one = 1;

    c->t_conn = now_ns();
    c->t_txn = c->t_conn;

    fd = socket(addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0);
    if (fd < 0) {
        die("socket: %s (raise ulimit -n)", strerror(errno));
    }

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    c->fd = fd;
    c->state = ST_CONNECT;
    c->fresh = 1;
    t->connecting++;

    if (connect(fd, addr->ai_addr, addr->ai_addrlen) != 0
        && errno != EINPROGRESS)
    {
        conn_fail(c, "connect");
        return -1;
    }

    set_events(c, EPOLLOUT);
    return 0;
}


static void
conn_handshake_done(conn_t *c)
{
    thread_t  *t = c->t;

    t->connecting--;
    c->state = ST_READ;             /* connected: no longer "connecting" */
    t->handshakes++;
    sample_add(&t->lat_hs, now_ns() - c->t_conn);

    if (SSL_session_reused(c->ssl)) {
        t->resumed++;
    }

    if (cf.resume) {
        /* TLS 1.2 has its session now; 1.3 after the first read */
        if (t->session) {
            SSL_SESSION_free(t->session);
        }
        t->session = SSL_get1_session(c->ssl);
    }

    c->step = 0;

    if (c->nseq == 0 && cf.hold == 0) {
        /* --op handshake */
        t->txns++;
        sample_add(&t->lat_txn, now_ns() - c->t_txn);
        conn_close(c);
        c->state = ST_DONE;
        if (txn_begin(c)) {
            conn_start(c);
        }
        return;
    }

    if (c->nseq == 0) {
        next_step(c);
        return;
    }

    op_prepare(c);
}


static void
got_response(conn_t *c)
{
    thread_t       *t = c->t;
    reply_t         r;
    size_t          n;
    int             op = c->seq[c->step];
    unsigned char  *p;

    static const char  success[] =
        "\"ResultStatus\",\"type\":\"Enumeration\",\"value\":\"Success\"";

    r.status = -1;
    r.uid[0] = '\0';
    r.message[0] = '\0';

    p = c->rbuf;
    n = c->rlen;

    if (cf.http_path) {
        p += c->body;
        n -= c->body;

        if (c->status != 200) {
            t->kmip_errors++;
            note_error(t, "%s: HTTP status %d", op_names[op], c->status);
            c->fresh = 0;
            c->step++;
            next_step(c);
            return;
        }
    }

    if (cf.json_body) {
        /* the first Result Status, as the server writes it */
        if (memmem(p, n, "\"ResultStatus\"", 14) == NULL) {
            t->kmip_errors++;
            note_error(t, "%s: malformed response", op_names[op]);

        } else if (memmem(p, n, success, sizeof(success) - 1) == NULL) {
            t->kmip_errors++;
            note_error(t, "%s: result status not Success", op_names[op]);

        } else {
            r.status = 0;
        }

        if (r.status != 0) {
            c->fresh = 0;
            c->step++;
            next_step(c);
            return;
        }
    }

    if (!cf.json_body
        && (n < 3 || p[0] != 0x42 || p[1] != 0x00 || p[2] != 0x7B
            || scan(p, n, &r, 0) != 0))
    {
        t->kmip_errors++;
        note_error(t, "%s: malformed response", op_names[op]);

    } else if (r.status != 0) {
        t->kmip_errors++;
        note_error(t, "%s: result status %d: %s", op_names[op], r.status,
                   r.message);

    } else {
        t->ops[op]++;
        t->ops_total++;
        sample_add(&t->lat_op, now_ns() - c->t_op);

        if (op_makes_key(op) && cf.uids_out && r.uid[0]) {
            uid_add(r.uid);
        }
    }

    if (cf.resume && c->fresh && SSL_version(c->ssl) == TLS1_3_VERSION) {
        /* the TLS 1.3 ticket came with the data */
        if (t->session) {
            SSL_SESSION_free(t->session);
        }
        t->session = SSL_get1_session(c->ssl);
    }

    c->fresh = 0;
    c->step++;
    next_step(c);
}


static void
conn_drive(conn_t *c)
{
    thread_t  *t = c->t;
    int        n, err, soerr, first;
    socklen_t  sl;
    size_t     need;
    char       drain[256];

    for (first = 1; ; first = 0) {
        switch (c->state) {

        case ST_CONNECT:
            if (!first) {
                return;         /* a new connection: wait for its event */
            }

            sl = sizeof(soerr);
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0
                || soerr != 0)
            {
                errno = soerr;
                conn_fail(c, "connect");
                return;
            }

            c->ssl = SSL_new(ctx);
            if (c->ssl == NULL) {
                die("SSL_new failed");
            }
            SSL_set_fd(c->ssl, c->fd);
            if (cf.resume && t->session) {
                SSL_set_session(c->ssl, t->session);
            }
            c->state = ST_HANDSHAKE;
            break;

        case ST_HANDSHAKE:
            n = SSL_connect(c->ssl);
            if (n == 1) {
                conn_handshake_done(c);
                break;
            }

            conn_ssl_fail(c, n, "handshake", 0);
            return;

        case ST_WRITE:
            n = SSL_write(c->ssl, c->wbuf, (int) c->wlen);
            if (n > 0) {
                c->state = ST_READ;
                break;
            }

            conn_ssl_fail(c, n, "write", 0);
            return;

        case ST_READ:
            if (cf.http_path) {
                need = http_need(c);
                if (need == (size_t) -1) {
                    errno = EPROTO;
                    conn_fail(c, "not an HTTP/1.1 response with a length");
                    return;
                }

                if (need && c->rlen >= need) {
                    got_response(c);
                    break;
                }

                if (need == 0) {
                    need = KL_RBUF;
                }

            } else {
                need = 8;
            }

            if (!cf.http_path && c->rlen >= 8) {
                need = 8 + ((size_t) c->rbuf[4] << 24 | c->rbuf[5] << 16
                            | c->rbuf[6] << 8 | c->rbuf[7]);
                if (need > KL_RBUF) {
                    errno = EMSGSIZE;
                    conn_fail(c, "response too large");
                    return;
                }
            }

            if (c->rlen >= need) {
                got_response(c);
                break;
            }

            n = SSL_read(c->ssl, c->rbuf + c->rlen, (int) (need - c->rlen));
            if (n > 0) {
                c->rlen += n;
                break;
            }

            /* a close by the server is reported as a reset */
            conn_ssl_fail(c, n, "read", ECONNRESET);
            return;

        case ST_IDLE:
            /* only TLS records without data (tickets) are expected */
            n = SSL_read(c->ssl, drain, sizeof(drain));
            if (n > 0) {
                errno = EPROTO;
                conn_fail(c, "unexpected data on an idle connection");
                return;
            }

            err = SSL_get_error(c->ssl, n);
            if (err == SSL_ERROR_WANT_READ) {
                set_events(c, EPOLLIN);
                return;
            }
            errno = err == SSL_ERROR_ZERO_RETURN ? ECONNRESET : errno;
            conn_fail(c, "idle connection closed");
            return;

        default:
            return;
        }
    }
}


/*
 * Starts the connections that wait, within --max-connecting.  A start that
 * fails at once re-queues its connection (conn_fail()) behind the ones being
 * scanned, hence a queue of 2 * conns entries.
 */
static void
start_waiting(thread_t *t, uint64_t now)
{
    int      i, j;
    conn_t  *c;

    for (i = 0, j = 0; i < t->nwait; i++) {
        c = t->waitq[i];

        if (c->retry_at > now
            || (c->state != ST_PAUSE && cf.max_connecting
                && t->connecting >= cf.max_connecting))
        {
            t->waitq[j++] = c;
            continue;
        }

        if (c->state == ST_PAUSE) {
            /* --think: its transaction has begun, on its connection */
            c->t_txn = now;
            op_prepare(c);
            conn_drive(c);
            continue;
        }

        if (!txn_begin(c)) {
            c->state = ST_DONE;
            continue;
        }

        conn_start(c);
    }

    t->nwait = j;
}


static int
thread_busy(thread_t *t)
{
    int  i;

    if (t->nwait > 0) {
        return 1;
    }

    for (i = 0; i < t->nconns; i++) {
        if (t->conns[i].state != ST_DONE) {
            return 1;
        }
    }

    return 0;
}


static void *
thread_run(void *arg)
{
    thread_t            *t = arg;
    struct epoll_event   ev[256];
    int                  i, n, busy_check = 0;
    uint64_t             now;

    for ( ;; ) {
        now = now_ns();

        if (stop_now || (deadline && now >= deadline)) {
            break;
        }

        if (t->nwait) {
            start_waiting(t, now);
        }

        n = epoll_wait(t->ep, ev, 256, t->nwait ? 1 : 50);
        if (n < 0 && errno != EINTR) {
            die("epoll_wait: %s", strerror(errno));
        }

        for (i = 0; i < n; i++) {
            conn_drive(ev[i].data.ptr);
        }

        if (cf.hold == 0 && ++busy_check >= 64) {
            busy_check = 0;
            if (!thread_busy(t)) {
                break;
            }
        }

        if (cf.hold == 0 && n == 0 && !thread_busy(t)) {
            break;
        }
    }

    for (i = 0; i < t->nconns; i++) {
        if (t->conns[i].state != ST_DONE && t->conns[i].state != ST_WAIT) {
            conn_close(&t->conns[i]);
        }
    }

    return NULL;
}


static int
cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}


typedef struct {
    double  p50, p90, p99, max, mean;
    size_t  n;
} pct_t;

static pct_t
percentiles(thread_t *th, int nth, size_t off)
{
    samples_t  all = { NULL, 0, 0 };
    samples_t *s;
    pct_t      p;
    double     sum = 0;
    size_t     i;
    int        k;

    memset(&p, 0, sizeof(p));

    for (k = 0; k < nth; k++) {
        s = (samples_t *) ((char *) &th[k] + off);
        for (i = 0; i < s->n; i++) {
            sample_add(&all, (uint64_t) s->v[i] * 1000);
            sum += s->v[i];
        }
    }

    if (all.n == 0) {
        return p;
    }

    qsort(all.v, all.n, sizeof(uint32_t), cmp_u32);

#define PCT(q) (all.v[(size_t) ((q) * (all.n - 1) + 0.5)] / 1000.0)
    p.p50 = PCT(0.50);
    p.p90 = PCT(0.90);
    p.p99 = PCT(0.99);
    p.max = all.v[all.n - 1] / 1000.0;
    p.mean = sum / all.n / 1000.0;
    p.n = all.n;
#undef PCT

    free(all.v);
    return p;
}


static void
usage(void)
{
    printf(
"usage: kmip-load --port PORT --cert F --key F --ca F [options]\n"
"  --host H            server address (127.0.0.1)\n"
"  --port P            server port\n"
"  --cert F --key F    client certificate and key (PEM)\n"
"  --ca F              CA that signed the server certificate (PEM)\n"
"  --op LIST           comma list of dv, query, create, get, getattr,\n"
"                      ckp-rsa, ckp-rsa4096, ckp-ec (Create Key Pair\n"
"                      RSA-2048, RSA-4096, ECDSA P-256), sign-rsa,\n"
"                      sign-ec (SHA-256; PKCS#1 v1.5, ECDSA), activate\n"
"                      (each key of --uids in turn); or\n"
"                      mix (vCenter-like: 50%% get, 25%% getattr, 15%% dv,\n"
"                      10%% create); or handshake (TLS only)  [dv]\n"
"  --conns N           connections in flight (64)\n"
"  --threads N         event-loop threads (1)\n"
"  --duration S        run for S seconds (10), or\n"
"  --count N           run N transactions\n"
"  --new-conn          a new TLS connection per transaction\n"
"  --resume            ... resuming the TLS session of the previous one\n"
"  --tls12             offer TLS 1.2 only (default: 1.2 and 1.3)\n"
"  --version M.m       KMIP protocol version of the requests (1.1)\n"
"  --prepare N         create N keys first (not measured) for get/getattr\n"
"  --uids FILE         read key ids (one a line) for get/getattr\n"
"  --uids-out FILE     write the ids of the keys created\n"
"  --think MS          pause MS milliseconds between a connection's\n"
"                      transactions (a light load that samples latency)\n"
"  --time-keygen N     first make N RSA-4096 keys here, timed (what one\n"
"                      costs an event loop that makes it itself)\n"
"  --hold S            run each connection's transaction once, print\n"
"                      \"ready N SECONDS\" when all are done, keep them open\n"
"                      S seconds (or until SIGTERM)\n"
"  --max-connecting N  connections in connect/handshake at once (0: all)\n"
"  --timeout S         give up a --count run after S seconds (600)\n"
"  --label TEXT        a name for the run, echoed in the output\n"
"  --json FILE         write the results as JSON\n"
"  --quiet             no text summary\n"
"  --http PATH         KMIP over HTTPS: POST each request to PATH on a\n"
"                      kept HTTP/1.1 connection\n"
"  --encoding E        with --http: ttlv or json (dv, query, get) [ttlv]\n");
}


static void
parse_ops(const char *s)
{
    char  *dup, *tok, *save;
    int    i;

    cf.op_text = s;

    if (strcmp(s, "mix") == 0) {
        cf.mix = 1;
        return;
    }

    if (strcmp(s, "handshake") == 0) {
        cf.nseq = 0;
        return;
    }

    dup = strdup(s);
    for (tok = strtok_r(dup, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
    {
        for (i = 0; i < OP_NCODES; i++) {
            if (strcmp(tok, op_names[i]) == 0) {
                break;
            }
        }
        if (i == OP_NCODES) {
            die("unknown operation \"%s\"", tok);
        }
        if (cf.nseq == KL_MAX_SEQ) {
            die("too many operations in --op");
        }
        cf.seq[cf.nseq++] = i;
    }
    free(dup);
}


static void
load_uids(const char *file)
{
    FILE  *f = fopen(file, "r");
    char   line[KL_UID_MAX + 2];
    size_t n;

    if (f == NULL) {
        die("%s: %s", file, strerror(errno));
    }

    while (fgets(line, sizeof(line), f)) {
        n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n > 0) {
            uid_add(line);
        }
    }

    fclose(f);
}


static void
on_signal(int sig)
{
    (void) sig;
    stop_now = 1;
}


static void
threads_init(thread_t *th, int nth, int conns, uint64_t count)
{
    int       k, i, per;

    for (k = 0; k < nth; k++) {
        memset(&th[k], 0, sizeof(thread_t));
        th[k].id = k;
        th[k].rnd = 0x9e3779b9u * (k + 1) ^ (unsigned) getpid();
        th[k].ep = epoll_create1(EPOLL_CLOEXEC);
        if (th[k].ep < 0) {
            die("epoll_create1: %s", strerror(errno));
        }

        per = conns / nth + (k < conns % nth);
        th[k].nconns = per;
        th[k].conns = calloc(per ? per : 1, sizeof(conn_t));
        th[k].waitq = calloc(2 * per + 2, sizeof(conn_t *));
        if (th[k].conns == NULL || th[k].waitq == NULL) {
            die("out of memory");
        }

        if (count) {
            th[k].quota = count / nth + (k < (int) (count % nth));
            if (th[k].quota == 0) {
                th[k].quota = 0;
                th[k].nconns = 0;
            }
        }

        for (i = 0; i < th[k].nconns; i++) {
            conn_t  *c = &th[k].conns[i];

            c->t = &th[k];
            c->fd = -1;
            c->rbuf = malloc(KL_RBUF);
            if (c->rbuf == NULL) {
                die("out of memory");
            }
            c->state = ST_WAIT;
            th[k].waitq[th[k].nwait++] = c;
        }
    }
}


static void
threads_free(thread_t *th, int nth)
{
    int  k, i;

    for (k = 0; k < nth; k++) {
        for (i = 0; i < th[k].nconns; i++) {
            free(th[k].conns[i].rbuf);
        }
        free(th[k].conns);
        free(th[k].waitq);
        free(th[k].lat_op.v);
        free(th[k].lat_hs.v);
        free(th[k].lat_txn.v);
        if (th[k].session) {
            SSL_SESSION_free(th[k].session);
        }
        close(th[k].ep);
    }
}


/*
 * --time-keygen: RSA-4096 keys made here, one after the other, timed; the
 * samples in th->lat_op, which percentiles() reads
 */
static void
time_keygen(thread_t *th, int n)
{
    int        i;
    uint64_t   t0;
    EVP_PKEY  *pk;

    for (i = 0; i < n; i++) {
        t0 = now_ns();
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 4096);
        if (pk == NULL) {
            ERR_print_errors_fp(stderr);
            die("RSA-4096 key generation failed");
        }
        sample_add(&th->lat_op, now_ns() - t0);
        EVP_PKEY_free(pk);
    }
}


/* --prepare: create keys on a few connections, not measured */
static void
prepare_keys(int n)
{
    config_t  saved = cf;
    thread_t  th;

    cf.nseq = 1;
    cf.seq[0] = OP_CREATE;
    cf.mix = 0;
    cf.new_conn = 0;
    cf.resume = 0;
    cf.hold = 0;
    cf.uids_out = "-";
    deadline = now_ns() + (uint64_t) (cf.timeout * 1e9);

    threads_init(&th, 1, n < 16 ? n : 16, n);
    thread_run(&th);

    if (th.kmip_errors || th.conn_errors || nuids < (size_t) n) {
        die("--prepare: %zu of %d keys created (%s)", nuids, n,
            th.first_error);
    }

    threads_free(&th, 1);
    cf = saved;
}


static void
json_pct(FILE *f, const char *name, pct_t p, int last)
{
    fprintf(f, "  \"%s\": {\"n\": %zu, \"p50_ms\": %.3f, \"p90_ms\": %.3f, "
            "\"p99_ms\": %.3f, \"max_ms\": %.3f, \"mean_ms\": %.3f}%s\n",
            name, p.n, p.p50, p.p90, p.p99, p.max, p.mean, last ? "" : ",");
}


/* what a run measured, summed over the threads */

typedef struct {
    uint64_t        sum[OP_NCODES];
    uint64_t        ops, txns, hs, res, kerr, cerr;
    double          elapsed, cpu;
    pct_t           p_op, p_hs, p_txn, p_keygen;
    const char     *first_error;
} result_t;


/* the command line into cf: -1 to go on, else main's exit status */

static int
parse_args(int argc, char **argv)
{
    static struct option  lo[] = {
        { "host", 1, 0, 'h' }, { "port", 1, 0, 'p' },
        { "cert", 1, 0, 'c' }, { "key", 1, 0, 'k' }, { "ca", 1, 0, 'a' },
        { "op", 1, 0, 'o' }, { "conns", 1, 0, 'n' },
        { "threads", 1, 0, 't' }, { "duration", 1, 0, 'd' },
        { "count", 1, 0, 'N' }, { "new-conn", 0, 0, 'C' },
        { "resume", 0, 0, 'R' }, { "tls12", 0, 0, '2' },
        { "version", 1, 0, 'V' }, { "prepare", 1, 0, 'P' },
        { "uids", 1, 0, 'u' }, { "uids-out", 1, 0, 'U' },
        { "hold", 1, 0, 'H' }, { "max-connecting", 1, 0, 'm' },
        { "timeout", 1, 0, 'T' }, { "label", 1, 0, 'l' },
        { "json", 1, 0, 'j' }, { "quiet", 0, 0, 'q' },
        { "think", 1, 0, 'W' }, { "time-keygen", 1, 0, 'G' },
        { "http", 1, 0, 'Y' }, { "encoding", 1, 0, 'E' },
        { "help", 0, 0, '?' }, { 0, 0, 0, 0 }
    };

    int  o;

    cf.host = "127.0.0.1";
    cf.conns = 64;
    cf.threads = 1;
    cf.duration = 10;
    cf.timeout = 600;
    cf.major = 1;
    cf.minor = 1;
    cf.label = "";
    parse_ops("dv");

    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'h': cf.host = optarg; break;
        case 'p': cf.port = optarg; break;
        case 'c': cf.cert = optarg; break;
        case 'k': cf.key = optarg; break;
        case 'a': cf.ca = optarg; break;
        case 'o': cf.nseq = 0; cf.mix = 0; parse_ops(optarg); break;
        case 'n': cf.conns = atoi(optarg); break;
        case 't': cf.threads = atoi(optarg); break;
        case 'd': cf.duration = atof(optarg); break;
        case 'N': cf.count = strtoull(optarg, NULL, 10); break;
        case 'C': cf.new_conn = 1; break;
        case 'R': cf.resume = 1; break;
        case '2': cf.tls12 = 1; break;
        case 'V':
            if (sscanf(optarg, "%d.%d", &cf.major, &cf.minor) != 2) {
                die("--version M.m");
            }
            break;
        case 'P': cf.prepare = atoi(optarg); break;
        case 'u': cf.uids_in = optarg; break;
        case 'U': cf.uids_out = optarg; break;
        case 'H': cf.hold = atof(optarg); break;
        case 'm': cf.max_connecting = atoi(optarg); break;
        case 'T': cf.timeout = atof(optarg); break;
        case 'l': cf.label = optarg; break;
        case 'j': cf.json = optarg; break;
        case 'q': cf.quiet = 1; break;
        case 'W': cf.think = atof(optarg); break;
        case 'G': cf.time_keygen = atoi(optarg); break;
        case 'Y': cf.http_path = optarg; break;
        case 'E':
            if (strcmp(optarg, "json") == 0) {
                cf.json_body = 1;
            } else if (strcmp(optarg, "ttlv") != 0) {
                die("--encoding ttlv | json");
            }
            break;
        case '?':
        default:
            usage();
            return o == '?' && optopt == 0 ? 0 : 2;
        }
    }

    if (cf.port == NULL || cf.cert == NULL || cf.key == NULL
        || cf.ca == NULL)
    {
        usage();
        return 2;
    }

    if (cf.conns < 1 || cf.threads < 1 || cf.threads > cf.conns) {
        die("need 1 <= --threads <= --conns");
    }

    if (cf.resume) {
        cf.new_conn = 1;
    }

    if (cf.json_body && cf.http_path == NULL) {
        die("--encoding json needs --http");
    }

    if (cf.nseq == 0 && !cf.mix) {
        cf.new_conn = 1;            /* handshake only */
    }

    return -1;
}


/* the process's limits and signals, the server's address, the TLS context */

static void
setup(void)
{
    struct rlimit    rl;
    struct addrinfo  hints;

    /* many connections: as many descriptors as the hard limit allows */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(cf.host, cf.port, &hints, &addr) != 0) {
        die("cannot resolve %s:%s", cf.host, cf.port);
    }

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL
        || SSL_CTX_use_certificate_chain_file(ctx, cf.cert) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, cf.key, SSL_FILETYPE_PEM) != 1
        || SSL_CTX_load_verify_locations(ctx, cf.ca, NULL) != 1)
    {
        ERR_print_errors_fp(stderr);
        die("cannot load the client certificate, key or CA");
    }

    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (cf.tls12) {
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}


/* the threads run until the deadline or the count; their sums in r */

static void
run(thread_t *th, result_t *r)
{
    int            k, o, rc;
    uint64_t       t_end;
    struct rusage  ru0, ru1;

    getrusage(RUSAGE_SELF, &ru0);
    t_start = now_ns();

    if (cf.hold > 0) {
        deadline = t_start + (uint64_t) (cf.hold * 1e9);
    } else if (cf.count) {
        deadline = t_start + (uint64_t) (cf.timeout * 1e9);
    } else {
        deadline = t_start + (uint64_t) (cf.duration * 1e9);
    }

    for (k = 1; k < cf.threads; k++) {
        rc = pthread_create(&th[k].tid, NULL, thread_run, &th[k]);
        if (rc != 0) {
            die("pthread_create: %s", strerror(rc));
        }
    }

    thread_run(&th[0]);

    for (k = 1; k < cf.threads; k++) {
        pthread_join(th[k].tid, NULL);
    }

    t_end = now_ns();
    getrusage(RUSAGE_SELF, &ru1);

    memset(r, 0, sizeof(result_t));
    r->first_error = "";
    r->elapsed = (t_end - t_start) / 1e9;
    r->cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec)
             + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6
             + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec)
             + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;

    for (k = 0; k < cf.threads; k++) {
        for (o = 0; o < OP_NCODES; o++) {
            r->sum[o] += th[k].ops[o];
        }
        r->ops += th[k].ops_total;
        r->txns += th[k].txns;
        r->hs += th[k].handshakes;
        r->res += th[k].resumed;
        r->kerr += th[k].kmip_errors;
        r->cerr += th[k].conn_errors;
        if (r->first_error[0] == '\0' && th[k].first_error[0] != '\0') {
            r->first_error = th[k].first_error;
        }
    }

    r->p_op = percentiles(th, cf.threads, offsetof(thread_t, lat_op));
    r->p_hs = percentiles(th, cf.threads, offsetof(thread_t, lat_hs));
    r->p_txn = percentiles(th, cf.threads, offsetof(thread_t, lat_txn));
}


static void
report_text(result_t *r)
{
    printf("kmip-load %s%sop=%s conns=%d threads=%d%s%s%s elapsed=%.2fs\n",
           cf.label, cf.label[0] ? " " : "", cf.op_text, cf.conns,
           cf.threads, cf.new_conn ? " new-conn" : "",
           cf.resume ? " resume" : "", cf.tls12 ? " tls1.2" : "",
           r->elapsed);
    printf("  ops %llu (%.1f/s)  transactions %llu (%.1f/s)"
           "  errors kmip=%llu conn=%llu\n",
           (unsigned long long) r->ops, r->ops / r->elapsed,
           (unsigned long long) r->txns, r->txns / r->elapsed,
           (unsigned long long) r->kerr, (unsigned long long) r->cerr);
    if (r->p_op.n) {
        printf("  op latency ms   p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
               r->p_op.p50, r->p_op.p90, r->p_op.p99, r->p_op.max);
    }
    printf("  handshakes %llu (%.1f/s) resumed %llu",
           (unsigned long long) r->hs, r->hs / r->elapsed,
           (unsigned long long) r->res);
    if (r->p_hs.n) {
        printf("  latency ms p50 %.3f  p99 %.3f  max %.3f",
               r->p_hs.p50, r->p_hs.p99, r->p_hs.max);
    }
    if (r->p_keygen.n) {
        printf("\n  RSA-4096 generation here (%zu) ms p50 %.1f  max %.1f",
               r->p_keygen.n, r->p_keygen.p50, r->p_keygen.max);
    }
    printf("\n  client cpu %.2fs (%.0f%% of one core)\n", r->cpu,
           100 * r->cpu / r->elapsed);
    if (r->first_error[0]) {
        printf("  first error: %s\n", r->first_error);
    }
    fflush(stdout);
}


static void
report_json(result_t *r, FILE *f)
{
    int  o;

    fprintf(f, "{\n  \"label\": \"%s\",\n  \"op\": \"%s\",\n",
            cf.label, cf.op_text);
    fprintf(f, "  \"conns\": %d,\n  \"threads\": %d,\n"
            "  \"new_conn\": %s,\n  \"resume\": %s,\n  \"tls12\": %s,\n",
            cf.conns, cf.threads, cf.new_conn ? "true" : "false",
            cf.resume ? "true" : "false", cf.tls12 ? "true" : "false");
    fprintf(f, "  \"elapsed_s\": %.4f,\n  \"ops\": %llu,\n"
            "  \"ops_per_s\": %.2f,\n  \"transactions\": %llu,\n"
            "  \"transactions_per_s\": %.2f,\n",
            r->elapsed, (unsigned long long) r->ops, r->ops / r->elapsed,
            (unsigned long long) r->txns, r->txns / r->elapsed);
    fprintf(f, "  \"handshakes\": %llu,\n  \"handshakes_per_s\": %.2f,\n"
            "  \"resumed\": %llu,\n",
            (unsigned long long) r->hs, r->hs / r->elapsed,
            (unsigned long long) r->res);
    fprintf(f, "  \"kmip_errors\": %llu,\n  \"conn_errors\": %llu,\n",
            (unsigned long long) r->kerr, (unsigned long long) r->cerr);
    fprintf(f, "  \"first_error\": \"");
    for (const char *s = r->first_error; *s; s++) {
        fputc(*s == '"' || *s == '\\' || (unsigned char) *s < 0x20
              ? '?' : *s, f);
    }
    fprintf(f, "\",\n  \"client_cpu_s\": %.4f,\n  \"by_op\": {", r->cpu);
    for (o = 0; o < OP_NCODES; o++) {
        fprintf(f, "%s\"%s\": %llu", o ? ", " : "", op_names[o],
                (unsigned long long) r->sum[o]);
    }
    fprintf(f, "},\n");
    json_pct(f, "latency", r->p_op, 0);
    json_pct(f, "handshake_latency", r->p_hs, 0);
    json_pct(f, "transaction_latency", r->p_txn, 0);
    json_pct(f, "keygen_rsa4096", r->p_keygen, 1);
    fprintf(f, "}\n");
}


static void
write_uids(const char *file)
{
    FILE  *f;

    f = fopen(file, "w");
    if (f == NULL) {
        die("%s: %s", file, strerror(errno));
    }

    for (size_t i = 0; i < nuids; i++) {
        fprintf(f, "%s\n", uids[i]);
    }

    fclose(f);
}


int
main(int argc, char **argv)
{
    int        rc;
    FILE      *f;
    thread_t  *th, kg;
    result_t   r;

    rc = parse_args(argc, argv);
    if (rc >= 0) {
        return rc;
    }

    setup();

    if (cf.uids_in) {
        load_uids(cf.uids_in);
    }

    if (cf.prepare > 0) {
        prepare_keys(cf.prepare);
    }

    th = calloc(cf.threads, sizeof(thread_t));
    if (th == NULL) {
        die("out of memory");
    }

    threads_init(th, cf.threads, cf.conns, cf.count);

    memset(&kg, 0, sizeof(thread_t));
    if (cf.time_keygen > 0) {
        time_keygen(&kg, cf.time_keygen);
    }

    run(th, &r);

    r.p_keygen = percentiles(&kg, 1, offsetof(thread_t, lat_op));
    free(kg.lat_op.v);

    if (!cf.quiet) {
        report_text(&r);
    }

    if (cf.json) {
        f = strcmp(cf.json, "-") == 0 ? stdout : fopen(cf.json, "w");
        if (f == NULL) {
            die("%s: %s", cf.json, strerror(errno));
        }

        report_json(&r, f);

        if (f != stdout) {
            fclose(f);
        }
    }

    if (cf.uids_out && strcmp(cf.uids_out, "-") != 0) {
        write_uids(cf.uids_out);
    }

    threads_free(th, cf.threads);
    free(th);
    SSL_CTX_free(ctx);
    freeaddrinfo(addr);

    return (r.kerr || r.cerr) ? 1 : 0;
}
