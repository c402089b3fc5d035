# ipsecd_state tests (servers/ipsecd/state.cmake). Included by
# tests/unit/ipsecd/CMakeLists.txt.
# test_replay: window and counter boundaries as table rows, and every
# prefix of an advance's stores (crash safety).
# test_sa_table: install, lookups (inbound, outbound selection), delete,
# iterate, flush, growth.
# test_sa_state: records in a real pstore: create, reattach after a
# "restart", validation at scan, counting, and kill -9 of a child under
# traffic against the shared memory.
parapet_test(NAME test_replay
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_replay.c
    LIBS ipsecd_state LABELS unit TIMEOUT 120)
parapet_test(NAME test_sa_table
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sa_table.c
    LIBS ipsecd_state LABELS unit TIMEOUT 60)
parapet_test(NAME test_sa_state
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sa_state.c
    LIBS ipsecd_state LABELS unit TIMEOUT 120)
