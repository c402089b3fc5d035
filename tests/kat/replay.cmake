# The anti-replay window and ESN inference against every case of
# tests/vectors/antireplay_esn_rfc4303.jsonl. gen_kat_replay.py turns the
# JSONL file into a C header at build time.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_kat_replay_h ${CMAKE_CURRENT_BINARY_DIR}/kat_replay_vectors.h)
set(_kat_replay_vec
    ${CMAKE_SOURCE_DIR}/tests/vectors/antireplay_esn_rfc4303.jsonl)
add_custom_command(OUTPUT ${_kat_replay_h}
    COMMAND ${Python3_EXECUTABLE}
        ${CMAKE_CURRENT_SOURCE_DIR}/gen_kat_replay.py
        ${_kat_replay_vec} ${_kat_replay_h}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gen_kat_replay.py ${_kat_replay_vec}
    COMMENT "gen_kat_replay.py: anti-replay vectors -> kat_replay_vectors.h")
parapet_test(NAME test_kat_replay
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_kat_replay.c ${_kat_replay_h}
    LIBS ipsecd_state LABELS kat)
target_include_directories(test_kat_replay PRIVATE
    ${CMAKE_CURRENT_BINARY_DIR})
