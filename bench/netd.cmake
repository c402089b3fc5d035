# netd's per-packet parse + decide and the in-memory link through the
# bridge, against memcpy (bench_netd.c; not run by ctest). Included by
# bench/CMakeLists.txt. Prints the seed and the build flags.
add_executable(bench_netd ${CMAKE_CURRENT_LIST_DIR}/bench_netd.c)
target_link_libraries(bench_netd PRIVATE netd_link)
