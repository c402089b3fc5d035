# The crypto backends side by side (bench_crypto.c; DESIGN §10.23):
# ESP/AH per algorithm and backend against the same backend's raw
# primitive, at 64/512/1400/8000 bytes. Not run by ctest; Release build.
add_executable(bench_crypto ${CMAKE_CURRENT_LIST_DIR}/bench_crypto.c)
target_link_libraries(bench_crypto PRIVATE ipsecd_xform)
