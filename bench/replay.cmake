# The anti-replay window against a shifting bitmap (not run by ctest).
# Included by bench/CMakeLists.txt.
add_executable(bench_replay ${CMAKE_CURRENT_LIST_DIR}/bench_replay.c)
target_link_libraries(bench_replay PRIVATE ipsecd_state)
