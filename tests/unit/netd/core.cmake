# netd_core unit tests. Included by tests/unit/netd/CMakeLists.txt.
foreach(t pkt decide frag icmp)
	if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
		parapet_test(NAME test_netd_${t}
		    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c
		    LIBS netd_core LABELS unit)
	endif()
endforeach()

# The bridge over in-memory links, and netd.conf.
parapet_test(NAME test_netd_bridge
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bridge.c
    LIBS netd_link LABELS unit)
parapet_test(NAME test_netd_conf
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_conf.c
    LIBS netd_conf LABELS unit)

# The link drivers against the kernel, in a network namespace of their
# own (root).
parapet_test(NAME test_netd_link
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_link.c
    LIBS netd_link LABELS unit ROOT TIMEOUT 60)
