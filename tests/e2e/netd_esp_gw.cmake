# netd in gateway mode: an ESP tunnel between two gateways, each with the
# whole Parapet stack, for the hosts behind them (netd_esp_gw.sh: four
# network namespaces). Root. Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_esp_gw COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_esp_gw.sh)
	set_tests_properties(e2e_netd_esp_gw PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
