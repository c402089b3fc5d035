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
	/* keyd.proto */
	Parapet__SaAddr			sa_addr[3];
	Parapet__Sa			sa;
	Parapet__Sa			*sap[1];
	Parapet__SaLimits		sa_hard;
	Parapet__SaChangeEvent		sa_change;
	Parapet__Sa			sa_nokeys;	/* keydperf */
	Parapet__SaChangeEvent		sa_change_del;
	Parapet__SaChangeEvent		*sa_changep[2];
	Parapet__SaChangeBatchEvent	sa_change_batch;
	Parapet__SaSyncRequest		sa_sync_rq;
	Parapet__SaSyncReply		sa_sync_rp;
	Parapet__SaUsage		sa_usage;
	Parapet__SaUsage		*sa_usagep[1];
	Parapet__SaUsageRequest		sa_usage_rq;
	Parapet__SaUsageReply		sa_usage_rp;
	Parapet__AcquireSelector	acq_sel;
	Parapet__AcquireRequest		acq_rq;
	Parapet__AcquireReply		acq_rp;
	Parapet__AcquireDoneEvent	acq_done;
	/* policyd.proto */
	uint8_t				spd_bytes[16];
	Parapet__SpdPfkeyRequest	spd_pfkey_rq;
	Parapet__SpdPfkeyOut		spd_out;
	Parapet__SpdPfkeyOut		*spd_outp[1];
	Parapet__SpdPfkeyReply		spd_pfkey_rp;
	ProtobufCBinaryData		spd_msgs[1];
	Parapet__SpdDumpRequest		spd_dump_rq;
	Parapet__SpdDumpReply		spd_dump_rp;
	Parapet__SpdIpsecRequest	spd_req;
	Parapet__SpdIpsecRequest	*spd_reqp[1];
	Parapet__SpdPolicy		spd_pol;
	Parapet__SpdPolicy		*spd_polp[1];
	Parapet__SpdSnapshotRequest	spd_snap_rq;
	Parapet__SpdSnapshotReply	spd_snap_rp;
	Parapet__SpdChangeEvent		spd_change;
	Parapet__SysctlVar		sysctl_var;
	Parapet__SysctlVar		*sysctl_varp[1];
	Parapet__SysctlGetRequest	sysctl_get_rq;
	Parapet__SysctlGetReply		sysctl_get_rp;
	Parapet__SysctlSetRequest	sysctl_set_rq;
	Parapet__SysctlSetReply		sysctl_set_rp;
	Parapet__SysctlChangeEvent	sysctl_change;
	/* policyd.proto: per-socket policy */
	Parapet__SockPolicy		sock_pol;
	Parapet__SockPolicy		*sock_polp[1];
	Parapet__SockpolSnapshotRequest	sockpol_snap_rq;
	Parapet__SockpolSnapshotReply	sockpol_snap_rp;
	Parapet__SockpolChangeEvent	sockpol_change;
	Parapet__SockpolAppliedEvent	sockpol_applied;
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
