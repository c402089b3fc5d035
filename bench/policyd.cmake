# X_SPDADD per second through keyd + policyd under parapetd, against the
# pure SPD core in the same run (bench_spdadd.c). Not run by ctest.
if(TARGET parapetd AND TARGET policyd AND TARGET keyd)
	add_executable(bench_spdadd ${CMAKE_CURRENT_LIST_DIR}/bench_spdadd.c)
	target_link_libraries(bench_spdadd PRIVATE policyd_core parapet_bus)
	add_dependencies(bench_spdadd parapetd keyd policyd)
endif()
