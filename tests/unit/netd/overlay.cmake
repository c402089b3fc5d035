# The overlay link mode (DESIGN §10.26). Included by
# tests/unit/netd/CMakeLists.txt.

# The IP + UDP header adaptation of a udp link with ipframe (pure).
parapet_test(NAME test_netd_udp_frame
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_udp_frame.c
    LIBS netd_link LABELS unit)
# netd.conf's overlay pairs and rules; the overlay examples parse.
parapet_test(NAME test_netd_conf_overlay
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_conf_overlay.c
    LIBS netd_conf LABELS unit)
target_compile_definitions(test_netd_conf_overlay PRIVATE
    PARAPET_SRCDIR="${CMAKE_SOURCE_DIR}")
# A udp link with ipframe against the kernel, in a network namespace of
# its own (root): headers written in front of what arrives, stripped
# from what leaves, GSO and GRO, IKE and keepalives dropped.
parapet_test(NAME test_netd_link_overlay
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_link_overlay.c
    LIBS netd_link LABELS unit ROOT TIMEOUT 60)
