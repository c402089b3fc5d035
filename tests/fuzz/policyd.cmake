# policyd: its store records and the relayed PF_KEY SPD messages
# (servers/policyd/spd_rec.c, spd_pfkey.c). Seeds: tests/fuzz/corpus/
# fuzz_spd_rec, written by tests/fuzz/gen_spd_seeds.py.
parapet_fuzz(NAME fuzz_spd_rec
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_spd_rec.c
    LIBS policyd_core)
