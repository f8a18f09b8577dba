/*
 * The ZooKeeper client protocol as data: the field descriptions of every
 * request and response record, the connect handshake with its optional
 * readOnly byte, multi/multiRead op sequences and their results, the opcode
 * table (number, name, flags, request decoder; the keeper adds handlers in
 * its own table, indexed the same way), error/event/state names, and
 * ZooKeeper's path validation.
 *
 * Pure code shared by the keeper and the asynchronous client: no
 * allocation, no I/O. Decoded records are views into the frame and live as
 * long as it does. A body that does not decode is answered by ZooKeeper
 * with MARSHALLINGERROR (-5) and the connection stays open; a frame whose
 * length is out of bounds, or an unknown opcode, ends the connection.
 * Trailing bytes after a record are ignored, as ZooKeeper does.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_zk.h"


#define DR_ZK_PROTO_F(t, s, m)  { DR_ZK_JUTE_##t, offsetof(s, m) }

#define DR_ZK_PROTO_REC(name, jname, type, fields)                            \
    const dr_zk_jute_record_t  dr_zk_##name##_rec = {                         \
        jname, sizeof(type), dr_nelems(fields), fields                        \
    }


static dr_int_t dr_zk_proto_decode_record(const dr_zk_op_t *op,
    dr_zk_reader_t *rd, dr_zk_request_t *req);
static dr_int_t dr_zk_proto_decode_empty(const dr_zk_op_t *op,
    dr_zk_reader_t *rd, dr_zk_request_t *req);
static dr_int_t dr_zk_proto_decode_raw_path(const dr_zk_op_t *op,
    dr_zk_reader_t *rd, dr_zk_request_t *req);
static dr_int_t dr_zk_proto_decode_multi(const dr_zk_op_t *op,
    dr_zk_reader_t *rd, dr_zk_request_t *req);


static const dr_zk_jute_field_t  dr_zk_stat_fields[] = {
    DR_ZK_PROTO_F(STAT, dr_zk_stat_response_t, stat),
};

static const dr_zk_jute_field_t  dr_zk_request_header_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_request_header_t, xid),
    DR_ZK_PROTO_F(INT, dr_zk_request_header_t, type),
};

static const dr_zk_jute_field_t  dr_zk_reply_header_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_reply_header_t, xid),
    DR_ZK_PROTO_F(LONG, dr_zk_reply_header_t, zxid),
    DR_ZK_PROTO_F(INT, dr_zk_reply_header_t, err),
};

static const dr_zk_jute_field_t  dr_zk_multi_header_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_multi_header_t, type),
    DR_ZK_PROTO_F(BOOL, dr_zk_multi_header_t, done),
    DR_ZK_PROTO_F(INT, dr_zk_multi_header_t, err),
};

static const dr_zk_jute_field_t  dr_zk_connect_request_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_connect_request_t, protocol_version),
    DR_ZK_PROTO_F(LONG, dr_zk_connect_request_t, last_zxid_seen),
    DR_ZK_PROTO_F(INT, dr_zk_connect_request_t, timeout),
    DR_ZK_PROTO_F(LONG, dr_zk_connect_request_t, session_id),
    DR_ZK_PROTO_F(BUFFER, dr_zk_connect_request_t, passwd),
};

static const dr_zk_jute_field_t  dr_zk_connect_response_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_connect_response_t, protocol_version),
    DR_ZK_PROTO_F(INT, dr_zk_connect_response_t, timeout),
    DR_ZK_PROTO_F(LONG, dr_zk_connect_response_t, session_id),
    DR_ZK_PROTO_F(BUFFER, dr_zk_connect_response_t, passwd),
};

static const dr_zk_jute_field_t  dr_zk_create_request_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_create_request_t, path),
    DR_ZK_PROTO_F(BUFFER, dr_zk_create_request_t, data),
    DR_ZK_PROTO_F(VEC_ACL, dr_zk_create_request_t, acl),
    DR_ZK_PROTO_F(INT, dr_zk_create_request_t, flags),
    DR_ZK_PROTO_F(LONG, dr_zk_create_request_t, ttl),   /* TTL only */
};

static const dr_zk_jute_field_t  dr_zk_path_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_path_request_t, path),
};

static const dr_zk_jute_field_t  dr_zk_path_watch_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_path_watch_request_t, path),
    DR_ZK_PROTO_F(BOOL, dr_zk_path_watch_request_t, watch),
};

static const dr_zk_jute_field_t  dr_zk_path_version_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_path_version_request_t, path),
    DR_ZK_PROTO_F(INT, dr_zk_path_version_request_t, version),
};

static const dr_zk_jute_field_t  dr_zk_path_type_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_path_type_request_t, path),
    DR_ZK_PROTO_F(INT, dr_zk_path_type_request_t, type),
};

static const dr_zk_jute_field_t  dr_zk_set_data_request_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_set_data_request_t, path),
    DR_ZK_PROTO_F(BUFFER, dr_zk_set_data_request_t, data),
    DR_ZK_PROTO_F(INT, dr_zk_set_data_request_t, version),
};

