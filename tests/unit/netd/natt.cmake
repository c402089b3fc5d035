# netd's decision for UDP 4500 (RFC 3948) from real packets
# (DESIGN §10.27). Included by tests/unit/netd/CMakeLists.txt.
parapet_test(NAME test_decide_natt
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_decide_natt.c
    LIBS netd_core LABELS unit)
