# common/pkt_ring: the netd <-> ipsecd packet protocol on the rings (op,
# result codes, the metadata block in a slot's headroom; pkt_ring.h).
# Pure; netd and ipsecd both link it. Included by common/CMakeLists.txt.
add_library(parapet_pkt_ring STATIC ${CMAKE_CURRENT_LIST_DIR}/pkt_ring.c)
target_link_libraries(parapet_pkt_ring PUBLIC parapet_core)
target_include_directories(parapet_pkt_ring PUBLIC ${CMAKE_CURRENT_LIST_DIR})
parapet_strict_sources(${CMAKE_CURRENT_LIST_DIR}/pkt_ring.c)