static const dr_zk_jute_field_t  dr_zk_set_acl_request_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_set_acl_request_t, path),
    DR_ZK_PROTO_F(VEC_ACL, dr_zk_set_acl_request_t, acl),
    DR_ZK_PROTO_F(INT, dr_zk_set_acl_request_t, version),
};

static const dr_zk_jute_field_t  dr_zk_set_watches_fields[] = {
    DR_ZK_PROTO_F(LONG, dr_zk_set_watches_t, relative_zxid),
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_set_watches_t, data_watches),
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_set_watches_t, exist_watches),
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_set_watches_t, child_watches),
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_set_watches_t, persistent_watches),
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_set_watches_t,
                  persistent_recursive_watches),
};

static const dr_zk_jute_field_t  dr_zk_auth_packet_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_auth_packet_t, type),
    DR_ZK_PROTO_F(USTRING, dr_zk_auth_packet_t, scheme),
    DR_ZK_PROTO_F(BUFFER, dr_zk_auth_packet_t, auth),
};

static const dr_zk_jute_field_t  dr_zk_reconfig_request_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_reconfig_request_t, joining_servers),
    DR_ZK_PROTO_F(USTRING, dr_zk_reconfig_request_t, leaving_servers),
    DR_ZK_PROTO_F(USTRING, dr_zk_reconfig_request_t, new_members),
    DR_ZK_PROTO_F(LONG, dr_zk_reconfig_request_t, cur_config_id),
};

static const dr_zk_jute_field_t  dr_zk_sasl_fields[] = {
    DR_ZK_PROTO_F(BUFFER, dr_zk_sasl_t, token),
};

static const dr_zk_jute_field_t  dr_zk_watcher_event_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_watcher_event_t, type),
    DR_ZK_PROTO_F(INT, dr_zk_watcher_event_t, state),
    DR_ZK_PROTO_F(USTRING, dr_zk_watcher_event_t, path),
};

static const dr_zk_jute_field_t  dr_zk_path_response_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_path_response_t, path),
};

static const dr_zk_jute_field_t  dr_zk_create2_response_fields[] = {
    DR_ZK_PROTO_F(USTRING, dr_zk_create2_response_t, path),
    DR_ZK_PROTO_F(STAT, dr_zk_create2_response_t, stat),
};

static const dr_zk_jute_field_t  dr_zk_get_data_response_fields[] = {
    DR_ZK_PROTO_F(BUFFER, dr_zk_get_data_response_t, data),
    DR_ZK_PROTO_F(STAT, dr_zk_get_data_response_t, stat),
};

static const dr_zk_jute_field_t  dr_zk_get_acl_response_fields[] = {
    DR_ZK_PROTO_F(VEC_ACL, dr_zk_get_acl_response_t, acl),
    DR_ZK_PROTO_F(STAT, dr_zk_get_acl_response_t, stat),
};

static const dr_zk_jute_field_t  dr_zk_get_children_response_fields[] = {
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_get_children_response_t, children),
};

static const dr_zk_jute_field_t  dr_zk_get_children2_response_fields[] = {
    DR_ZK_PROTO_F(VEC_USTRING, dr_zk_get_children2_response_t, children),
    DR_ZK_PROTO_F(STAT, dr_zk_get_children2_response_t, stat),
};

static const dr_zk_jute_field_t  dr_zk_int_response_fields[] = {
    DR_ZK_PROTO_F(INT, dr_zk_int_response_t, value),
};

static const dr_zk_jute_field_t  dr_zk_who_am_i_response_fields[] = {
    DR_ZK_PROTO_F(VEC_CLIENT_INFO, dr_zk_who_am_i_response_t, client_info),
};


/* the stat record is a bare Stat: describe it as a struct of one Stat */
const dr_zk_jute_record_t  dr_zk_stat_rec = {
    "Stat", sizeof(dr_zk_stat_t), 1, dr_zk_stat_fields
};

DR_ZK_PROTO_REC(request_header, "RequestHeader", dr_zk_request_header_t,
                dr_zk_request_header_fields);
DR_ZK_PROTO_REC(reply_header, "ReplyHeader", dr_zk_reply_header_t,
                dr_zk_reply_header_fields);
DR_ZK_PROTO_REC(multi_header, "MultiHeader", dr_zk_multi_header_t,
                dr_zk_multi_header_fields);

static const dr_zk_jute_record_t  dr_zk_connect_request_rec = {
    "ConnectRequest", sizeof(dr_zk_connect_request_t),
    dr_nelems(dr_zk_connect_request_fields), dr_zk_connect_request_fields
};

static const dr_zk_jute_record_t  dr_zk_connect_response_rec = {
    "ConnectResponse", sizeof(dr_zk_connect_response_t),
    dr_nelems(dr_zk_connect_response_fields), dr_zk_connect_response_fields
};

const dr_zk_jute_record_t  dr_zk_create_request_rec = {
    "CreateRequest", sizeof(dr_zk_create_request_t),
    dr_nelems(dr_zk_create_request_fields) - 1, dr_zk_create_request_fields
};

DR_ZK_PROTO_REC(create_ttl_request, "CreateTTLRequest",
                dr_zk_create_request_t, dr_zk_create_request_fields);
