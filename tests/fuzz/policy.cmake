# libclient: the policy text parser and the sadb_x_policy dumper. The
# seeds are text policies; seeds named *.bin are extensions (little-endian).
parapet_fuzz(NAME fuzz_policy
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_policy.c
    LIBS parapet_policy)
