# The supervisor -> server handoff datagram's decoder
# (servers/supervisor/handoff.c); seeds: tests/fuzz/corpus/fuzz_handoff/
# (gen_handoff_seeds.py).
parapet_fuzz(NAME fuzz_handoff SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/fuzz_handoff.c LIBS parapet_supervisor_core)
