/*
 * HTTP/1.x parsers: request line and header fields, status line and header
 * fields, chunked bodies, request-target normalisation, Host syntax.
 *
 * Parsers own nothing (picohttpparser): (buf, len) in; bytes consumed,
 * DR_PARSE_ERROR or DR_PARSE_AGAIN out; every dr_str_t they fill is a view
 * into the caller's buffer and must not outlive it. Nothing here allocates,
 * copies, logs or reads a clock, so the same code runs in workers, in the
 * agent's health checker and under libFuzzer.
 *
 * Incremental use: the caller keeps one state struct per message and calls
 * again with the same start and a longer len as bytes arrive. Complete
 * lines are parsed once; a partial line is searched for its LF once (only
 * the new bytes are scanned), so the total work is linear in the header
 * size. If the caller moves the bytes (to a larger buffer), it passes the
 * new start and the views already captured are shifted with it.
 *
 * On DR_PARSE_ERROR, <err> names the reason (dr_http_parse_err_text(): a
 * phrase to log after "client sent " or "upstream sent ") and
 * dr_http_parse_err_status() the status a server answers with. A proxy
 * answers 502 for any error in an upstream response.
 */

#ifndef DR_HTTP_PARSE_H_INCLUDED
#define DR_HTTP_PARSE_H_INCLUDED

#include "dr_config.h"
#include "dr_core.h"


/* methods: one bit each, nginx's values */
#define DR_HTTP_PARSE_METHOD_UNKNOWN    0x00000001
#define DR_HTTP_PARSE_METHOD_GET        0x00000002
#define DR_HTTP_PARSE_METHOD_HEAD       0x00000004
#define DR_HTTP_PARSE_METHOD_POST       0x00000008
#define DR_HTTP_PARSE_METHOD_PUT        0x00000010
#define DR_HTTP_PARSE_METHOD_DELETE     0x00000020
#define DR_HTTP_PARSE_METHOD_MKCOL      0x00000040
#define DR_HTTP_PARSE_METHOD_COPY       0x00000080
#define DR_HTTP_PARSE_METHOD_MOVE       0x00000100
#define DR_HTTP_PARSE_METHOD_OPTIONS    0x00000200
#define DR_HTTP_PARSE_METHOD_PROPFIND   0x00000400
#define DR_HTTP_PARSE_METHOD_PROPPATCH  0x00000800
#define DR_HTTP_PARSE_METHOD_LOCK       0x00001000
#define DR_HTTP_PARSE_METHOD_UNLOCK     0x00002000
#define DR_HTTP_PARSE_METHOD_PATCH      0x00004000
#define DR_HTTP_PARSE_METHOD_TRACE      0x00008000
#define DR_HTTP_PARSE_METHOD_CONNECT    0x00010000

/* http_version = major * 1000 + minor (nginx) */
#define DR_HTTP_PARSE_VERSION_10        1000
#define DR_HTTP_PARSE_VERSION_11        1001

/* request-target forms (RFC 9112 3.2) */
#define DR_HTTP_PARSE_TARGET_ORIGIN     0
#define DR_HTTP_PARSE_TARGET_ABSOLUTE   1
#define DR_HTTP_PARSE_TARGET_AUTHORITY  2
#define DR_HTTP_PARSE_TARGET_ASTERISK   3

/* progress of a request or response head */
#define DR_HTTP_PARSE_STATE_START       0   /* nothing but empty lines */
#define DR_HTTP_PARSE_STATE_LINE        1   /* inside the first line */
#define DR_HTTP_PARSE_STATE_HEADERS     2   /* inside the header fields */
#define DR_HTTP_PARSE_STATE_DONE        3
#define DR_HTTP_PARSE_STATE_ERROR       4

/* the header fields the parser itself interprets */
#define DR_HTTP_PARSE_HDR_OTHER              0
#define DR_HTTP_PARSE_HDR_HOST               1
#define DR_HTTP_PARSE_HDR_CONTENT_LENGTH     2
#define DR_HTTP_PARSE_HDR_TRANSFER_ENCODING  3
#define DR_HTTP_PARSE_HDR_CONNECTION         4
#define DR_HTTP_PARSE_HDR_UPGRADE            5
#define DR_HTTP_PARSE_HDR_EXPECT             6

/* how a response body is delimited, dr_http_parse_response_body() */
#define DR_HTTP_PARSE_BODY_NONE         0
#define DR_HTTP_PARSE_BODY_LENGTH       1
#define DR_HTTP_PARSE_BODY_CHUNKED      2
#define DR_HTTP_PARSE_BODY_CLOSE        3

