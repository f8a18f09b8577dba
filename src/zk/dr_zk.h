/*
 * drover: the zk layer's umbrella header (jute codec, protocol tables and
 * records). Shared by the keeper (server side) and the asynchronous client
 * of the agent; depends on the core layer only.
 */
#ifndef DR_ZK_H_INCLUDED
#define DR_ZK_H_INCLUDED

#include "dr_config.h"
#include "dr_core.h"

#include "dr_zk_jute.h"
#include "dr_zk_proto.h"

#endif /* DR_ZK_H_INCLUDED */
