# netd's SPD replica, the pure part (servers/netd/netd_spd.c).
# Included by tests/unit/netd/CMakeLists.txt. test_netd_spd --seeds DIR
# writes the corpus of fuzz_netd_spd (tests/fuzz/corpus/fuzz_netd_spd).
if(TARGET netd_spd_core)
	parapet_test(NAME test_netd_spd
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_netd_spd.c
	    LIBS netd_spd_core LABELS unit)
endif()
