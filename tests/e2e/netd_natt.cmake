# ESP in UDP (RFC 3948) through a NAT namespace (nftables masquerade that
# changes the port), both hosts with the whole stack (netd_natt.sh,
# DESIGN §10.27). Root. Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_natt COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_natt.sh)
	set_tests_properties(e2e_netd_natt PROPERTIES LABELS "e2e;root"
	    TIMEOUT 90
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
