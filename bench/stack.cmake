# The whole-stack benchmark (bench_stack.sh, not run by ctest; its smoke
# test is tests/e2e/bench_stack.cmake): fwd_plain, the plain TUN + UDP
# forwarder it compares Parapet with. Included by bench/CMakeLists.txt.
find_package(Threads REQUIRED)
add_executable(fwd_plain ${CMAKE_CURRENT_LIST_DIR}/fwd_plain.c)
target_link_libraries(fwd_plain PRIVATE parapet_core Threads::Threads)