DR_ZK_PROTO_REC(delete_request, "DeleteRequest",
                dr_zk_path_version_request_t, dr_zk_path_version_fields);
DR_ZK_PROTO_REC(check_version_request, "CheckVersionRequest",
                dr_zk_path_version_request_t, dr_zk_path_version_fields);
DR_ZK_PROTO_REC(exists_request, "ExistsRequest",
                dr_zk_path_watch_request_t, dr_zk_path_watch_fields);
DR_ZK_PROTO_REC(get_data_request, "GetDataRequest",
                dr_zk_path_watch_request_t, dr_zk_path_watch_fields);
DR_ZK_PROTO_REC(get_children_request, "GetChildrenRequest",
                dr_zk_path_watch_request_t, dr_zk_path_watch_fields);
DR_ZK_PROTO_REC(get_children2_request, "GetChildren2Request",
                dr_zk_path_watch_request_t, dr_zk_path_watch_fields);
DR_ZK_PROTO_REC(set_data_request, "SetDataRequest",
                dr_zk_set_data_request_t, dr_zk_set_data_request_fields);
DR_ZK_PROTO_REC(get_acl_request, "GetACLRequest",
                dr_zk_path_request_t, dr_zk_path_fields);
DR_ZK_PROTO_REC(set_acl_request, "SetACLRequest",
                dr_zk_set_acl_request_t, dr_zk_set_acl_request_fields);
DR_ZK_PROTO_REC(sync_request, "SyncRequest",
                dr_zk_path_request_t, dr_zk_path_fields);
DR_ZK_PROTO_REC(get_all_children_number_request,
                "GetAllChildrenNumberRequest",
                dr_zk_path_request_t, dr_zk_path_fields);
DR_ZK_PROTO_REC(get_ephemerals_request, "GetEphemeralsRequest",
                dr_zk_path_request_t, dr_zk_path_fields);
DR_ZK_PROTO_REC(check_watches_request, "CheckWatchesRequest",
                dr_zk_path_type_request_t, dr_zk_path_type_fields);
DR_ZK_PROTO_REC(remove_watches_request, "RemoveWatchesRequest",
                dr_zk_path_type_request_t, dr_zk_path_type_fields);
DR_ZK_PROTO_REC(add_watch_request, "AddWatchRequest",
                dr_zk_path_type_request_t, dr_zk_path_type_fields);

const dr_zk_jute_record_t  dr_zk_set_watches_rec = {
    "SetWatches", sizeof(dr_zk_set_watches_t),
    dr_nelems(dr_zk_set_watches_fields) - 2, dr_zk_set_watches_fields
};

DR_ZK_PROTO_REC(set_watches2, "SetWatches2",
                dr_zk_set_watches_t, dr_zk_set_watches_fields);
DR_ZK_PROTO_REC(auth_packet, "AuthPacket",
                dr_zk_auth_packet_t, dr_zk_auth_packet_fields);
DR_ZK_PROTO_REC(reconfig_request, "ReconfigRequest",
                dr_zk_reconfig_request_t, dr_zk_reconfig_request_fields);
DR_ZK_PROTO_REC(get_sasl_request, "GetSASLRequest",
                dr_zk_sasl_t, dr_zk_sasl_fields);

DR_ZK_PROTO_REC(watcher_event, "WatcherEvent",
                dr_zk_watcher_event_t, dr_zk_watcher_event_fields);
DR_ZK_PROTO_REC(create_response, "CreateResponse",
                dr_zk_path_response_t, dr_zk_path_response_fields);
DR_ZK_PROTO_REC(create2_response, "Create2Response",
                dr_zk_create2_response_t, dr_zk_create2_response_fields);
DR_ZK_PROTO_REC(sync_response, "SyncResponse",
                dr_zk_path_response_t, dr_zk_path_response_fields);
DR_ZK_PROTO_REC(exists_response, "ExistsResponse",
                dr_zk_stat_response_t, dr_zk_stat_fields);
DR_ZK_PROTO_REC(set_data_response, "SetDataResponse",
                dr_zk_stat_response_t, dr_zk_stat_fields);
DR_ZK_PROTO_REC(set_acl_response, "SetACLResponse",
                dr_zk_stat_response_t, dr_zk_stat_fields);
DR_ZK_PROTO_REC(get_data_response, "GetDataResponse",
                dr_zk_get_data_response_t, dr_zk_get_data_response_fields);
DR_ZK_PROTO_REC(get_acl_response, "GetACLResponse",
                dr_zk_get_acl_response_t, dr_zk_get_acl_response_fields);
DR_ZK_PROTO_REC(get_children_response, "GetChildrenResponse",
                dr_zk_get_children_response_t,
                dr_zk_get_children_response_fields);
DR_ZK_PROTO_REC(get_children2_response, "GetChildren2Response",
                dr_zk_get_children2_response_t,
                dr_zk_get_children2_response_fields);
DR_ZK_PROTO_REC(get_ephemerals_response, "GetEphemeralsResponse",
                dr_zk_get_children_response_t,
                dr_zk_get_children_response_fields);
