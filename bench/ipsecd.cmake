# ipsecd through the rings (bench_ipsecd_ring.c, bench_ipsecd_ring.sh): the
# real ipsecd under parapetd with keyd, this program as netd's side. Not
# run by ctest; run bench_ipsecd_ring.sh from a Release build (root).
if(TARGET parapet_server AND TARGET parapet_pkt_ring AND
    TARGET ipsecd_xform)
	add_executable(bench_ipsecd_ring
	    ${CMAKE_CURRENT_LIST_DIR}/bench_ipsecd_ring.c)
	target_link_libraries(bench_ipsecd_ring PRIVATE parapet_server
	    parapet_pkt_ring ipsecd_xform)
	set_target_properties(bench_ipsecd_ring PROPERTIES
	    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
