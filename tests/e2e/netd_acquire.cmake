# ACQUIRE on demand and rekeying through the whole stack, with the test
# key manager (netd_acquire.sh). Root. Included by
# tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_acquire COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_acquire.sh)
	set_tests_properties(e2e_netd_acquire PROPERTIES LABELS "e2e;root"
	    TIMEOUT 180
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
