# ipsecd_xform (servers/ipsecd/xform.cmake): the transform table, ESP, AH
# and the IP header helpers. Tables of cases; random packets from
# PARAPET_SEED (tests/lib/prng.h); packet builders in xform_pkt.h.
# test_ip_hdr.c registers as test_xform_ip_hdr (netd has an ip_hdr too).
parapet_test(NAME test_xform SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_xform.c
    LIBS ipsecd_xform LABELS unit)
parapet_test(NAME test_xform_ip_hdr
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ip_hdr.c
    LIBS ipsecd_xform LABELS unit)
parapet_test(NAME test_esp SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_esp.c
    LIBS ipsecd_xform LABELS unit)
parapet_test(NAME test_ah SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ah.c
    LIBS ipsecd_xform LABELS unit)
