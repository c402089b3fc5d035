# libclient's PF_KEY API (libclient/pfkey.h) without keyd: what each send
# helper builds passes keyd's validator; receive over a socketpair().
if(TARGET parapet_pfkey_client)
	parapet_test(NAME test_pfkey_api
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pfkey_api.c
	    LIBS parapet_pfkey_client parapet_policy LABELS unit)
endif()
