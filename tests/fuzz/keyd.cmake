# keyd: the PF_KEY v2 validator (both directions) and its builder.
parapet_fuzz(NAME fuzz_pfkey_msg
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_pfkey_msg.c
    LIBS keyd_core)

# Writes the corpus from the unit tests' samples; built, not run by ctest:
#   build/tests/gen_pfkey_seeds tests/fuzz/corpus/fuzz_pfkey_msg
add_executable(gen_pfkey_seeds
    ${CMAKE_CURRENT_SOURCE_DIR}/gen_pfkey_seeds.c
    ${CMAKE_SOURCE_DIR}/tests/unit/keyd/pfkey_samples.c)
target_include_directories(gen_pfkey_seeds PRIVATE
    ${CMAKE_SOURCE_DIR}/tests/unit/keyd)
target_link_libraries(gen_pfkey_seeds PRIVATE keyd_core)
set_target_properties(gen_pfkey_seeds PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
