# SPD lookup against a linear scan (bench_spd.c; not run by ctest).
# Included by bench/CMakeLists.txt. Prints the seed and these build flags.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _spd_bt)
set(_spd_build "${CMAKE_BUILD_TYPE} ${CMAKE_C_COMPILER_ID}")
string(APPEND _spd_build " ${CMAKE_C_COMPILER_VERSION} ${CMAKE_C_FLAGS}")
string(APPEND _spd_build " ${CMAKE_C_FLAGS_${_spd_bt}}")
if(ENABLE_ASAN OR ENABLE_UBSAN OR ENABLE_TSAN)
	string(APPEND _spd_build " (sanitizers on: figures mean nothing)")
endif()

add_executable(bench_spd ${CMAKE_CURRENT_LIST_DIR}/bench_spd.c)
target_link_libraries(bench_spd PRIVATE policyd_core)
target_compile_definitions(bench_spd PRIVATE BENCH_BUILD="${_spd_build}")
