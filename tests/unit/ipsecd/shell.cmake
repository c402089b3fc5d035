# ipsecd shell tests (servers/ipsecd/shell.cmake, common/pkt_ring.cmake).
# Included by tests/unit/ipsecd/CMakeLists.txt.
# test_pkt_ring: the netd <-> ipsecd slot protocol: results, the
# metadata block's layout, one row per refusal, bit flips.
# test_ipsecd_sa: keyd's Sa messages to SA table specs, one row per
# refusal, keys copied and the message wiped, install into a real table.
if(TARGET parapet_pkt_ring)
	parapet_test(NAME test_pkt_ring
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pkt_ring.c
	    LIBS parapet_pkt_ring LABELS unit TIMEOUT 60)
endif()
if(TARGET ipsecd_shell_core)
	parapet_test(NAME test_ipsecd_sa
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ipsecd_sa.c
	    LIBS ipsecd_shell_core LABELS unit TIMEOUT 60)
endif()
# test_ipsecd_drop: every drop reason has its own counter (drop.<reason>)
# and the right outcome for netd (ipsecd_drop.c).
if(TARGET ipsecd_shell_core AND TARGET parapet_server)
	parapet_test(NAME test_ipsecd_drop
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ipsecd_drop.c
	    LIBS ipsecd_shell_core parapet_server LABELS unit TIMEOUT 60)
endif()
# fuzz_pkt_meta: the metadata block is read from memory the peer process
# wrote; seeds in tests/fuzz/corpus/fuzz_pkt_meta (valid blocks of each
# kind). Registered here with the shell's other tests.
if(TARGET parapet_pkt_ring AND COMMAND parapet_fuzz)
	parapet_fuzz(NAME fuzz_pkt_meta
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_pkt_meta.c
	    LIBS parapet_pkt_ring)
endif()
# fuzz_ipsecd_sa: keyd's Sa messages as bytes, unpacked and converted;
# seeds in tests/fuzz/corpus/fuzz_ipsecd_sa (test_ipsecd_sa --seeds DIR).
if(TARGET ipsecd_shell_core AND COMMAND parapet_fuzz)
	parapet_fuzz(NAME fuzz_ipsecd_sa
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_ipsecd_sa.c
	    LIBS ipsecd_shell_core)
endif()