DR_ZK_PROTO_REC(get_all_children_number_response,
                "GetAllChildrenNumberResponse",
                dr_zk_int_response_t, dr_zk_int_response_fields);
DR_ZK_PROTO_REC(error_response, "ErrorResponse",
                dr_zk_int_response_t, dr_zk_int_response_fields);
DR_ZK_PROTO_REC(who_am_i_response, "WhoAmIResponse",
                dr_zk_who_am_i_response_t, dr_zk_who_am_i_response_fields);
DR_ZK_PROTO_REC(set_sasl_response, "SetSASLResponse",
                dr_zk_sasl_t, dr_zk_sasl_fields);


/* the opcode table: dense by opcode, so lookup is an index */

#define DR_ZK_PROTO_OP(t, n, f, rec, dec)                                     \
    [t] = { t, dr_string(n), f, rec, dec }

#define DR_ZK_PROTO_OP_EXT(t, n, f, rec, dec)                                 \
    [t - DR_ZK_OPCODE_AUTH] = { t, dr_string(n), f, rec, dec }

#define DR_ZK_W  DR_ZK_OP_WRITE
#define DR_ZK_R  DR_ZK_OP_READ
#define DR_ZK_RW (DR_ZK_OP_READ|DR_ZK_OP_WATCH)

static const dr_zk_op_t  dr_zk_ops[DR_ZK_OPCODE_MULTI_READ + 1] = {
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_CREATE, "create", DR_ZK_W,
                   &dr_zk_create_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_DELETE, "delete", DR_ZK_W,
                   &dr_zk_delete_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_EXISTS, "exists", DR_ZK_RW,
                   &dr_zk_exists_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_GET_DATA, "getData", DR_ZK_RW,
                   &dr_zk_get_data_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_SET_DATA, "setData", DR_ZK_W,
                   &dr_zk_set_data_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_GET_ACL, "getACL", DR_ZK_R,
                   &dr_zk_get_acl_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_SET_ACL, "setACL", DR_ZK_W,
                   &dr_zk_set_acl_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_GET_CHILDREN, "getChildren", DR_ZK_RW,
                   &dr_zk_get_children_request_rec,
                   dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_SYNC, "sync", DR_ZK_R,
                   &dr_zk_sync_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_PING, "ping", DR_ZK_OP_SESSION,
                   NULL, dr_zk_proto_decode_empty),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_GET_CHILDREN2, "getChildren2", DR_ZK_RW,
                   &dr_zk_get_children2_request_rec,
                   dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_CHECK, "check", DR_ZK_W,
                   &dr_zk_check_version_request_rec,
                   dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_MULTI, "multi", DR_ZK_W,
                   NULL, dr_zk_proto_decode_multi),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_CREATE2, "create2", DR_ZK_W,
                   &dr_zk_create_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_RECONFIG, "reconfig", DR_ZK_W,
                   &dr_zk_reconfig_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_CHECK_WATCHES, "checkWatches",
                   DR_ZK_OP_WATCH, &dr_zk_check_watches_request_rec,
                   dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_REMOVE_WATCHES, "removeWatches",
                   DR_ZK_OP_WATCH, &dr_zk_remove_watches_request_rec,
                   dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_CREATE_CONTAINER, "createContainer",
                   DR_ZK_W, &dr_zk_create_request_rec,
                   dr_zk_proto_decode_record),
    /* the server's own op; ZooKeeper answers BADARGUMENTS to clients */
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_DELETE_CONTAINER, "deleteContainer",
                   DR_ZK_W, NULL, dr_zk_proto_decode_raw_path),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_CREATE_TTL, "createTTL", DR_ZK_W,
                   &dr_zk_create_ttl_request_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP(DR_ZK_OPCODE_MULTI_READ, "multiRead", DR_ZK_R,
                   NULL, dr_zk_proto_decode_multi),
};

static const dr_zk_op_t  dr_zk_ops_ext[] = {
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_AUTH, "auth", DR_ZK_OP_SESSION,
                       &dr_zk_auth_packet_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_SET_WATCHES, "setWatches",
                       DR_ZK_OP_SESSION|DR_ZK_OP_WATCH,
                       &dr_zk_set_watches_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_SASL, "sasl", DR_ZK_OP_SESSION,
                       &dr_zk_get_sasl_request_rec,
                       dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_GET_EPHEMERALS, "getEphemerals", DR_ZK_R,
                       &dr_zk_get_ephemerals_request_rec,
                       dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_GET_ALL_CHILDREN_NUMBER,
                       "getAllChildrenNumber", DR_ZK_R,
                       &dr_zk_get_all_children_number_request_rec,
                       dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_SET_WATCHES2, "setWatches2",
                       DR_ZK_OP_SESSION|DR_ZK_OP_WATCH,
                       &dr_zk_set_watches2_rec, dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_ADD_WATCH, "addWatch", DR_ZK_OP_WATCH,
                       &dr_zk_add_watch_request_rec,
                       dr_zk_proto_decode_record),
    DR_ZK_PROTO_OP_EXT(DR_ZK_OPCODE_WHO_AM_I, "whoAmI", DR_ZK_OP_SESSION,
                       NULL, dr_zk_proto_decode_empty),
};

