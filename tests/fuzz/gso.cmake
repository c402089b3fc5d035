# Software TCP segmentation and coalescing (fuzz_gso.c). Seeds:
# tests/fuzz/corpus/fuzz_gso, written by tests/fuzz/gen_gso_seeds.py.
# Included by tests/fuzz/CMakeLists.txt.
if(TARGET netd_gso)
	parapet_fuzz(NAME fuzz_gso
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_gso.c
	    LIBS netd_gso)
endif()
