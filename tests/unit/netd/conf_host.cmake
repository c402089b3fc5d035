# One file for a whole host: netd's parser skips the supervisor's
# sections; the shipped examples (etc/examples/) parse. Included by
# tests/unit/netd/CMakeLists.txt.
parapet_test(NAME test_netd_conf_host
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_conf_host.c
    LIBS netd_conf LABELS unit)
