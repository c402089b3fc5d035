# tests/unit/common/bus.cmake - the control bus: the pure core (framing,
# registry, validators) and the libuv client and broker over real Unix
# sockets in a temporary directory. test_bus_samples.c holds a valid body of
# every message type; test_bus_harness.c the loop, clients and raw sockets.
parapet_test(NAME test_frame SOURCES test_frame.c test_bus_samples.c
    LIBS parapet_buscore LABELS unit)
parapet_test(NAME test_bus_rejects SOURCES test_bus_rejects.c
    test_bus_samples.c LIBS parapet_buscore LABELS unit)
parapet_test(NAME test_bus SOURCES test_bus.c test_bus_harness.c
    test_bus_samples.c LIBS parapet_bus LABELS unit TIMEOUT 60)
parapet_test(NAME test_bus_hostile SOURCES test_bus_hostile.c
    test_bus_harness.c test_bus_samples.c LIBS parapet_bus LABELS unit
    TIMEOUT 60)