/* a transaction: it deletes the session's ephemerals and gets a zxid */
static const dr_zk_op_t  dr_zk_op_close_session = {
    DR_ZK_OPCODE_CLOSE_SESSION, dr_string("closeSession"),
    DR_ZK_OP_SESSION|DR_ZK_OP_WRITE, NULL, dr_zk_proto_decode_empty
};


const dr_zk_op_t *
dr_zk_op_find(int32_t type)
{
    const dr_zk_op_t  *op;

    if (type >= 0 && type < (int32_t) dr_nelems(dr_zk_ops)) {
        op = &dr_zk_ops[type];

    } else if (type >= DR_ZK_OPCODE_AUTH
               && type < DR_ZK_OPCODE_AUTH + (int32_t) dr_nelems(dr_zk_ops_ext))
    {
        op = &dr_zk_ops_ext[type - DR_ZK_OPCODE_AUTH];

    } else if (type == DR_ZK_OPCODE_CLOSE_SESSION) {
        op = &dr_zk_op_close_session;

    } else {
        return NULL;
    }

    return op->decode ? op : NULL;
}


/* zeroes the body first: SetWatches leaves SetWatches2's vectors empty */
static dr_int_t
dr_zk_proto_decode_record(const dr_zk_op_t *op, dr_zk_reader_t *rd,
    dr_zk_request_t *req)
{
    dr_memzero(req, op->record->size);

    return dr_zk_jute_decode(op->record, rd, req);
}


static dr_int_t
dr_zk_proto_decode_empty(const dr_zk_op_t *op, dr_zk_reader_t *rd,
    dr_zk_request_t *req)
{
    (void) op;
    (void) rd;
    (void) req;

    return DR_OK;
}


/* deleteContainer: ZooKeeper's server reads the body as the raw path */
static dr_int_t
dr_zk_proto_decode_raw_path(const dr_zk_op_t *op, dr_zk_reader_t *rd,
    dr_zk_request_t *req)
{
    (void) op;

    req->path.path.data = rd->pos;
    req->path.path.len = dr_zk_reader_left(rd);
    rd->pos = rd->last;

    return DR_OK;
}


static dr_int_t
dr_zk_proto_decode_multi(const dr_zk_op_t *op, dr_zk_reader_t *rd,
    dr_zk_request_t *req)
{
    (void) op;

    return dr_zk_multi_request_decode(rd, &req->multi);
}


dr_int_t
dr_zk_connect_request_decode(dr_zk_reader_t *rd, dr_zk_connect_request_t *r)
{
    if (dr_zk_jute_decode(&dr_zk_connect_request_rec, rd, r) != DR_OK) {
        return DR_ERROR;
    }

    r->read_only = 0;
    r->has_read_only = 0;

    if (rd->pos < rd->last) {
        (void) dr_zk_jute_read_bool(rd, &r->read_only);
        r->has_read_only = 1;
    }

    return DR_OK;
}


