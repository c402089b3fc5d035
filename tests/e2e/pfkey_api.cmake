# libclient's PF_KEY API (libclient/pfkey.h) end to end: the real keyd
# binary, alone (the test starts and stops it), driven through the API
# only; a DUMP of 100 000 SAs through a 4 KiB receive buffer. The SPD
# part checks policyd's answers when keyd relays them, else the errno.
if(TARGET keyd AND TARGET parapet_pfkey_client)
	parapet_test(NAME test_pfkey_api_e2e
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pfkey_api.c
	    LIBS parapet_pfkey_client parapet_policy LABELS e2e TIMEOUT 180)
	add_dependencies(test_pfkey_api_e2e keyd)
	set_tests_properties(test_pfkey_api_e2e PROPERTIES
	    SKIP_RETURN_CODE 77)
endif()
