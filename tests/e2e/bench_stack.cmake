# The smoke test of bench/bench_stack.sh (the whole-stack benchmark), so
# the script cannot rot: --quick on two rows (the plain
# forwarder fwd_plain, Parapet ESP AES-GCM transport) with 1 s runs. It
# asserts that every row ran and that the table and a ratio are printed,
# never a figure. Root; exit status 77 (not root, no /dev/net/tun, no
# iperf3): skipped. Included by tests/e2e/CMakeLists.txt, before bench/
# (so no TARGET fwd_plain test here: the all target builds it).
if(PARAPET_ROOT_TESTS AND EXISTS ${CMAKE_SOURCE_DIR}/bench/fwd_plain.c AND
    TARGET parapetd AND
    TARGET parapetctl AND TARGET keyd AND TARGET policyd AND
    TARGET ipsecd AND TARGET netd AND TARGET setkey)
	add_test(NAME e2e_bench_stack_smoke COMMAND sh -c
	    "set -e; o=$(sh \"$0\" \"$@\"); echo \"$o\"; for r in fwd gcm-tr; do echo \"$o\" | grep -Eq \"^$r +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ us\"; done; echo \"$o\" | grep -q '^TCP gcm-tr / fwd'"
	    ${CMAKE_SOURCE_DIR}/bench/bench_stack.sh -b ${CMAKE_BINARY_DIR}
	    --quick --rows fwd,gcm-tr)
	set_tests_properties(e2e_bench_stack_smoke PROPERTIES
	    LABELS "e2e;root" TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
