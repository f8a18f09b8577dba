/*
 * The ZooKeeper client protocol: opcodes, error codes, event types and
 * states, and every request and response record, as the 3.8 server and its
 * clients put them on the wire (apache/zookeeper's zookeeper.jute, checked
 * against frames recorded between kazoo / zkCli.sh and a 3.8.0 server: see
 * tests/unit/zk/test_proto.c).
 *
 * A record is a C struct plus a field description (dr_zk_jute_record_t);
 * DR_ZK_PROTO_RECORD() below declares, for each jute class, its description
 * dr_zk_<name>_rec and typed wrappers dr_zk_<name>_decode(rd, r) and
 * dr_zk_<name>_encode(wr, r). Records of the same shape share a C struct
 * (getData, exists, getChildren and getChildren2 requests are all
 * {path, watch}). Decoded strings and vectors are views into the frame.
 */
#ifndef DR_ZK_PROTO_H_INCLUDED
#define DR_ZK_PROTO_H_INCLUDED

/* ZooDefs.OpCode */
#define DR_ZK_OPCODE_NOTIFICATION            0
#define DR_ZK_OPCODE_CREATE                  1
#define DR_ZK_OPCODE_DELETE                  2
#define DR_ZK_OPCODE_EXISTS                  3
#define DR_ZK_OPCODE_GET_DATA                4
#define DR_ZK_OPCODE_SET_DATA                5
#define DR_ZK_OPCODE_GET_ACL                 6
#define DR_ZK_OPCODE_SET_ACL                 7
#define DR_ZK_OPCODE_GET_CHILDREN            8
#define DR_ZK_OPCODE_SYNC                    9
#define DR_ZK_OPCODE_PING                    11
#define DR_ZK_OPCODE_GET_CHILDREN2           12
#define DR_ZK_OPCODE_CHECK                   13
#define DR_ZK_OPCODE_MULTI                   14
#define DR_ZK_OPCODE_CREATE2                 15
#define DR_ZK_OPCODE_RECONFIG                16
#define DR_ZK_OPCODE_CHECK_WATCHES           17
#define DR_ZK_OPCODE_REMOVE_WATCHES          18
#define DR_ZK_OPCODE_CREATE_CONTAINER        19
#define DR_ZK_OPCODE_DELETE_CONTAINER        20
#define DR_ZK_OPCODE_CREATE_TTL              21
#define DR_ZK_OPCODE_MULTI_READ              22
#define DR_ZK_OPCODE_AUTH                    100
#define DR_ZK_OPCODE_SET_WATCHES             101
#define DR_ZK_OPCODE_SASL                    102
#define DR_ZK_OPCODE_GET_EPHEMERALS          103
#define DR_ZK_OPCODE_GET_ALL_CHILDREN_NUMBER 104
#define DR_ZK_OPCODE_SET_WATCHES2            105
#define DR_ZK_OPCODE_ADD_WATCH               106
#define DR_ZK_OPCODE_WHO_AM_I                107
#define DR_ZK_OPCODE_CREATE_SESSION          -10
#define DR_ZK_OPCODE_CLOSE_SESSION           -11
#define DR_ZK_OPCODE_ERROR                   -1

/* KeeperException.Code */
#define DR_ZK_OK                             0
#define DR_ZK_SYSTEMERROR                    -1
#define DR_ZK_RUNTIMEINCONSISTENCY           -2
#define DR_ZK_DATAINCONSISTENCY              -3
#define DR_ZK_CONNECTIONLOSS                 -4
#define DR_ZK_MARSHALLINGERROR               -5
#define DR_ZK_UNIMPLEMENTED                  -6
#define DR_ZK_OPERATIONTIMEOUT               -7
#define DR_ZK_BADARGUMENTS                   -8
#define DR_ZK_UNKNOWNSESSION                 -12
#define DR_ZK_NEWCONFIGNOQUORUM              -13
#define DR_ZK_RECONFIGINPROGRESS             -14
#define DR_ZK_APIERROR                       -100
#define DR_ZK_NONODE                         -101
#define DR_ZK_NOAUTH                         -102
#define DR_ZK_BADVERSION                     -103
#define DR_ZK_NOCHILDRENFOREPHEMERALS        -108
#define DR_ZK_NODEEXISTS                     -110
#define DR_ZK_NOTEMPTY                       -111
#define DR_ZK_SESSIONEXPIRED                 -112
#define DR_ZK_INVALIDCALLBACK                -113
#define DR_ZK_INVALIDACL                     -114
#define DR_ZK_AUTHFAILED                     -115
#define DR_ZK_SESSIONMOVED                   -118
#define DR_ZK_NOTREADONLY                    -119
#define DR_ZK_EPHEMERALONLOCALSESSION        -120
#define DR_ZK_NOWATCHER                      -121
#define DR_ZK_REQUESTTIMEOUT                 -122
#define DR_ZK_RECONFIGDISABLED               -123
#define DR_ZK_SESSIONCLOSEDREQUIRESASLAUTH   -124
#define DR_ZK_QUOTAEXCEEDED                  -125
#define DR_ZK_THROTTLEDOP                    -127

