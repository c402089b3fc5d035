# common/ring: shared-memory packet rings between netd and ipsecd
# (DESIGN §2, docs/DESIGN.md §10.4). Included by common/CMakeLists.txt.
# ring_region.c: format, attach, recovery; ring.c: the data path.
add_library(parapet_ring STATIC ${CMAKE_CURRENT_LIST_DIR}/ring_region.c
    ${CMAKE_CURRENT_LIST_DIR}/ring.c)
target_link_libraries(parapet_ring PUBLIC parapet_core)
target_include_directories(parapet_ring PUBLIC ${CMAKE_CURRENT_LIST_DIR})
parapet_strict_sources(${CMAKE_CURRENT_LIST_DIR}/ring_region.c
    ${CMAKE_CURRENT_LIST_DIR}/ring.c)
