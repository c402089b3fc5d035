# The SADB's doubly linked chains and larval seq index against a model:
# thousands of SAs between two hosts (keydperf, DESIGN §10.24).
parapet_test(NAME test_sadb_chains_prop
    SOURCES test_sadb_chains_prop.c
    LIBS keyd_core LABELS prop)
