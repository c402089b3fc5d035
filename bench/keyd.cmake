# keyd: SADB_ADD/s, GET latency, GETSPI/s, DUMP of 1 M SAs and memory per
# SA, through the keyd binary's PF_KEY socket and through the pure core
# alone (bench_keyd.c; not run by ctest; needs root).
if(TARGET keyd AND TARGET parapet_bus)
	add_executable(bench_keyd ${CMAKE_CURRENT_LIST_DIR}/bench_keyd.c)
	target_link_libraries(bench_keyd PRIVATE keyd_core parapet_bus)
	add_dependencies(bench_keyd keyd)
endif()
