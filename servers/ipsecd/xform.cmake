# ipsecd_xform: the pure transform core (docs/notes-esp.md): the table of
# transforms (xform.c, libsodium backend), ESP (esp.c), AH (ah.c) and the
# IP header helpers they share (ip_hdr.c). No I/O, no clock, no random
# source. Included by servers/ipsecd/CMakeLists.txt.
set(_xform_src
    ${CMAKE_CURRENT_LIST_DIR}/xform.c
    ${CMAKE_CURRENT_LIST_DIR}/ip_hdr.c
    ${CMAKE_CURRENT_LIST_DIR}/esp.c
    ${CMAKE_CURRENT_LIST_DIR}/ah.c)
add_library(ipsecd_xform STATIC ${_xform_src})
target_include_directories(ipsecd_xform PUBLIC ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/libclient)
target_link_libraries(ipsecd_xform PUBLIC parapet_core PkgConfig::SODIUM)
parapet_strict_sources(${_xform_src})
