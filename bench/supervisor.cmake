# Restart latency of the supervisor: kill -9 of a server until it is ready
# again (bench_restart.c). Needs the daemons it starts.
if(TARGET parapetd)
	add_executable(bench_restart ${CMAKE_CURRENT_LIST_DIR}/bench_restart.c)
	target_link_libraries(bench_restart PRIVATE parapet_bus)
	add_dependencies(bench_restart parapetd keyd policyd ipsecd netd)
endif()
