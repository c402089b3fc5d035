# ESP in UDP behind a NAT in the transform core: ports and the transport
# checksum (DESIGN §10.27). Included by tests/unit/ipsecd/CMakeLists.txt.
parapet_test(NAME test_esp_natt
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_esp_natt.c
    LIBS ipsecd_xform LABELS unit)