/* Watcher.Event.EventType */
#define DR_ZK_EVENT_NONE                     -1
#define DR_ZK_EVENT_NODE_CREATED             1
#define DR_ZK_EVENT_NODE_DELETED             2
#define DR_ZK_EVENT_NODE_DATA_CHANGED        3
#define DR_ZK_EVENT_NODE_CHILDREN_CHANGED    4
#define DR_ZK_EVENT_DATA_WATCH_REMOVED       5
#define DR_ZK_EVENT_CHILD_WATCH_REMOVED      6
#define DR_ZK_EVENT_PERSISTENT_WATCH_REMOVED 7

/* Watcher.Event.KeeperState */
#define DR_ZK_STATE_UNKNOWN                  -1
#define DR_ZK_STATE_DISCONNECTED             0
#define DR_ZK_STATE_NO_SYNC_CONNECTED        1
#define DR_ZK_STATE_SYNC_CONNECTED           3
#define DR_ZK_STATE_AUTH_FAILED              4
#define DR_ZK_STATE_CONNECTED_READ_ONLY      5
#define DR_ZK_STATE_SASL_AUTHENTICATED       6
#define DR_ZK_STATE_CLOSED                   7
#define DR_ZK_STATE_EXPIRED                  -112

/* special xids */
#define DR_ZK_XID_NOTIFICATION               -1
#define DR_ZK_XID_PING                       -2
#define DR_ZK_XID_AUTH                       -4
#define DR_ZK_XID_SET_WATCHES                -8

/* CreateMode flags; any other value is BadArguments */
#define DR_ZK_CREATE_PERSISTENT              0
#define DR_ZK_CREATE_EPHEMERAL               1
#define DR_ZK_CREATE_PERSISTENT_SEQUENTIAL   2
#define DR_ZK_CREATE_EPHEMERAL_SEQUENTIAL    3
#define DR_ZK_CREATE_CONTAINER               4
#define DR_ZK_CREATE_PERSISTENT_WITH_TTL     5
#define DR_ZK_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL  6

/* ZooDefs.Perms */
#define DR_ZK_PERM_READ                      1
#define DR_ZK_PERM_WRITE                     2
#define DR_ZK_PERM_CREATE                    4
#define DR_ZK_PERM_DELETE                    8
#define DR_ZK_PERM_ADMIN                     16
#define DR_ZK_PERM_ALL                       31

/* checkWatches / removeWatches type; addWatch mode */
#define DR_ZK_WATCHER_CHILDREN               1
#define DR_ZK_WATCHER_DATA                   2
#define DR_ZK_WATCHER_ANY                    3
#define DR_ZK_ADD_WATCH_PERSISTENT           0
#define DR_ZK_ADD_WATCH_PERSISTENT_RECURSIVE 1

#define DR_ZK_PASSWD_LEN                     16

/* ephemeralOwner encodings of containers and TTL nodes (EphemeralType) */
#define DR_ZK_EPHEMERAL_CONTAINER     ((int64_t) 0x8000000000000000ULL)
#define DR_ZK_EPHEMERAL_TTL_MASK      0xff00000000000000ULL

#define DR_ZK_REPLY_HEADER_SIZE              16
#define DR_ZK_REQUEST_HEADER_SIZE            8


/* records: see DR_ZK_PROTO_RECORD() below for the jute classes of each */

