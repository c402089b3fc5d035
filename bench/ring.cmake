# common/ring benchmarks (not run by ctest). Included by
# bench/CMakeLists.txt. Each program prints the seed and these build flags.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _ring_bt)
set(_ring_build "${CMAKE_BUILD_TYPE} ${CMAKE_C_COMPILER_ID}")
string(APPEND _ring_build " ${CMAKE_C_COMPILER_VERSION} ${CMAKE_C_FLAGS}")
string(APPEND _ring_build " ${CMAKE_C_FLAGS_${_ring_bt}}")
if(ENABLE_ASAN OR ENABLE_UBSAN OR ENABLE_TSAN)
	string(APPEND _ring_build " (sanitizers on: figures mean nothing)")
endif()

add_executable(bench_ring ${CMAKE_CURRENT_LIST_DIR}/bench_ring.c)
target_link_libraries(bench_ring PRIVATE parapet_ring)
target_compile_definitions(bench_ring PRIVATE BENCH_BUILD="${_ring_build}")

add_executable(bench_pktloop ${CMAKE_CURRENT_LIST_DIR}/bench_pktloop.c)
target_link_libraries(bench_pktloop PRIVATE parapet_ring PkgConfig::SODIUM)
target_compile_definitions(bench_pktloop PRIVATE
    BENCH_BUILD="${_ring_build}")
