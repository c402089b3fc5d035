# The path MTU table (servers/netd/netd_pmtu.c, DESIGN §10.29).
# Included by tests/unit/netd/CMakeLists.txt.
parapet_test(NAME test_netd_pmtu
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_netd_pmtu.c
    LIBS netd_core LABELS unit)

# The table wired into netd's path (netd_ring.c, bridge.c) over the
# in-memory rig of test_netd_ring.c (fake_ipsecd.h), and pmtu_expire.
if(TARGET netd_ring AND TARGET ipsecd_xform)
	parapet_test(NAME test_netd_pmtu_path
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_netd_pmtu_path.c
	    LIBS netd_ring netd_conf ipsecd_xform LABELS unit)
endif()
