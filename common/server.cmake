# common/server.cmake - the shell every server process shares (server.c):
# handoff from the supervisor, bus client, ping/counters/region info,
# ReadyEvent, signals. It needs the bus and the rings, so it builds once
# those exist; the handoff codec comes from the supervisor's pure core
# (servers/supervisor/handoff.c), which is added later in the tree, so the
# target is linked by name.
if(TARGET parapet_bus AND TARGET parapet_ring)
	add_library(parapet_server STATIC server.c listen.c)
	target_include_directories(parapet_server PUBLIC
	    ${CMAKE_CURRENT_SOURCE_DIR})
	target_link_libraries(parapet_server PUBLIC parapet_bus parapet_ring
	    parapet_pstore
	    parapet_supervisor_core PkgConfig::UV PkgConfig::SODIUM)
endif()
