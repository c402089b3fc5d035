# netd's per-socket policy hook (netd_sockpol.c, DESIGN §10.21):
# the replica of policyd's registry and the decide() callback. Pure.
# Included by servers/netd/CMakeLists.txt.
add_library(netd_sockpol STATIC netd_sockpol.c)
target_include_directories(netd_sockpol PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(netd_sockpol PUBLIC netd_core policyd_sockpol_msg)
parapet_strict_sources(netd_sockpol.c)
