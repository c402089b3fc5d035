# ESP/AH transforms against raw libsodium on the same buffers
# (bench_esp.c; not run by ctest). Run it from a Release build.
add_executable(bench_esp ${CMAKE_CURRENT_LIST_DIR}/bench_esp.c)
target_link_libraries(bench_esp PRIVATE ipsecd_xform)
