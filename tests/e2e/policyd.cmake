# policyd end to end: PF_KEY X_SPD* through keyd's socket, relayed to
# policyd, under a real parapetd in a temporary run directory; kill -9 of
# policyd; parapetctl sysctl; a subscriber over the bus. Included by
# tests/e2e/CMakeLists.txt.
if(TARGET keyd AND TARGET policyd AND TARGET parapetd AND TARGET parapetctl)
	parapet_test(NAME test_policyd_e2e
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/policyd/test_policyd_e2e.c
	    LIBS policyd_msg parapet_bus keyd_core LABELS e2e TIMEOUT 120)
	add_dependencies(test_policyd_e2e keyd policyd parapetd parapetctl)
endif()

# The same relay seen through the PF_KEY preload library by python3's
# socket.AF_KEY (replies queued when send() returns; an SPD dump without
# an empty read). Not under the sanitizers (see tests/e2e/preload.cmake).
find_program(PARAPET_PYTHON3 python3)
if(TARGET keyd AND TARGET policyd AND TARGET parapetd AND
    TARGET parapet_pfkey AND PARAPET_PYTHON3 AND NOT PARAPET_SAN_FLAGS)
	add_test(NAME test_policyd_preload COMMAND ${PARAPET_PYTHON3}
	    ${CMAKE_CURRENT_LIST_DIR}/policyd/test_policyd_preload.py)
	set_tests_properties(test_policyd_preload PROPERTIES LABELS e2e
	    TIMEOUT 60 ENVIRONMENT
	    "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;LD_PRELOAD=$<TARGET_FILE:parapet_pfkey>")
endif()
