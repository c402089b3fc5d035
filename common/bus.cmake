# common/bus.cmake - the control bus (docs/DESIGN.md section 3).
#
# parapet_buscore: framing, envelope rules and the message registry; pure
# (no I/O), linked by the shell, unit tests and fuzzers.
# parapet_bus: the libuv shell, client and broker.

add_library(parapet_buscore STATIC frame.c bus_msg.c)
target_include_directories(parapet_buscore PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(parapet_buscore PUBLIC parapet_core parapet_proto)
# Parsers of untrusted bytes get the stricter warnings (STYLE.md 11). Set
# in this directory's scope: parapet_strict_sources() sets them in the top
# directory's, which targets defined here do not see.
set_source_files_properties(frame.c bus_msg.c PROPERTIES
    COMPILE_OPTIONS "${PARAPET_STRICT_WARNINGS}")

add_library(parapet_bus STATIC bus.c bus_conn.c bus_broker.c counters.c)
target_link_libraries(parapet_bus PUBLIC parapet_buscore PkgConfig::UV)

# libFuzzer steers by coverage: instrument the parser library itself, not
# only the fuzz target's own file (parapet_fuzz() does that much).
if(ENABLE_FUZZING AND CMAKE_C_COMPILER_ID MATCHES "Clang")
	target_compile_options(parapet_buscore PRIVATE
	    -fsanitize=fuzzer-no-link)
	target_link_options(parapet_buscore INTERFACE
	    -fsanitize=fuzzer-no-link)
endif()
