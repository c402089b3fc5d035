/*
 * bus_msg.h - the registry of bus message types: for each Parapet__MsgType,
 * the protobuf descriptor of its body, its kind, and a validator for meaning
 * (protobuf checks encoding, the validator checks what we need: ranges,
 * name syntax, lengths). Pure; used by frame.c, unit tests and fuzzers.
 *
 * Server issues extend the table with their own types (keyd 100-199,
 * policyd 200-299, ipsecd 300-399, netd 400-499).
 */
#ifndef PARAPET_BUS_MSG_H
#define PARAPET_BUS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "bus.pb-c.h"
#include "supervisor.pb-c.h"
#include "keyd.pb-c.h"
#include "policyd.pb-c.h"
#include "ipsecd.pb-c.h"

/* Returns 0 or -EINVAL. */
typedef int bus_valid_fn(const ProtobufCMessage *);

struct bus_msgtype {
	uint32_t			 type;
	const char			*name;
	const ProtobufCMessageDescriptor *desc;
	bus_valid_fn			*valid;	/* NULL: any body is fine */
	uint32_t			 kind;	/* Parapet__MsgKind */
	uint32_t			 reply;	/* requests: the reply's type */
};

/* Bounds the validators enforce (lists are bounded so that a frame's
 * decoded size stays proportional to its wire size). */
#define BUS_TEXT_MAX		256	/* free text: reasons, exit status */
#define BUS_PATH_MAX		4096	/* HelloReply.broker, StatusReply.instance */
#define BUS_COUNTER_NAME_MAX	64	/* "module.what": [a-z0-9_.-] */
#define BUS_COUNTERS_MAX	4096	/* counters in one CountersReply */
#define BUS_REGIONS_MAX		64	/* regions in one message */
#define BUS_SERVERS_MAX		64	/* servers in one StatusReply */
#define BUS_UUID_BYTES		16	/* RegionInfo.uuid */
#define BUS_DIGEST_BYTES	16	/* RegionInfo.digest: 0 or this */
/* keyd.proto */
#define BUS_SA_SYNC_MAX		256	/* SAs in one SaSyncReply */
#define BUS_SA_USAGE_MAX	1024	/* entries in one SaUsageRequest */
#define BUS_SA_REPLAY_MAX	4096	/* Sa.replay_window, packets */
#define BUS_SA_CHANGE_BATCH_MAX	256	/* events in a SaChangeBatchEvent */

/* NULL if the type is unknown. */
const struct bus_msgtype *bus_msgtype_get(uint32_t type);

/* True if s is 1..BUS_COUNTER_NAME_MAX characters of [a-z0-9_.-]. */
bool	bus_counter_name_ok(const char *s);
/* True if s has at most max bytes and no control characters. */
bool	bus_text_ok(const char *s, size_t max);

#endif
