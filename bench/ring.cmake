# common/ring benchmarks (not run by ctest). Included by
# bench/CMakeLists.txt. Each program prints the seed and these build flags.

add_executable(bench_ring ${CMAKE_CURRENT_LIST_DIR}/bench_ring.c)
target_link_libraries(bench_ring PRIVATE parapet_ring)

add_executable(bench_pktloop ${CMAKE_CURRENT_LIST_DIR}/bench_pktloop.c)
target_link_libraries(bench_pktloop PRIVATE parapet_ring PkgConfig::SODIUM)