dr_int_t
dr_zk_connect_request_encode(dr_zk_writer_t *wr, dr_zk_connect_request_t *r)
{
    u_char  *mark;

    mark = wr->pos;

    if (dr_zk_jute_encode(&dr_zk_connect_request_rec, wr, r) != DR_OK) {
        return DR_ERROR;
    }

    if (r->has_read_only && dr_zk_jute_write_bool(wr, r->read_only) != DR_OK) {
        wr->pos = mark;
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_zk_connect_response_decode(dr_zk_reader_t *rd, dr_zk_connect_response_t *r)
{
    if (dr_zk_jute_decode(&dr_zk_connect_response_rec, rd, r) != DR_OK) {
        return DR_ERROR;
    }

    r->read_only = 0;
    r->has_read_only = 0;

    if (rd->pos < rd->last) {
        (void) dr_zk_jute_read_bool(rd, &r->read_only);
        r->has_read_only = 1;
    }

    return DR_OK;
}


dr_int_t
dr_zk_connect_response_encode(dr_zk_writer_t *wr, dr_zk_connect_response_t *r)
{
    u_char  *mark;

    mark = wr->pos;

    if (dr_zk_jute_encode(&dr_zk_connect_response_rec, wr, r) != DR_OK) {
        return DR_ERROR;
    }

    if (r->has_read_only && dr_zk_jute_write_bool(wr, r->read_only) != DR_OK) {
        wr->pos = mark;
        return DR_ERROR;
    }

    return DR_OK;
}


/* the record and C struct of a multi op of <type>; DR_ERROR if none */
static dr_int_t
dr_zk_proto_multi_op_record(dr_zk_multi_op_t *op,
    const dr_zk_jute_record_t **rec, void **body)
{
    switch (op->type) {

    case DR_ZK_OPCODE_CREATE:
    case DR_ZK_OPCODE_CREATE2:
    case DR_ZK_OPCODE_CREATE_CONTAINER:
        *rec = &dr_zk_create_request_rec;
        *body = &op->u.create;
        break;

    case DR_ZK_OPCODE_CREATE_TTL:
        *rec = &dr_zk_create_ttl_request_rec;
        *body = &op->u.create;
        break;

    case DR_ZK_OPCODE_DELETE:
        *rec = &dr_zk_delete_request_rec;
        *body = &op->u.del;
        break;

    case DR_ZK_OPCODE_SET_DATA:
        *rec = &dr_zk_set_data_request_rec;
        *body = &op->u.set_data;
        break;

    case DR_ZK_OPCODE_CHECK:
        *rec = &dr_zk_check_version_request_rec;
        *body = &op->u.check;
        break;

    case DR_ZK_OPCODE_GET_CHILDREN:
        *rec = &dr_zk_get_children_request_rec;
        *body = &op->u.get;
        break;

    case DR_ZK_OPCODE_GET_DATA:
        *rec = &dr_zk_get_data_request_rec;
        *body = &op->u.get;
        break;

    default:
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_zk_multi_next(dr_zk_reader_t *ops, dr_zk_multi_op_t *op)
{
    void                       *body;
    dr_zk_multi_header_t        h;
    const dr_zk_jute_record_t  *rec;

    if (dr_zk_multi_header_decode(ops, &h) != DR_OK) {
        return DR_ERROR;
    }

    if (h.done) {
        return DR_DONE;
    }

    op->type = h.type;
    op->err = h.err;

    if (dr_zk_proto_multi_op_record(op, &rec, &body) != DR_OK) {
        return DR_ERROR;
    }

    dr_memzero(&op->u, sizeof(op->u));

    return dr_zk_jute_decode(rec, ops, body);
}


dr_int_t
dr_zk_multi_request_decode(dr_zk_reader_t *rd, dr_zk_multi_request_t *m)
{
    dr_int_t          rc;
    dr_zk_multi_op_t  op;

    m->ops = *rd;
    m->nops = 0;
    m->reads = 0;
    m->writes = 0;

    for ( ;; ) {
        rc = dr_zk_multi_next(rd, &op);

        if (rc == DR_DONE) {
            break;
        }

        if (rc != DR_OK) {
            return DR_ERROR;
        }

        m->nops++;

        if (op.type == DR_ZK_OPCODE_GET_DATA
            || op.type == DR_ZK_OPCODE_GET_CHILDREN)
        {
            m->reads++;

        } else {
            m->writes++;
        }
    }

    m->ops.last = rd->pos;

    return DR_OK;
}


dr_int_t
dr_zk_multi_op_encode(dr_zk_writer_t *wr, dr_zk_multi_op_t *op)
{
    u_char                     *mark;
    void                       *body;
    dr_zk_multi_header_t        h;
    const dr_zk_jute_record_t  *rec;

    if (dr_zk_proto_multi_op_record(op, &rec, &body) != DR_OK) {
        return DR_ERROR;
    }

    h.type = op->type;
    h.done = 0;
    h.err = -1;

    mark = wr->pos;

    if (dr_zk_multi_header_encode(wr, &h) != DR_OK
        || dr_zk_jute_encode(rec, wr, body) != DR_OK)
    {
        wr->pos = mark;
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_zk_multi_end_encode(dr_zk_writer_t *wr)
{
    dr_zk_multi_header_t  h;

    h.type = -1;
    h.done = 1;
    h.err = -1;

    return dr_zk_multi_header_encode(wr, &h);
}


dr_int_t
dr_zk_multi_result_encode(dr_zk_writer_t *wr, dr_zk_multi_result_t *res)
{
    u_char                *mark;
    dr_int_t               rc;
    dr_zk_multi_header_t   h;

    h.type = res->type;
    h.done = 0;
    h.err = (res->type == DR_ZK_OPCODE_ERROR) ? res->err : 0;

    mark = wr->pos;

    if (dr_zk_multi_header_encode(wr, &h) != DR_OK) {
        return DR_ERROR;
    }

    switch (res->type) {

    case DR_ZK_OPCODE_CREATE:
        rc = dr_zk_jute_write_ustring(wr, &res->path);
        break;

    case DR_ZK_OPCODE_CREATE2:
        rc = dr_zk_jute_write_ustring(wr, &res->path);
        if (rc == DR_OK) {
            rc = dr_zk_jute_write_stat(wr, &res->stat);
        }
        break;

    case DR_ZK_OPCODE_DELETE:
    case DR_ZK_OPCODE_CHECK:
        rc = DR_OK;
        break;

    case DR_ZK_OPCODE_SET_DATA:
        rc = dr_zk_jute_write_stat(wr, &res->stat);
        break;

    case DR_ZK_OPCODE_GET_CHILDREN:
        rc = dr_zk_jute_write_vec(wr, DR_ZK_VEC_USTRING, &res->children);
        break;

    case DR_ZK_OPCODE_GET_DATA:
        rc = dr_zk_jute_write_buffer(wr, &res->data);
        if (rc == DR_OK) {
            rc = dr_zk_jute_write_stat(wr, &res->stat);
        }
        break;

    case DR_ZK_OPCODE_ERROR:
        rc = dr_zk_jute_write_int(wr, res->err);
        break;

    default:
        rc = DR_ERROR;
    }

    if (rc != DR_OK) {
        wr->pos = mark;
    }

    return rc;
}


dr_int_t
dr_zk_multi_result_next(dr_zk_reader_t *results, dr_zk_multi_result_t *res)
{
    dr_uint_t             null;
    dr_zk_multi_header_t  h;

    if (dr_zk_multi_header_decode(results, &h) != DR_OK) {
        return DR_ERROR;
    }

    if (h.done) {
        return DR_DONE;
    }

    dr_memzero(res, sizeof(dr_zk_multi_result_t));
    res->type = h.type;
    res->err = h.err;

    switch (h.type) {

    case DR_ZK_OPCODE_CREATE:
        return dr_zk_jute_read_ustring(results, &res->path, &null);

    case DR_ZK_OPCODE_CREATE2:
        if (dr_zk_jute_read_ustring(results, &res->path, &null) != DR_OK) {
            return DR_ERROR;
        }
        return dr_zk_jute_read_stat(results, &res->stat);

    case DR_ZK_OPCODE_DELETE:
    case DR_ZK_OPCODE_CHECK:
        return DR_OK;

    case DR_ZK_OPCODE_SET_DATA:
        return dr_zk_jute_read_stat(results, &res->stat);

    case DR_ZK_OPCODE_GET_CHILDREN:
        return dr_zk_jute_read_vec(results, DR_ZK_VEC_USTRING,
                                   &res->children);

    case DR_ZK_OPCODE_GET_DATA:
        if (dr_zk_jute_read_buffer(results, &res->data, &null) != DR_OK) {
            return DR_ERROR;
        }
        return dr_zk_jute_read_stat(results, &res->stat);

    case DR_ZK_OPCODE_ERROR:
        /* the client takes the code from the ErrorResponse, not the header */
        return dr_zk_jute_read_int(results, &res->err);
    }

    return DR_ERROR;
}


dr_int_t
dr_zk_multi_response_decode(dr_zk_reader_t *rd, dr_zk_multi_response_t *m)
{
    dr_int_t              rc;
    dr_zk_multi_result_t  res;

    m->results = *rd;
    m->nresults = 0;

    for ( ;; ) {
        rc = dr_zk_multi_result_next(rd, &res);

        if (rc == DR_DONE) {
            break;
        }

        if (rc != DR_OK) {
            return DR_ERROR;
        }

        m->nresults++;
    }

    m->results.last = rd->pos;

    return DR_OK;
}


const char *
dr_zk_err_name(int32_t err)
{
    switch (err) {
    case DR_ZK_OK:                        return "OK";
    case DR_ZK_SYSTEMERROR:               return "SYSTEMERROR";
    case DR_ZK_RUNTIMEINCONSISTENCY:      return "RUNTIMEINCONSISTENCY";
    case DR_ZK_DATAINCONSISTENCY:         return "DATAINCONSISTENCY";
    case DR_ZK_CONNECTIONLOSS:            return "CONNECTIONLOSS";
    case DR_ZK_MARSHALLINGERROR:          return "MARSHALLINGERROR";
    case DR_ZK_UNIMPLEMENTED:             return "UNIMPLEMENTED";
    case DR_ZK_OPERATIONTIMEOUT:          return "OPERATIONTIMEOUT";
    case DR_ZK_BADARGUMENTS:              return "BADARGUMENTS";
    case DR_ZK_UNKNOWNSESSION:            return "UNKNOWNSESSION";
    case DR_ZK_NEWCONFIGNOQUORUM:         return "NEWCONFIGNOQUORUM";
    case DR_ZK_RECONFIGINPROGRESS:        return "RECONFIGINPROGRESS";
    case DR_ZK_APIERROR:                  return "APIERROR";
    case DR_ZK_NONODE:                    return "NONODE";
    case DR_ZK_NOAUTH:                    return "NOAUTH";
    case DR_ZK_BADVERSION:                return "BADVERSION";
    case DR_ZK_NOCHILDRENFOREPHEMERALS:   return "NOCHILDRENFOREPHEMERALS";
    case DR_ZK_NODEEXISTS:                return "NODEEXISTS";
    case DR_ZK_NOTEMPTY:                  return "NOTEMPTY";
    case DR_ZK_SESSIONEXPIRED:            return "SESSIONEXPIRED";
    case DR_ZK_INVALIDCALLBACK:           return "INVALIDCALLBACK";
    case DR_ZK_INVALIDACL:                return "INVALIDACL";
    case DR_ZK_AUTHFAILED:                return "AUTHFAILED";
    case DR_ZK_SESSIONMOVED:              return "SESSIONMOVED";
    case DR_ZK_NOTREADONLY:               return "NOTREADONLY";
    case DR_ZK_EPHEMERALONLOCALSESSION:   return "EPHEMERALONLOCALSESSION";
    case DR_ZK_NOWATCHER:                 return "NOWATCHER";
    case DR_ZK_REQUESTTIMEOUT:            return "REQUESTTIMEOUT";
    case DR_ZK_RECONFIGDISABLED:          return "RECONFIGDISABLED";
    case DR_ZK_SESSIONCLOSEDREQUIRESASLAUTH:
        return "SESSIONCLOSEDREQUIRESASLAUTH";
    case DR_ZK_QUOTAEXCEEDED:             return "QUOTAEXCEEDED";
    case DR_ZK_THROTTLEDOP:               return "THROTTLEDOP";
    }

    return "UNKNOWN";
}


const char *
dr_zk_event_type_name(int32_t type)
{
    switch (type) {
    case DR_ZK_EVENT_NONE:                     return "None";
    case DR_ZK_EVENT_NODE_CREATED:             return "NodeCreated";
    case DR_ZK_EVENT_NODE_DELETED:             return "NodeDeleted";
    case DR_ZK_EVENT_NODE_DATA_CHANGED:        return "NodeDataChanged";
    case DR_ZK_EVENT_NODE_CHILDREN_CHANGED:    return "NodeChildrenChanged";
    case DR_ZK_EVENT_DATA_WATCH_REMOVED:       return "DataWatchRemoved";
    case DR_ZK_EVENT_CHILD_WATCH_REMOVED:      return "ChildWatchRemoved";
    case DR_ZK_EVENT_PERSISTENT_WATCH_REMOVED: return "PersistentWatchRemoved";
    }

    return "Unknown";
}


const char *
dr_zk_state_name(int32_t state)
{
    switch (state) {
    case DR_ZK_STATE_UNKNOWN:              return "Unknown";
    case DR_ZK_STATE_DISCONNECTED:         return "Disconnected";
    case DR_ZK_STATE_NO_SYNC_CONNECTED:    return "NoSyncConnected";
    case DR_ZK_STATE_SYNC_CONNECTED:       return "SyncConnected";
    case DR_ZK_STATE_AUTH_FAILED:          return "AuthFailed";
    case DR_ZK_STATE_CONNECTED_READ_ONLY:  return "ConnectedReadOnly";
    case DR_ZK_STATE_SASL_AUTHENTICATED:   return "SaslAuthenticated";
    case DR_ZK_STATE_CLOSED:               return "Closed";
    case DR_ZK_STATE_EXPIRED:              return "Expired";
    }

    return "Unknown";
}


/*
 * Length of the valid UTF-8 sequence at p[0..n) whose code point Java's
 * PathUtils accepts, or 0. Java decodes the path with replacement first:
 * malformed input becomes U+FFFD and a code point above U+FFFF becomes a
 * surrogate pair, both in the rejected ranges, so they are simply invalid.
 */
static size_t
dr_zk_proto_path_char(u_char *p, size_t n)
{
    uint32_t  cp;

    if (p[0] < 0x80) {
        return (p[0] >= 0x20 && p[0] != 0x7f) ? 1 : 0;
    }

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        if (n < 2 || (p[1] & 0xc0) != 0x80) {
            return 0;
        }

        cp = (uint32_t) (p[0] & 0x1f) << 6 | (p[1] & 0x3f);

        return (cp >= 0xa0) ? 2 : 0;
    }

    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) {
            return 0;
        }

        cp = (uint32_t) (p[0] & 0x0f) << 12 | (uint32_t) (p[1] & 0x3f) << 6
             | (p[2] & 0x3f);

        if (cp < 0x800                          /* overlong */
            || (cp >= 0xd800 && cp <= 0xf8ff)   /* surrogates, private use */
            || cp >= 0xfff0)
        {
            return 0;
        }

        return 3;
    }

    /* 4-byte sequences (surrogate pairs in Java), C0, C1, F5..FF, 80..BF */
    return 0;
}


dr_int_t
dr_zk_path_validate(dr_str_t *path, dr_uint_t sequential)
{
    u_char  *p, c, lastc, next, prev2;
    size_t   i, n, len, clen;

    p = path->data;
    len = path->len;

    if (p == NULL) {
        return DR_ERROR;
    }

    /* Java validates path + "1" for a sequential node */
    n = len + (sequential ? 1 : 0);

    if (n == 0 || (len ? p[0] : '1') != '/') {
        return DR_ERROR;
    }

    if (n == 1) {
        return DR_OK;
    }

    if (!sequential && p[len - 1] == '/') {
        return DR_ERROR;
    }

    /*
     * '/', '.' and NUL are ASCII and never occur inside a multi-byte UTF-8
     * sequence, so Java's char loop can run on bytes: a neighbour that is
     * part of a multi-byte character is simply not '/'.
     */
    lastc = '/';

    for (i = 1; i < n; lastc = c, i++) {
        c = (i < len) ? p[i] : '1';
        next = (i + 1 < len) ? p[i + 1] : (i + 1 == len && sequential) ? '1'
                                                                        : 0;
        prev2 = (i >= 2) ? p[i - 2] : 0;

        if (c == '/' && lastc == '/') {
            return DR_ERROR;
        }

        if (c == '.' && lastc == '.') {
            if (prev2 == '/' && (i + 1 == n || next == '/')) {
                return DR_ERROR;
            }

        } else if (c == '.') {
            if (lastc == '/' && (i + 1 == n || next == '/')) {
                return DR_ERROR;
            }
        }
    }

    for (i = 0; i < len; i += clen) {
        clen = dr_zk_proto_path_char(p + i, len - i);

        if (clen == 0) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}
