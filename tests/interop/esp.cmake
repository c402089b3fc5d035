# ESP and AH against scapy's SecurityAssociation, both directions
# (esp_scapy.py, ah_scapy.py), and the OpenSSL backend's algorithms plus
# libsodium's again with backend=sodium (rfc8221_scapy.py). ipsec_tool
# runs our transforms on one packet. No root needed; a test exits 77
# (skipped) when scapy cannot be imported by /usr/bin/python3.
add_executable(ipsec_tool ${CMAKE_CURRENT_SOURCE_DIR}/ipsec_tool.c)
target_link_libraries(ipsec_tool PRIVATE ipsecd_xform)
set_target_properties(ipsec_tool PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

foreach(_t esp ah rfc8221)
	add_test(NAME interop_${_t}_scapy
	    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/${_t}_scapy.py
	        $<TARGET_FILE:ipsec_tool>)
	set_tests_properties(interop_${_t}_scapy PROPERTIES
	    LABELS interop TIMEOUT 600 SKIP_RETURN_CODE 77
	    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endforeach()
