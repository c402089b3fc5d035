# netd as bump in the stack between two network namespaces (root).
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd)
	add_test(NAME e2e_netd_bridge COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_bridge.sh)
	set_tests_properties(e2e_netd_bridge PROPERTIES LABELS "e2e;root"
	    TIMEOUT 180
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
