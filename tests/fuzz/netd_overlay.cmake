# The overlay's udp link: IP + UDP headers stripped from ipsecd's
# datagrams and written in front of received payloads (link_udp.c).
# Seeds: tests/fuzz/corpus/fuzz_netd_udp_frame (ESP in UDP, IPv4 with
# and without options, IPv6, refusals).
parapet_fuzz(NAME fuzz_netd_udp_frame
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_netd_udp_frame.c
    LIBS netd_link)
