# policyd's PF_KEY face, variables table and store records
# (servers/policyd/spd_pfkey.c, sysctl.c, spd_rec.c). Included by
# tests/unit/policyd/CMakeLists.txt.
parapet_test(NAME test_spd_pfkey
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spd_pfkey.c
    LIBS policyd_core LABELS unit)

# SPD policies on the bus, the validators of proto/policyd.proto and the
# subscriber's mirror (servers/policyd/spd_msg.c, common/bus_msg.c).
parapet_test(NAME test_spd_msg
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spd_msg.c
    LIBS policyd_msg parapet_buscore LABELS unit)
