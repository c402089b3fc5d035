# netd's replica of policyd's SPD and variables (netd_spd.h,
# DESIGN §10.20). Included by servers/netd/CMakeLists.txt.
#
# netd_spd_core: the pure part (netd_spd.c) for the daemon, the unit
# test and the fuzzer; netd_spd: the bus shell (netd_spd_bus.c), linked
# into netd.
add_library(netd_spd_core STATIC ${CMAKE_CURRENT_LIST_DIR}/netd_spd.c)
target_include_directories(netd_spd_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(netd_spd_core PUBLIC netd_core policyd_msg)
parapet_strict_sources(${CMAKE_CURRENT_LIST_DIR}/netd_spd.c)

if(TARGET parapet_server)
	add_library(netd_spd STATIC ${CMAKE_CURRENT_LIST_DIR}/netd_spd_bus.c)
	target_link_libraries(netd_spd PUBLIC netd_spd_core netd_sockpol
	    parapet_server)
	if(TARGET netd)
		target_link_libraries(netd PRIVATE netd_spd)
	endif()
endif()