/* a Content-Length above this is invalid, not merely too large */
#define DR_HTTP_PARSE_MAX_LENGTH        ((off_t) 1 << 62)
/* a chunk-size line (size and extensions) and a trailer section */
#define DR_HTTP_PARSE_CHUNK_LINE_MAX    4096
#define DR_HTTP_PARSE_TRAILERS_MAX      8192


/* error reasons: dr_http_parse_err_text(), dr_http_parse_err_status() */
enum {
    DR_HTTP_PARSE_ERR_NONE = 0,
    DR_HTTP_PARSE_ERR_INVALID_METHOD,
    DR_HTTP_PARSE_ERR_INVALID_REQUEST_LINE,
    DR_HTTP_PARSE_ERR_INVALID_TARGET,
    DR_HTTP_PARSE_ERR_ASTERISK_FORM,
    DR_HTTP_PARSE_ERR_AUTHORITY_FORM,
    DR_HTTP_PARSE_ERR_CONNECT_TARGET,
    DR_HTTP_PARSE_ERR_INVALID_SCHEME,
    DR_HTTP_PARSE_ERR_INVALID_URI_HOST,
    DR_HTTP_PARSE_ERR_USERINFO,
    DR_HTTP_PARSE_ERR_INVALID_VERSION,
    DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION,
    DR_HTTP_PARSE_ERR_BARE_LF,
    DR_HTTP_PARSE_ERR_BARE_CR,
    DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME,
    DR_HTTP_PARSE_ERR_SPACE_BEFORE_COLON,
    DR_HTTP_PARSE_ERR_OBS_FOLD,
    DR_HTTP_PARSE_ERR_INVALID_HEADER_VALUE,
    DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS,
    DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH,
    DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH,
    DR_HTTP_PARSE_ERR_DUP_TRANSFER_ENCODING,
    DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING,
    DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING,
    DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED,
    DR_HTTP_PARSE_ERR_TRANSFER_ENCODING_HTTP10,
    DR_HTTP_PARSE_ERR_DUP_HOST,
    DR_HTTP_PARSE_ERR_INVALID_HOST,
    DR_HTTP_PARSE_ERR_NO_HOST,
    DR_HTTP_PARSE_ERR_HOST_MISMATCH,
    DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE,
    DR_HTTP_PARSE_ERR_INVALID_STATUS,
    DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE,
    DR_HTTP_PARSE_ERR_CHUNK_SIZE_OVERFLOW,
    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT,
    DR_HTTP_PARSE_ERR_CHUNK_LINE_TOO_LONG,
    DR_HTTP_PARSE_ERR_INVALID_CHUNK_END,
    DR_HTTP_PARSE_ERR_INVALID_TRAILER,
    DR_HTTP_PARSE_ERR_TRAILERS_TOO_LARGE,
    DR_HTTP_PARSE_ERR_BODY_TOO_LARGE,
    DR_HTTP_PARSE_ERR_INVALID_URI,
    DR_HTTP_PARSE_ERR_INVALID_PERCENT,
    DR_HTTP_PARSE_ERR_ENCODED_NUL,
    DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT,
    DR_HTTP_PARSE_ERR_LAST
};


typedef struct {
    dr_str_t                 name;
    dr_str_t                 value;        /* OWS trimmed on both sides */
    dr_uint_t                id;           /* DR_HTTP_PARSE_HDR_* */
} dr_http_parse_header_t;

/*
 * The header fields of a request or a response and what they say about
 * framing and the connection. A view is empty (data NULL) when its field
 * is absent; for Connection, Upgrade and Expect it is the first line seen.
 */
typedef struct {
    dr_http_parse_header_t  *headers;      /* caller's array, may be NULL */
    dr_uint_t                max_headers;  /* lines allowed (array size) */
    dr_uint_t                nheaders;     /* lines seen, <= max_headers */

    off_t                    content_length_n;  /* -1: no Content-Length */
    dr_str_t                 content_length;
    dr_str_t                 transfer_encoding;
    dr_str_t                 host;         /* the Host field value */
    dr_str_t                 host_name;    /* its host: no port, no final . */
    dr_str_t                 host_port;    /* its port digits, may be empty */
    dr_str_t                 connection;
    dr_str_t                 upgrade;
    dr_str_t                 expect;

    unsigned                 chunked:1;    /* Transfer-Encoding: chunked */
    unsigned                 conn_close:1;
    unsigned                 conn_keep_alive:1;
    unsigned                 conn_upgrade:1;
    unsigned                 expect_continue:1;
    /* the connection may carry another message (version and Connection;
     * the body framing is the caller's concern); set when DONE */
    unsigned                 keep_alive:1;

    /* private */
    unsigned                 request:1;
    dr_uint_t                http_version;
} dr_http_parse_fields_t;

