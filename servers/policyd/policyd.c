/*
 * policyd.c - the policyd server process. For now only the shared server shell
 * (common/server.c): it takes its handoff from the supervisor, connects to
 * the bus, says ReadyEvent, answers PingRequest, CountersRequest and
 * RegionInfoRequest, and exits cleanly on SIGTERM/SIGINT. The engine,
 * the SPD and sysctl variables (its own issue), lands here later as an init()/fini() pair.
 *
 * Test hooks (PARAPET_TEST_CRASH_AT_START, PARAPET_TEST_FILL_POOL): see
 * common/server.h.
 */
#include "server.h"

static const struct server_def policyd_def = {
	.name = "policyd",
	.region_side = SERVER_REGIONS_NONE,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &policyd_def);
}
