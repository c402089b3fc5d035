# Path MTU through ESP (netd_pmtu.sh): two full stacks behind a router
# with a smaller MTU towards B; ICMP errors about ESP learned by netd.
# Root. Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_pmtu COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_pmtu.sh)
	set_tests_properties(e2e_netd_pmtu PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
