/*
 * netd.c - the netd server process. For now only the shared server shell
 * (common/server.c): it takes its handoff from the supervisor, connects to
 * the bus, says ReadyEvent, answers PingRequest, CountersRequest and
 * RegionInfoRequest, and exits cleanly on SIGTERM/SIGINT. The engine,
 * interfaces and per-packet decisions (its own issue); it attaches each ring region handed to it as side A (pool owner, work producer), lands here later as an init()/fini() pair.
 *
 * Test hooks (PARAPET_TEST_CRASH_AT_START, PARAPET_TEST_FILL_POOL): see
 * common/server.h.
 */
#include "server.h"

static const struct server_def netd_def = {
	.name = "netd",
	.region_side = RING_SIDE_A,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &netd_def);
}
