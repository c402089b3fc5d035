# netd's path MTU learning from ICMP errors (fuzz_netd_pmtu.c). Seeds:
# tests/fuzz/corpus/fuzz_netd_pmtu, written by gen_fuzz_netd_pmtu.py.
# Included by tests/fuzz/CMakeLists.txt.
parapet_fuzz(NAME fuzz_netd_pmtu
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_netd_pmtu.c
    LIBS netd_core)