typedef struct {
    dr_uint_t                state;        /* DR_HTTP_PARSE_STATE_* */
    dr_uint_t                err;          /* DR_HTTP_PARSE_ERR_* */

    dr_str_t                 request_line; /* without CRLF ($request) */
    dr_str_t                 method_name;
    dr_uint_t                method;       /* DR_HTTP_PARSE_METHOD_* */
    dr_str_t                 target;       /* as sent ($request_uri) */
    dr_uint_t                target_form;  /* DR_HTTP_PARSE_TARGET_* */
    dr_str_t                 schema;       /* absolute-form: http, https */
    dr_str_t                 uri_host;     /* absolute/authority-form */
    dr_str_t                 uri_port;
    dr_str_t                 path;         /* up to ? or #, not decoded */
    dr_str_t                 args;         /* after ?, up to # */
    dr_uint_t                http_major;
    dr_uint_t                http_minor;
    dr_uint_t                http_version;

    /* the virtual host to look up: uri_host, else the Host field's name */
    dr_str_t                 server;

    unsigned                 complex_uri:1; /* //, /. or # in the target */
    unsigned                 quoted_uri:1;  /* % in the path */
    unsigned                 plus_in_uri:1; /* + in the path */
    unsigned                 empty_path:1;  /* absolute-form without path */

    dr_http_parse_fields_t   fields;

    /* private: progress, as offsets from <base> */
    u_char                  *base;
    size_t                   pos;          /* start of the current line */
    size_t                   scan;         /* bytes searched for LF */
} dr_http_parse_request_t;

typedef struct {
    dr_uint_t                state;        /* DR_HTTP_PARSE_STATE_* */
    dr_uint_t                err;          /* DR_HTTP_PARSE_ERR_* */

    dr_str_t                 status_line;  /* without CRLF */
    dr_uint_t                http_major;
    dr_uint_t                http_minor;
    dr_uint_t                http_version;
    dr_uint_t                status;       /* 100..599 */
    dr_str_t                 reason;

    dr_http_parse_fields_t   fields;

    /* private */
    u_char                  *base;
    size_t                   pos;
    size_t                   scan;
} dr_http_parse_response_t;

typedef struct {
    dr_uint_t                state;        /* private, but for _done() */
    dr_uint_t                err;          /* DR_HTTP_PARSE_ERR_* */
    off_t                    size;         /* left in the current chunk */
    off_t                    total;        /* payload announced so far */
    off_t                    max_size;     /* 0: no limit */
    size_t                   line;         /* bytes of this line/section */
} dr_http_parse_chunked_t;

#define DR_HTTP_PARSE_CHUNKED_DONE   31
#define DR_HTTP_PARSE_CHUNKED_ERROR  32

#define dr_http_parse_chunked_done(ctx)                                       \
    ((ctx)->state == DR_HTTP_PARSE_CHUNKED_DONE)


/* dr_http_parse.c */

/* a fixed phrase for <err> (never NULL), e.g. "duplicate Host header" */
const char *dr_http_parse_err_text(dr_uint_t err);

/* the status a server answers to a request that failed with <err>:
 * 400, 413, 494 (too many header lines), 501 or 505 */
dr_uint_t dr_http_parse_err_status(dr_uint_t err);

/*
 * Checks a Host field value or an authority (RFC 3986 host [":" port]):
 * a reg-name of unreserved, sub-delims and %XX, or an IPv6 literal in
 * brackets; a port of up to five digits below 65536, possibly empty.
 * <name> gets the host without port and without a final dot, <port> the
 * digits. DR_OK, or DR_PARSE_ERROR on anything else ("..", empty name).
 */
dr_int_t dr_http_parse_host(u_char *p, size_t len, dr_str_t *name,
    dr_str_t *port);


/* dr_http_parse_request.c */

/*
 * Prepares <st> for a new request (also between pipelined requests).
 * <headers> (may be NULL: fields are then checked and counted, not
 * stored) has room for <max_headers> lines; one line more fails with
 * DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS.
 */
void dr_http_parse_request_init(dr_http_parse_request_t *st,
    dr_http_parse_header_t *headers, dr_uint_t max_headers);

/*
 * Parses the request line and header fields at <buf>, validating framing
 * (Content-Length, Transfer-Encoding, Host) on the way. Returns the length
 * of the head including the empty line (the body or the next pipelined
 * request starts there), DR_PARSE_AGAIN (call again with the same start
 * and more bytes; st->state and st->pos tell the caller whether a buffer
 * that filled up holds a too long request line, 414, or header line, 494),
 * or DR_PARSE_ERROR with st->err (sticky). Leading empty lines (CRLF) are
 * skipped and counted. After DONE, calls return the same length.
 */
