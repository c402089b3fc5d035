# Per-socket policy end to end (DESIGN §10.21): sockpol_client,
# an ordinary program using setsockopt(IP_IPSEC_POLICY), run under the
# preload library against policyd under a real parapetd.
if(TARGET policyd AND TARGET keyd AND TARGET parapetd AND
    TARGET parapet_pfkey AND TARGET parapet_sockpol)
	add_executable(sockpol_client
	    ${CMAKE_CURRENT_SOURCE_DIR}/sockpol/sockpol_client.c)
	set_target_properties(sockpol_client PROPERTIES
	    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	target_link_libraries(sockpol_client PRIVATE parapet_policy)
	parapet_test(NAME test_sockpol_e2e
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sockpol/test_sockpol_e2e.c
	    LIBS parapet_sockpol netd_sockpol parapet_bus LABELS e2e TIMEOUT 120)
	add_dependencies(test_sockpol_e2e keyd policyd parapetd
	    parapet_pfkey sockpol_client)
	set_tests_properties(test_sockpol_e2e PROPERTIES ENVIRONMENT
	    "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_PRELOAD=$<TARGET_FILE:parapet_pfkey>")
endif()
