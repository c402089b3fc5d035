# keyd's ACQUIRE table (servers/keyd/acquire.c): duplicates per
# policy+reqid, seq numbering, the three ways an acquire ends.
# Included by tests/unit/keyd/CMakeLists.txt.
parapet_test(NAME test_acquire
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_acquire.c
    LIBS keyd_core LABELS unit)

# The validators of keyd's bus messages (common/bus_msg.c, keyd.proto):
# one row per way to be wrong.
parapet_test(NAME test_keyd_proto
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_keyd_proto.c
    LIBS parapet_buscore LABELS unit)
