# netd: the packet parser and what consumes its output (decide, frag,
# icmp). Seeds: tests/fuzz/corpus/fuzz_netd_pkt, written by
# tests/fuzz/fuzz_netd_seeds.py (scapy).
parapet_fuzz(NAME fuzz_netd_pkt
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_netd_pkt.c
    LIBS netd_core)

# netd.conf and the -P policy specs.
parapet_fuzz(NAME fuzz_netd_conf
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_netd_conf.c
    LIBS netd_conf)
