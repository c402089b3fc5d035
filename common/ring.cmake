# common/ring: shared-memory packet rings between netd and ipsecd
# (DESIGN §2, docs/DESIGN.md §10.4). Included by common/CMakeLists.txt.
add_library(parapet_ring STATIC ${CMAKE_CURRENT_LIST_DIR}/ring.c)
target_link_libraries(parapet_ring PUBLIC parapet_core)
target_include_directories(parapet_ring PUBLIC ${CMAKE_CURRENT_LIST_DIR})
parapet_strict_sources(${CMAKE_CURRENT_LIST_DIR}/ring.c)
# parapet_strict_sources() sets the property in the top directory's scope,
# which targets defined in common/ do not see; ring.c is this target's only
# source, so the target-wide option is the same thing and takes effect.
target_compile_options(parapet_ring PRIVATE ${PARAPET_STRICT_WARNINGS})
