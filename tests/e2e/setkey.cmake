# setkey(8) end to end: setkey_sad.sh against keyd alone (every SAD
# statement, -D, -F, the error reports); setkey_spd.sh against parapetd's
# keyd and policyd (the SPD statements, -DP, -FP), which exits 77 (SKIP)
# while keyd answers X_SPDDUMP with EOPNOTSUPP, i.e. until keyd relays the
# SPD messages to policyd.
if(TARGET setkey AND TARGET keyd)
	add_test(NAME e2e_setkey_sad COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/setkey_sad.sh)
	set_tests_properties(e2e_setkey_sad PROPERTIES LABELS e2e TIMEOUT 120
	    SKIP_RETURN_CODE 77
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
if(TARGET setkey AND TARGET parapetd AND TARGET policyd)
	add_test(NAME e2e_setkey_spd COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/setkey_spd.sh)
	set_tests_properties(e2e_setkey_spd PROPERTIES LABELS e2e TIMEOUT 120
	    SKIP_RETURN_CODE 77
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
