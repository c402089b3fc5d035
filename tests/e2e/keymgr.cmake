# The test key manager (tests/tools/keymgr.py, issue 6 item 7) between
# two keyd instances under two parapetd: ACQUIRE from either host keyed
# on both, rekey on soft expiry before the hard one. Root: keyd admits
# uid 0 (or its group) only; skipped (77) otherwise. bus_acquire
# (tests/tools/bus_acquire.c) sends the AcquireRequests over the bus.
if(TARGET parapetd AND TARGET parapetctl AND TARGET keyd AND
    TARGET parapet_bus)
	add_executable(bus_acquire ${CMAKE_SOURCE_DIR}/tests/tools/bus_acquire.c)
	set_target_properties(bus_acquire PROPERTIES
	    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	target_link_libraries(bus_acquire PRIVATE parapet_bus)
	add_test(NAME e2e_keymgr COMMAND sh
	    ${CMAKE_SOURCE_DIR}/tests/tools/keymgr_e2e.sh)
	set_tests_properties(e2e_keymgr PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120 SKIP_RETURN_CODE 77
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR};PARAPET_BUS_ACQUIRE=$<TARGET_FILE:bus_acquire>")
endif()
