# ipsecd end to end (ipsecd.sh, ipsecd_e2e.py): parapetd with keyd, ipsecd
# and a test netd (ipsecd_netd.c: ring side A behind a socket), SAs by
# PF_KEY, packets checked with scapy, kill -9 of ipsecd under traffic.
# Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET keyd AND TARGET ipsecd
    AND TARGET parapet_server)
	add_executable(ipsecd_test_netd ${CMAKE_CURRENT_LIST_DIR}/ipsecd_netd.c)
	target_link_libraries(ipsecd_test_netd PRIVATE parapet_server)
	set_target_properties(ipsecd_test_netd PROPERTIES
	    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	add_test(NAME e2e_ipsecd COMMAND sh
	    ${CMAKE_CURRENT_LIST_DIR}/ipsecd.sh)
	set_tests_properties(e2e_ipsecd PROPERTIES LABELS e2e TIMEOUT 180
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR};PARAPET_TESTDIR=${CMAKE_BINARY_DIR}/tests")
endif()
