# netd's SPD replica: policyd's bus bodies (snapshot pages, change
# events, variables) applied after the bus validators. Seeds:
# tests/fuzz/corpus/fuzz_netd_spd, written by test_netd_spd --seeds DIR.
if(TARGET netd_spd_core)
	parapet_fuzz(NAME fuzz_netd_spd
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_netd_spd.c
	    LIBS netd_spd_core parapet_buscore)
endif()