typedef struct {
    int32_t          xid;
    int32_t          type;
} dr_zk_request_header_t;

typedef struct {
    int32_t          xid;
    int64_t          zxid;
    int32_t          err;
} dr_zk_reply_header_t;

typedef struct {
    int32_t          type;
    dr_uint_t        done;
    int32_t          err;
} dr_zk_multi_header_t;

/*
 * ConnectRequest / ConnectResponse and the trailing readOnly byte that the
 * 3.8 jute does not declare but every client sends: has_read_only records
 * whether it was present (the response carries it only if the request did).
 */
typedef struct {
    int32_t          protocol_version;
    int64_t          last_zxid_seen;
    int32_t          timeout;
    int64_t          session_id;
    dr_str_t         passwd;
    dr_uint_t        read_only;
    dr_uint_t        has_read_only;
} dr_zk_connect_request_t;

typedef struct {
    int32_t          protocol_version;
    int32_t          timeout;
    int64_t          session_id;
    dr_str_t         passwd;
    dr_uint_t        read_only;
    dr_uint_t        has_read_only;
} dr_zk_connect_response_t;

/* CreateRequest; CreateTTLRequest adds ttl (0 in a CreateRequest) */
typedef struct {
    dr_str_t         path;
    dr_str_t         data;
    dr_zk_vec_t      acl;
    int32_t          flags;
    int64_t          ttl;
} dr_zk_create_request_t;

/* GetACL, Sync, GetAllChildrenNumber, GetEphemerals requests */
typedef struct {
    dr_str_t         path;
} dr_zk_path_request_t;

/* Exists, GetData, GetChildren, GetChildren2 requests */
typedef struct {
    dr_str_t         path;
    dr_uint_t        watch;
} dr_zk_path_watch_request_t;

/* Delete, CheckVersion requests */
typedef struct {
    dr_str_t         path;
    int32_t          version;
} dr_zk_path_version_request_t;

/* CheckWatches, RemoveWatches (type), AddWatch (mode) requests */
typedef struct {
    dr_str_t         path;
    int32_t          type;
} dr_zk_path_type_request_t;

typedef struct {
    dr_str_t         path;
    dr_str_t         data;
    int32_t          version;
} dr_zk_set_data_request_t;

typedef struct {
    dr_str_t         path;
    dr_zk_vec_t      acl;
    int32_t          version;
} dr_zk_set_acl_request_t;

/* SetWatches (3 vectors; the last two stay nelts 0) and SetWatches2 (5) */
typedef struct {
    int64_t          relative_zxid;
    dr_zk_vec_t      data_watches;
    dr_zk_vec_t      exist_watches;
    dr_zk_vec_t      child_watches;
    dr_zk_vec_t      persistent_watches;
    dr_zk_vec_t      persistent_recursive_watches;
} dr_zk_set_watches_t;

typedef struct {
    int32_t          type;
    dr_str_t         scheme;
    dr_str_t         auth;
} dr_zk_auth_packet_t;

typedef struct {
    dr_str_t         joining_servers;
    dr_str_t         leaving_servers;
    dr_str_t         new_members;
    int64_t          cur_config_id;
} dr_zk_reconfig_request_t;

/* GetSASLRequest, SetSASLResponse */
typedef struct {
    dr_str_t         token;
} dr_zk_sasl_t;

typedef struct {
    int32_t          type;
    int32_t          state;
    dr_str_t         path;
} dr_zk_watcher_event_t;

/* CreateResponse, SyncResponse */
typedef struct {
    dr_str_t         path;
} dr_zk_path_response_t;

typedef struct {
    dr_str_t         path;
    dr_zk_stat_t     stat;
} dr_zk_create2_response_t;

/* ExistsResponse, SetDataResponse, SetACLResponse */
typedef struct {
    dr_zk_stat_t     stat;
} dr_zk_stat_response_t;

typedef struct {
    dr_str_t         data;
    dr_zk_stat_t     stat;
} dr_zk_get_data_response_t;

typedef struct {
    dr_zk_vec_t      acl;
    dr_zk_stat_t     stat;
} dr_zk_get_acl_response_t;

