# Software TCP segmentation and coalescing (servers/netd/gso.c,
# DESIGN §10.28).
parapet_test(NAME test_gso
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_gso.c
    LIBS netd_gso LABELS unit)
parapet_test(NAME test_gro
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_gro.c
    LIBS netd_gso LABELS unit)
# Offloads through ipsecd: netd_ring.c with gso.c on test_netd_ring.c's rig.
if(TARGET netd_ring AND TARGET ipsecd_xform)
	parapet_test(NAME test_netd_gso_ring
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_netd_gso_ring.c
	    LIBS netd_ring netd_conf ipsecd_xform LABELS unit)
endif()
