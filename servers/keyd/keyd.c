/*
 * keyd.c - the keyd server process. For now only the shared server shell
 * (common/server.c): it takes its handoff from the supervisor, connects to
 * the bus, says ReadyEvent, answers PingRequest, CountersRequest and
 * RegionInfoRequest, and exits cleanly on SIGTERM/SIGINT. The engine,
 * the SADB and PF_KEY (its own issue), lands here later as an init()/fini() pair.
 *
 * Test hooks (PARAPET_TEST_CRASH_AT_START, PARAPET_TEST_FILL_POOL): see
 * common/server.h.
 */
#include "server.h"

static const struct server_def keyd_def = {
	.name = "keyd",
	.region_side = SERVER_REGIONS_NONE,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &keyd_def);
}
