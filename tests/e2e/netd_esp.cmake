# Two hosts running the whole Parapet stack exchange traffic over ESP
# (netd_esp.sh: two network namespaces, parapetd in each, netd as bump in
# the stack through ipsecd). Root. Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_esp COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_esp.sh)
	set_tests_properties(e2e_netd_esp PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
