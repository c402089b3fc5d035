/*
 * ipsecd.c - the ipsecd server process. For now only the shared server shell
 * (common/server.c): it takes its handoff from the supervisor, connects to
 * the bus, says ReadyEvent, answers PingRequest, CountersRequest and
 * RegionInfoRequest, and exits cleanly on SIGTERM/SIGINT. The engine,
 * ESP/AH transforms (its own issue); it attaches each ring region handed to it as side B (work consumer, done producer), lands here later as an init()/fini() pair.
 *
 * Test hooks (PARAPET_TEST_CRASH_AT_START, PARAPET_TEST_FILL_POOL): see
 * common/server.h.
 */
#include "server.h"

static const struct server_def ipsecd_def = {
	.name = "ipsecd",
	.region_side = RING_SIDE_B,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &ipsecd_def);
}
