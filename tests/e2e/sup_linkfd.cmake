# The supervisor opens netd's links and hands them over: netd as nobody,
# TAP carrier kept and probes resumed across kill -9 of netd
# (sup_linkfd.sh; two network namespaces, whole stacks). Root. Included
# by tests/e2e/CMakeLists.txt. The resume bounds after netd's ready:
# median 100 ms, each kill 300 ms; 400 / 700 in sanitizer builds.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	if(ENABLE_ASAN OR ENABLE_UBSAN)
		set(_linkfd_resume "LINKFD_RESUME_MS=400;LINKFD_RESUME_MAX_MS=700")
	else()
		set(_linkfd_resume "LINKFD_RESUME_MS=100;LINKFD_RESUME_MAX_MS=300")
	endif()
	add_test(NAME e2e_sup_linkfd COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/sup_linkfd.sh)
	set_tests_properties(e2e_sup_linkfd PROPERTIES LABELS "e2e;root"
	    TIMEOUT 90
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR};${_linkfd_resume}")
endif()