/* GetChildrenResponse, GetEphemeralsResponse */
typedef struct {
    dr_zk_vec_t      children;
} dr_zk_get_children_response_t;

typedef struct {
    dr_zk_vec_t      children;
    dr_zk_stat_t     stat;
} dr_zk_get_children2_response_t;

/* GetAllChildrenNumberResponse (totalNumber), ErrorResponse (err) */
typedef struct {
    int32_t          value;
} dr_zk_int_response_t;

typedef struct {
    dr_zk_vec_t      client_info;
} dr_zk_who_am_i_response_t;


#define DR_ZK_PROTO_RECORD(name, type)                                        \
    extern const dr_zk_jute_record_t  dr_zk_##name##_rec;                     \
                                                                              \
    static inline dr_int_t                                                    \
    dr_zk_##name##_decode(dr_zk_reader_t *rd, type *r)                        \
    {                                                                         \
        return dr_zk_jute_decode(&dr_zk_##name##_rec, rd, r);                 \
    }                                                                         \
                                                                              \
    static inline dr_int_t                                                    \
    dr_zk_##name##_encode(dr_zk_writer_t *wr, type *r)                        \
    {                                                                         \
        return dr_zk_jute_encode(&dr_zk_##name##_rec, wr, r);                 \
    }

DR_ZK_PROTO_RECORD(stat, dr_zk_stat_t)
DR_ZK_PROTO_RECORD(request_header, dr_zk_request_header_t)
DR_ZK_PROTO_RECORD(reply_header, dr_zk_reply_header_t)
DR_ZK_PROTO_RECORD(multi_header, dr_zk_multi_header_t)

DR_ZK_PROTO_RECORD(create_request, dr_zk_create_request_t)
DR_ZK_PROTO_RECORD(create_ttl_request, dr_zk_create_request_t)
DR_ZK_PROTO_RECORD(delete_request, dr_zk_path_version_request_t)
DR_ZK_PROTO_RECORD(check_version_request, dr_zk_path_version_request_t)
DR_ZK_PROTO_RECORD(exists_request, dr_zk_path_watch_request_t)
DR_ZK_PROTO_RECORD(get_data_request, dr_zk_path_watch_request_t)
DR_ZK_PROTO_RECORD(get_children_request, dr_zk_path_watch_request_t)
DR_ZK_PROTO_RECORD(get_children2_request, dr_zk_path_watch_request_t)
DR_ZK_PROTO_RECORD(set_data_request, dr_zk_set_data_request_t)
DR_ZK_PROTO_RECORD(get_acl_request, dr_zk_path_request_t)
DR_ZK_PROTO_RECORD(set_acl_request, dr_zk_set_acl_request_t)
DR_ZK_PROTO_RECORD(sync_request, dr_zk_path_request_t)
DR_ZK_PROTO_RECORD(get_all_children_number_request, dr_zk_path_request_t)
DR_ZK_PROTO_RECORD(get_ephemerals_request, dr_zk_path_request_t)
DR_ZK_PROTO_RECORD(check_watches_request, dr_zk_path_type_request_t)
DR_ZK_PROTO_RECORD(remove_watches_request, dr_zk_path_type_request_t)
DR_ZK_PROTO_RECORD(add_watch_request, dr_zk_path_type_request_t)
DR_ZK_PROTO_RECORD(set_watches, dr_zk_set_watches_t)
DR_ZK_PROTO_RECORD(set_watches2, dr_zk_set_watches_t)
DR_ZK_PROTO_RECORD(auth_packet, dr_zk_auth_packet_t)
DR_ZK_PROTO_RECORD(reconfig_request, dr_zk_reconfig_request_t)
DR_ZK_PROTO_RECORD(get_sasl_request, dr_zk_sasl_t)

DR_ZK_PROTO_RECORD(watcher_event, dr_zk_watcher_event_t)
DR_ZK_PROTO_RECORD(create_response, dr_zk_path_response_t)
DR_ZK_PROTO_RECORD(create2_response, dr_zk_create2_response_t)
DR_ZK_PROTO_RECORD(sync_response, dr_zk_path_response_t)
DR_ZK_PROTO_RECORD(exists_response, dr_zk_stat_response_t)
DR_ZK_PROTO_RECORD(set_data_response, dr_zk_stat_response_t)
DR_ZK_PROTO_RECORD(set_acl_response, dr_zk_stat_response_t)
DR_ZK_PROTO_RECORD(get_data_response, dr_zk_get_data_response_t)
DR_ZK_PROTO_RECORD(get_acl_response, dr_zk_get_acl_response_t)
DR_ZK_PROTO_RECORD(get_children_response, dr_zk_get_children_response_t)
DR_ZK_PROTO_RECORD(get_children2_response, dr_zk_get_children2_response_t)
DR_ZK_PROTO_RECORD(get_ephemerals_response, dr_zk_get_children_response_t)
DR_ZK_PROTO_RECORD(get_all_children_number_response, dr_zk_int_response_t)
DR_ZK_PROTO_RECORD(error_response, dr_zk_int_response_t)
DR_ZK_PROTO_RECORD(who_am_i_response, dr_zk_who_am_i_response_t)
DR_ZK_PROTO_RECORD(set_sasl_response, dr_zk_sasl_t)


/*
 * Connect records: DR_OK / DR_ERROR. The request's passwd may be any length
 * here (the keeper checks for 16); a readOnly byte is read if one is left.
 * The response is encoded with the readOnly byte iff has_read_only.
 */
dr_int_t dr_zk_connect_request_decode(dr_zk_reader_t *rd,
    dr_zk_connect_request_t *r);
dr_int_t dr_zk_connect_request_encode(dr_zk_writer_t *wr,
    dr_zk_connect_request_t *r);
dr_int_t dr_zk_connect_response_decode(dr_zk_reader_t *rd,
    dr_zk_connect_response_t *r);
dr_int_t dr_zk_connect_response_encode(dr_zk_writer_t *wr,
    dr_zk_connect_response_t *r);


/*
 * multi (14) and multiRead (22): a sequence of MultiHeader{type, done=0,
 * err=-1} + op record, ended by a MultiHeader with done set (clients send
 * {-1, 1, -1}). Op records as ZooKeeper's MultiOperationRecord reads them:
 * create, create2 and createContainer carry a CreateRequest, createTTL a
 * CreateTTLRequest, delete a DeleteRequest, setData, check, getChildren and
 * getData their requests; any other type is malformed (ZooKeeper answers
 * MarshallingError).
 */
typedef struct {
    int32_t          type;
    int32_t          err;
    union {
        dr_zk_create_request_t        create;
        dr_zk_path_version_request_t  del;
        dr_zk_set_data_request_t      set_data;
        dr_zk_path_version_request_t  check;
        dr_zk_path_watch_request_t    get;      /* getData, getChildren */
    } u;
} dr_zk_multi_op_t;

/*
 * A decoded multi: <ops> reads the validated ops with dr_zk_multi_next();
 * reads / writes count getData+getChildren ops and the others (ZooKeeper
 * rejects a mix with MarshallingError; 0 ops is a valid, empty multi).
 */
typedef struct {
    dr_zk_reader_t   ops;
    dr_uint_t        nops;
    dr_uint_t        reads;
    dr_uint_t        writes;
} dr_zk_multi_request_t;

dr_int_t dr_zk_multi_request_decode(dr_zk_reader_t *rd,
    dr_zk_multi_request_t *m);
/*
 * Reads the next op of <ops> (a copy of dr_zk_multi_request_t.ops, walked
 * any number of times): DR_OK with <op>, DR_DONE after the end header,
 * DR_ERROR on a malformed op (never after dr_zk_multi_request_decode()).
 */
dr_int_t dr_zk_multi_next(dr_zk_reader_t *ops, dr_zk_multi_op_t *op);
/* the client side: one op (header {type, 0, -1} + record), then the end */
dr_int_t dr_zk_multi_op_encode(dr_zk_writer_t *wr, dr_zk_multi_op_t *op);
dr_int_t dr_zk_multi_end_encode(dr_zk_writer_t *wr);

/*
 * One result of a multi response: MultiHeader{type, 0, 0} + create: path;
 * create2: path + stat; setData: stat; getData: data + stat; getChildren:
 * children; delete, check: nothing; error (type -1): MultiHeader{-1, 0, err}
 * + ErrorResponse{err}. Encoding of a failed multi: every result an error,
 * 0 before the failing op, its code, then RUNTIMEINCONSISTENCY after it.
 */
typedef struct {
    int32_t          type;
    int32_t          err;
    dr_str_t         path;
    dr_str_t         data;
    dr_zk_vec_t      children;
    dr_zk_stat_t     stat;
} dr_zk_multi_result_t;

typedef struct {
    dr_zk_reader_t   results;
    dr_uint_t        nresults;
} dr_zk_multi_response_t;

dr_int_t dr_zk_multi_result_encode(dr_zk_writer_t *wr,
    dr_zk_multi_result_t *res);
dr_int_t dr_zk_multi_response_decode(dr_zk_reader_t *rd,
    dr_zk_multi_response_t *m);
dr_int_t dr_zk_multi_result_next(dr_zk_reader_t *results,
    dr_zk_multi_result_t *res);


/* a decoded request body: the member is given by the op's table entry */
typedef union {
    dr_zk_create_request_t        create;
    dr_zk_path_request_t          path;
    dr_zk_path_watch_request_t    path_watch;
    dr_zk_path_version_request_t  path_version;
    dr_zk_path_type_request_t     path_type;
    dr_zk_set_data_request_t      set_data;
    dr_zk_set_acl_request_t       set_acl;
    dr_zk_set_watches_t           set_watches;
    dr_zk_auth_packet_t           auth;
    dr_zk_reconfig_request_t      reconfig;
    dr_zk_sasl_t                  sasl;
    dr_zk_multi_request_t         multi;
} dr_zk_request_t;


/*
 * Op flags. WRITE: a transaction (goes through the log, gets a zxid).
 * READ: answered from the tree. WATCH: may set, fire or manage watches.
 * SESSION: concerns the session or connection, not the tree (ping, auth,
 * setWatches, sasl, closeSession).
 */
#define DR_ZK_OP_WRITE      0x01
#define DR_ZK_OP_READ       0x02
#define DR_ZK_OP_WATCH      0x04
#define DR_ZK_OP_SESSION    0x08

typedef struct dr_zk_op_s  dr_zk_op_t;

/* decodes a request body (after the RequestHeader): DR_OK / DR_ERROR */
typedef dr_int_t (*dr_zk_op_decode_pt)(const dr_zk_op_t *op,
    dr_zk_reader_t *rd, dr_zk_request_t *req);

struct dr_zk_op_s {
    int32_t                     type;
    dr_str_t                    name;       /* ZooDefs.OpCode's name */
    dr_uint_t                   flags;
    const dr_zk_jute_record_t  *record;     /* request body, NULL if none */
    dr_zk_op_decode_pt          decode;
};

/*
 * The table entry of client request <type> (the opcodes ZooKeeper 3.8
 * accepts from clients), or NULL: answer UNIMPLEMENTED and close. O(1).
 * Every opcode of the table lies in DR_ZK_OPCODE_CLOSE_SESSION ..
 * DR_ZK_OPCODE_WHO_AM_I, for callers that walk it.
 */
const dr_zk_op_t *dr_zk_op_find(int32_t type);

#define dr_zk_op_decode(op, rd, req)  (op)->decode(op, rd, req)


/* "NONODE", as KeeperException.Code; "UNKNOWN" for anything else */
const char *dr_zk_err_name(int32_t err);
/* "NodeCreated", "SyncConnected", as Watcher.Event; "Unknown" otherwise */
const char *dr_zk_event_type_name(int32_t type);
const char *dr_zk_state_name(int32_t state);

/*
 * ZooKeeper's PathUtils.validatePath() on the UTF-8 bytes of <path>: DR_OK
 * or DR_ERROR (BADARGUMENTS). <sequential> validates path + "1" (a
 * sequential create may end in '/'). Java decodes the bytes first, so
 * malformed UTF-8 (a U+FFFD) and code points above U+FFFF (surrogates) are
 * invalid as the ranges U+0001-U+001F, U+007F-U+009F, U+D800-U+F8FF and
 * U+FFF0-U+FFFF are. A null path (data NULL) is invalid.
 */
dr_int_t dr_zk_path_validate(dr_str_t *path, dr_uint_t sequential);

#endif /* DR_ZK_PROTO_H_INCLUDED */
