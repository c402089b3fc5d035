# Two overlay hosts (netd: TUN inside, ESP in UDP 4500 or raw ESP
# outside) under the whole Parapet stack, from etc/examples/overlay-*
# (netd_overlay.sh). Root. Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_overlay COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_overlay.sh)
	set_tests_properties(e2e_netd_overlay PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
