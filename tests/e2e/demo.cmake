# The README's main job as a test: scripts/demo (root) builds hosts and
# gateways in network namespaces, starts each stack with parapetd -c
# etc/examples/*.conf, configures ESP with setkey, and checks ICMP, TCP,
# UDP and the capture on the wire (only ESP). It takes the binaries of
# this build directory (PARAPET_BUILD), so the ASan build runs the ASan
# binaries. Exit status 77 (not root, no /dev/net/tun): skipped.
if(PARAPET_ROOT_TESTS AND TARGET parapetd AND TARGET parapetctl AND
    TARGET keyd AND TARGET policyd AND TARGET ipsecd AND TARGET netd AND
    TARGET setkey)
	add_test(NAME e2e_demo COMMAND sh ${CMAKE_SOURCE_DIR}/scripts/demo)
	set_tests_properties(e2e_demo PROPERTIES LABELS "e2e;root"
	    TIMEOUT 240 SKIP_RETURN_CODE 77
	    ENVIRONMENT "PARAPET_BUILD=${CMAKE_BINARY_DIR}")
endif()
