# Per-socket policy through the whole stack (netd_sockpol.sh): an
# unmodified program's setsockopt(IP_IPSEC_POLICY) under the preload
# library decides what netd protects. Root. Included by
# tests/e2e/CMakeLists.txt (by name after sockpol.cmake, which makes
# sockpol_client).
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey AND
    TARGET sockpol_client AND TARGET parapet_pfkey)
	add_test(NAME e2e_netd_sockpol COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_sockpol.sh)
	set_tests_properties(e2e_netd_sockpol PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR};PARAPET_SOCKPOL_CLIENT=$<TARGET_FILE:sockpol_client>;PARAPET_PRELOAD=$<TARGET_FILE:parapet_pfkey>")
endif()
