# netd's done ring: what a broken or hostile ipsecd can hand back
# (fuzz_netd_ring.c). Seeds: tests/fuzz/corpus/fuzz_netd_ring, written by
# tests/fuzz/gen_fuzz_netd_ring.py. Included by tests/fuzz/CMakeLists.txt.
if(TARGET netd_ring AND TARGET ipsecd_xform)
	parapet_fuzz(NAME fuzz_netd_ring
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_netd_ring.c
	    LIBS netd_ring netd_conf ipsecd_xform)
endif()
