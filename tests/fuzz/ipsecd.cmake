# ipsecd's transforms: inbound ESP (fuzz_esp.c), AH (fuzz_ah.c) and the
# IP header parser (fuzz_ip_hdr.c). Seeds in corpus/<name>: seed_* written
# by gen_esp_seeds.py (python3 + scapy + ipsec_tool; not run by ctest),
# lf_* a libFuzzer -merge=1 of clang runs (ENABLE_FUZZING), regress_* inputs
# that once failed a check of the target.
foreach(_f esp ah ip_hdr)
	parapet_fuzz(NAME fuzz_${_f}
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_${_f}.c
	    LIBS ipsecd_xform)
endforeach()
