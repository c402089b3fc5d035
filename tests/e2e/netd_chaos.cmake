# Chaos: kill -9 of every server in turn, repeatedly, during a TCP
# transfer over ESP between two full stacks (netd_chaos.sh). Root.
# Sanitizer builds run one round (PARAPET_CHAOS_ROUNDS). Included by
# tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	if(ENABLE_ASAN OR ENABLE_UBSAN)
		set(_chaos_rounds 1)
	else()
		set(_chaos_rounds 3)
	endif()
	add_test(NAME e2e_netd_chaos COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_chaos.sh)
	set_tests_properties(e2e_netd_chaos PROPERTIES LABELS "e2e;root"
	    TIMEOUT 180
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR};PARAPET_CHAOS_ROUNDS=${_chaos_rounds}")
endif()
