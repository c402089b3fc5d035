# netd's packet path through ipsecd (servers/netd/netd_ring.c): in-memory
# links, a ring region in the process and a fake side B running ipsecd's
# ESP code (ipsecd_xform). Included by tests/unit/netd/CMakeLists.txt.
if(TARGET netd_ring AND TARGET ipsecd_xform)
	parapet_test(NAME test_netd_ring
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_netd_ring.c
	    LIBS netd_ring netd_conf ipsecd_xform LABELS unit)
endif()
