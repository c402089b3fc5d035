# The whole stack with ESP ChaCha20-Poly1305, ESP AES-CBC + HMAC-SHA1
# (where the OpenSSL backend is built) and AH HMAC-SHA-256 (netd_algs.sh).
# Root. Included by tests/e2e/CMakeLists.txt.
if(TARGET parapetd AND TARGET parapetctl AND TARGET netd AND TARGET ipsecd
    AND TARGET keyd AND TARGET policyd AND TARGET setkey)
	add_test(NAME e2e_netd_algs COMMAND sh
	    ${CMAKE_CURRENT_SOURCE_DIR}/netd_algs.sh)
	set_tests_properties(e2e_netd_algs PROPERTIES LABELS "e2e;root"
	    TIMEOUT 120
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endif()
