# SAs outlive kill -9 of keyd (keyd's store, docs/DESIGN.md §10.4a).
if(TARGET parapetd AND TARGET parapetctl AND TARGET keyd)
	add_test(NAME e2e_keyd_restart COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/keyd_restart.sh)
	set_tests_properties(e2e_keyd_restart PROPERTIES LABELS e2e
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
