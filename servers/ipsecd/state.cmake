# ipsecd_state: the pure per-SA state core (DESIGN §10.11): the
# anti-replay window and sequence counters (replay.c), the SA table
# (sa_table.c) and the persistent per-SA packet state in a pstore
# (sa_state.c). No I/O, no clock, no random source. Included by
# servers/ipsecd/CMakeLists.txt.
set(_state_src
    ${CMAKE_CURRENT_LIST_DIR}/replay.c
    ${CMAKE_CURRENT_LIST_DIR}/sa_table.c
    ${CMAKE_CURRENT_LIST_DIR}/sa_state.c)
add_library(ipsecd_state STATIC ${_state_src})
target_include_directories(ipsecd_state PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(ipsecd_state PUBLIC parapet_core parapet_pstore)
parapet_strict_sources(${_state_src})
