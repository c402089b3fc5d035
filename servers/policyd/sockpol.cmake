# Per-socket policy in policyd (DESIGN §10.21). Included by
# servers/policyd/CMakeLists.txt.
#
# policyd_sockpol: the pure core (registry, request parser, privilege
# rule, lookup), for policyd, netd's replica, the tests and the fuzzer.
add_library(policyd_sockpol STATIC sockpol.c)
target_include_directories(policyd_sockpol PUBLIC
    ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/libclient)
target_link_libraries(policyd_sockpol PUBLIC policyd_core parapet_core)
parapet_strict_sources(sockpol.c)

# The endpoint RUNDIR/sockpol.sock, in the daemon.
if(TARGET policyd)
	target_sources(policyd PRIVATE sockpol_srv.c)
	target_link_libraries(policyd PRIVATE policyd_sockpol)
endif()

# policyd_sockpol_msg: registrations on the bus and the subscriber's
# replica (sockpol_msg.c; pure, needs the generated protobuf-c code).
add_library(policyd_sockpol_msg STATIC sockpol_msg.c)
target_link_libraries(policyd_sockpol_msg PUBLIC policyd_sockpol policyd_msg)
parapet_strict_sources(sockpol_msg.c)
if(TARGET policyd)
	target_link_libraries(policyd PRIVATE policyd_sockpol_msg)
endif()
