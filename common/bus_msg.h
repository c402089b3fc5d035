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

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "bus.pb-c.h"
#include "supervisor.pb-c.h"

typedef int bus_valid_fn(const ProtobufCMessage *);

struct bus_msgtype {
	uint32_t			 type;
	const char			*name;
	const ProtobufCMessageDescriptor *desc;
	bus_valid_fn			*valid;	/* NULL: any body is fine */
};

/* NULL if the type is unknown. */
const struct bus_msgtype *bus_msgtype_get(uint32_t type);

#endif
