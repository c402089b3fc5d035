# ipsecd's shell (DESIGN §10.18): the daemon that makes the pure
# cores a server. Included by servers/ipsecd/CMakeLists.txt in the sorted
# order of the file names, before state.cmake and xform.cmake: the cores'
# libraries are linked by name (resolved at generate time).
#   ipsecd_shell_core  keyd's Sa messages -> SA table specs (ipsecd_sa.c),
#                      drop reasons -> counters and results
#                      (ipsecd_drop.c); pure, for the daemon and its
#                      unit tests
#   ipsecd             ipsecd.c (start, stop, SA registry), ipsecd_bus.c
#                      (keyd: sync, events, usage, ACQUIRE), ipsecd_io.c
#                      (rings, packet path)
if(TARGET parapet_proto)
	add_library(ipsecd_shell_core STATIC
	    ${CMAKE_CURRENT_LIST_DIR}/ipsecd_sa.c
	    ${CMAKE_CURRENT_LIST_DIR}/ipsecd_drop.c)
	target_include_directories(ipsecd_shell_core PUBLIC
	    ${CMAKE_CURRENT_LIST_DIR})
	target_link_libraries(ipsecd_shell_core PUBLIC ipsecd_xform
	    ipsecd_state parapet_proto parapet_pkt_ring)
	parapet_strict_sources(${CMAKE_CURRENT_LIST_DIR}/ipsecd_sa.c
	    ${CMAKE_CURRENT_LIST_DIR}/ipsecd_drop.c)
endif()
if(TARGET parapet_server AND TARGET ipsecd_shell_core AND
    TARGET parapet_pkt_ring)
	add_executable(ipsecd ${CMAKE_CURRENT_LIST_DIR}/ipsecd.c
	    ${CMAKE_CURRENT_LIST_DIR}/ipsecd_bus.c
	    ${CMAKE_CURRENT_LIST_DIR}/ipsecd_io.c)
	target_link_libraries(ipsecd PRIVATE parapet_server ipsecd_shell_core
	    parapet_pkt_ring)
endif()
