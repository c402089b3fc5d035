# SPD lookup against a linear scan (bench_spd.c; not run by ctest).
# Included by bench/CMakeLists.txt. Prints the seed and these build flags.

add_executable(bench_spd ${CMAKE_CURRENT_LIST_DIR}/bench_spd.c)
target_link_libraries(bench_spd PRIVATE policyd_core)
