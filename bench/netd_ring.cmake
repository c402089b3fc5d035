# netd's packet path through the ring (netd_ring.c) around ipsecd's ESP
# transform, in one thread, against the transform alone
# (bench_netd_ring.c; not run by ctest). Included by bench/CMakeLists.txt.
if(TARGET netd_ring AND TARGET ipsecd_xform)
	add_executable(bench_netd_ring ${CMAKE_CURRENT_LIST_DIR}/bench_netd_ring.c)
	target_link_libraries(bench_netd_ring PRIVATE netd_ring netd_conf
	    ipsecd_xform)
endif()
