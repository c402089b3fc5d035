# The crypto backends (DESIGN §10.23): the start-up self-tests and
# selection (test_crypto_select, unit), and libsodium against OpenSSL on
# random packets (test_crypto_cross, kat; exit 77 = skipped in the
# libsodium-only build).
parapet_test(NAME test_crypto_select
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_crypto_select.c
    LIBS ipsecd_xform LABELS unit)
parapet_test(NAME test_crypto_cross
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_crypto_cross.c
    LIBS ipsecd_xform LABELS kat)
target_include_directories(test_crypto_cross PRIVATE
    ${CMAKE_SOURCE_DIR}/tests/unit/ipsecd)
set_tests_properties(test_crypto_cross PROPERTIES SKIP_RETURN_CODE 77)
parapet_test(NAME test_esp_rfc8221
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_esp_rfc8221.c
    LIBS ipsecd_xform LABELS unit)
target_include_directories(test_esp_rfc8221 PRIVATE
    ${CMAKE_SOURCE_DIR}/tests/unit/ipsecd)
set_tests_properties(test_esp_rfc8221 PROPERTIES SKIP_RETURN_CODE 77)
# ipsecd's -C SPEC argument handling (the shell file, with the server
# library it calls).
if(TARGET parapet_server)
	parapet_test(NAME test_ipsecd_crypto_args
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ipsecd_crypto_args.c
	        ${CMAKE_SOURCE_DIR}/servers/ipsecd/ipsecd_crypto.c
	    LIBS ipsecd_xform parapet_server LABELS unit)
	target_include_directories(test_ipsecd_crypto_args PRIVATE
	    ${CMAKE_SOURCE_DIR}/servers/ipsecd)
endif()
