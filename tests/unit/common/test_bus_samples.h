/*
 * test_bus_samples.h - for the bus tests: one valid sample body of every
 * message type (sm, reset by samples_init(); tests may edit it), a valid
 * header for each, and helpers around them.
 */
#ifndef TEST_BUS_SAMPLES_H
#define TEST_BUS_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "bus_msg.h"
#include "frame.h"

#define REQ	PARAPET__MSG_KIND__MSG_KIND_REQUEST
#define REP	PARAPET__MSG_KIND__MSG_KIND_REPLY
#define EVT	PARAPET__MSG_KIND__MSG_KIND_EVENT
#define T(v)	PARAPET__MSG_TYPE__MSG_##v

struct samples {
	Parapet__HelloRequest		hello_rq;
	Parapet__HelloReply		hello_rp;
	Parapet__SubscribeRequest	sub_rq;
	Parapet__SubscribeReply		sub_rp;
	Parapet__UnsubscribeRequest	unsub_rq;
	Parapet__UnsubscribeReply	unsub_rp;
	Parapet__PingRequest		ping_rq;
	Parapet__PingReply		ping_rp;
	Parapet__CountersRequest	cnt_rq;
	Parapet__CountersReply		cnt_rp;
	Parapet__Counter		cnt[2];
	Parapet__Counter		*cntp[2];
	Parapet__RegionInfo		region[2];
	Parapet__RegionInfo		*regionp[2];
	Parapet__ReadyEvent		ready;
	Parapet__ServerStateEvent	state;
	Parapet__StatusRequest		status_rq;
	Parapet__StatusReply		status_rp;
	Parapet__ServerStatus		server;
	Parapet__ServerStatus		*serverp[1];
	Parapet__RegionInfoRequest	rinfo_rq;
	Parapet__RegionInfoReply	rinfo_rp;
	Parapet__ShutdownRequest	shut_rq;
	Parapet__ShutdownReply		shut_rp;
};

extern struct samples sm;

void	samples_init(void);
/* The sample body of a type (in sm); NULL for ERROR_REPLY. */
ProtobufCMessage *sample(uint32_t type);
/* A valid header for a type: each kind with its addressing. */
struct frame_hdr hdr_for(uint32_t type);
/* Every MsgType but MSG_NONE, in enum order; returns the count. */
size_t	all_types(uint32_t *out, size_t max);
/* frame_encode(hdr_for(type), sample(type)); fails the test on error. */
void	encode_type(uint32_t type, uint8_t **out, size_t *len);

/* protobuf-c's generated structs are not const-correct; packing only
 * reads what they point at. */
char	*mut(const char *);
uint8_t	*mutb(const uint8_t *);

#endif