dr_int_t dr_http_parse_request(dr_http_parse_request_t *st, u_char *buf,
    size_t len);


/* dr_http_parse_response.c */

void dr_http_parse_response_init(dr_http_parse_response_t *st,
    dr_http_parse_header_t *headers, dr_uint_t max_headers);

/*
 * Parses only the status line: returns its length (CRLF included),
 * DR_PARSE_AGAIN or DR_PARSE_ERROR. Garbage that cannot start a status line
 * ("HTTP/" missing: HTTP/0.9 or another protocol) fails as soon as seen.
 * dr_http_parse_response() can continue from the same state.
 */
dr_int_t dr_http_parse_status_line(dr_http_parse_response_t *st,
    u_char *buf, size_t len);

/* The status line and header fields, as dr_http_parse_request(). */
dr_int_t dr_http_parse_response(dr_http_parse_response_t *st, u_char *buf,
    size_t len);

/* 0 for a response to HEAD, 1xx, 204, 304 and a 2xx to CONNECT */
dr_uint_t dr_http_parse_response_has_body(dr_uint_t status,
    dr_uint_t method);

/* DR_HTTP_PARSE_BODY_* of a parsed (DONE) response to <method> */
dr_uint_t dr_http_parse_response_body(dr_http_parse_response_t *st,
    dr_uint_t method);


/* dr_http_parse_chunked.c */

/* <max_size>: limit of the decoded body (client_max_body_size), 0 none */
void dr_http_parse_chunked_init(dr_http_parse_chunked_t *ctx,
    off_t max_size);

/*
 * Decodes chunked framing at <buf>. Returns the bytes consumed, with
 * <data> set to the chunk payload among them (data->len may be 0, then
 * dr_http_parse_chunked_done() is true: the final CRLF was consumed and
 * what follows is the next message); DR_PARSE_AGAIN when all <len> bytes
 * were framing, absorbed in <ctx>: call again with the next bytes; or
 * DR_PARSE_ERROR with ctx->err (DR_HTTP_PARSE_ERR_BODY_TOO_LARGE: 413).
 * Unlike the head parsers, each call starts where the last one stopped.
 */
dr_int_t dr_http_parse_chunked(dr_http_parse_chunked_t *ctx, u_char *buf,
    size_t len, dr_str_t *data);


/* dr_http_parse_uri.c */

/*
 * Normalises a request path as nginx does: decodes %XX, removes "." and
 * ".." segments (also encoded ones), merges "//" when <merge_slashes>, and
 * stops at a raw '?' or '#'. <src> must start with '/'; an empty <src>
 * gives "/". <dst> (size >= max(len, 1)) may be <src> itself: the output
 * is never longer than the input. DR_OK with *dst_len, or DR_PARSE_ERROR
 * with *err (may be NULL): bad %, %00, or ".." above the root (all 400).
 */
dr_int_t dr_http_parse_uri_normalize(u_char *src, size_t len, u_char *dst,
    size_t *dst_len, dr_uint_t merge_slashes, dr_uint_t *err);


/* internal to dr_http_parse*.c */

#define DR_HTTP_PARSE_C_TCHAR   0x01    /* token */
#define DR_HTTP_PARSE_C_VALUE   0x02    /* field-value: VCHAR SP HT obs */
#define DR_HTTP_PARSE_C_URI     0x04    /* request-target byte but # */
#define DR_HTTP_PARSE_C_PLAIN   0x08    /* ... nor / % ? + */
#define DR_HTTP_PARSE_C_HOST    0x10    /* reg-name: unreserved sub-delims % */
#define DR_HTTP_PARSE_C_HEX     0x20
#define DR_HTTP_PARSE_C_SCHEME  0x40    /* ALPHA DIGIT + - . */

extern const uint8_t  dr_http_parse_chars[256];

/* <f> must be zeroed: it is part of a request or response state */
void dr_http_parse_fields_init(dr_http_parse_fields_t *f,
    dr_http_parse_header_t *headers, dr_uint_t max_headers,
    dr_uint_t request);
dr_int_t dr_http_parse_fields_line(dr_http_parse_fields_t *f, u_char *p,
    u_char *lf, dr_uint_t *err);
void dr_http_parse_fields_done(dr_http_parse_fields_t *f);
void dr_http_parse_fields_rebase(dr_http_parse_fields_t *f, ptrdiff_t d);
u_char *dr_http_parse_value_end(u_char *p, u_char *end);
dr_int_t dr_http_parse_iequal(u_char *s, const char *lower, size_t n);

#define dr_http_parse_rebase_str(s, d)                                        \
    if ((s)->data) { (s)->data = (u_char *) ((uintptr_t) (s)->data + (d)); }

#endif /* DR_HTTP_PARSE_H_INCLUDED */
