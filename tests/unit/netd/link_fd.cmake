# Links on handed descriptors (link_fd_open(), cfg.has_fd: what the
# supervisor hands netd, DESIGN §10.2), against the kernel in a network
# namespace of their own (root).
parapet_test(NAME test_netd_link_fd
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_link_fd.c
    LIBS netd_link LABELS unit ROOT TIMEOUT 60)
