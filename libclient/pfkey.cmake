# The PF_KEY v2 API (issue 3 item 9; DESIGN §10.17): a
# connection to keyd's socket, send helpers in the spirit of KAME
# libipsec, a validating receive and an extension iterator. The wire code
# is keyd_core's (pfkey_build.h, pfkey_msg.h); this library adds the
# socket and the parameter structs.
if(TARGET keyd_core)
	add_library(parapet_pfkey_client STATIC pfkey.c)
	target_include_directories(parapet_pfkey_client PUBLIC
	    ${CMAKE_CURRENT_SOURCE_DIR})
	target_link_libraries(parapet_pfkey_client PUBLIC keyd_core)
	parapet_strict_sources(pfkey.c)
endif()
