# netd's SPD replica against keyd + policyd under parapetd: setkey and
# parapetctl sysctl changes seen in netd's counters, kill -9 of policyd
# and of netd (root: keyd admits uid 0 only).
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND
    TARGET policyd AND TARGET keyd AND TARGET setkey)
	add_test(NAME e2e_netd_spd COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_spd.sh)
	set_tests_properties(e2e_netd_spd PROPERTIES LABELS "e2e;root"
	    TIMEOUT 180 SKIP_RETURN_CODE 77
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
