# SAs in keyd's store: restored byte for byte after the SADB is dropped
# as kill -9 drops it (servers/keyd/sadb_store.c).
parapet_test(NAME test_sadb_store
    SOURCES test_sadb_store.c pfkey_samples.c
    LIBS keyd_core LABELS unit)
