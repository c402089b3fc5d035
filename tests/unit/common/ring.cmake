# common/ring tests. Included by tests/unit/common/CMakeLists.txt.
# test_ring: one process, table-driven. test_ring_stress: tens of millions
# of items between two processes. test_ring_kill: SIGKILL either side at
# random moments and check that every slot comes back exactly once.
parapet_test(NAME test_ring
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ring.c
    LIBS parapet_ring LABELS unit TIMEOUT 60)
parapet_test(NAME test_ring_stress
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ring_stress.c
    LIBS parapet_ring LABELS unit TIMEOUT 120)
parapet_test(NAME test_ring_kill
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ring_kill.c
    LIBS parapet_ring LABELS unit TIMEOUT 120)
