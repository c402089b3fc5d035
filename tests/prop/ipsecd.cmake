# ipsecd property tests. Included by tests/prop/CMakeLists.txt.
# The anti-replay window (replay.c) against a set of seen numbers and the
# window rule in closed form, 32-bit and ESN.
parapet_test(NAME test_replay_prop
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_replay_prop.c
    LIBS ipsecd_state LABELS prop TIMEOUT 120)
