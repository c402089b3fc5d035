# ipsecd_xform: the pure transform core (DESIGN §10.10,
# DESIGN §10.23): the table of transforms (xform.c) with its
# backends (crypto_sodium.c always, crypto_openssl.c with
# PARAPET_CRYPTO_OPENSSL, see crypto.cmake), the start-up self-tests and
# selection (crypto_select.c; the clock is the caller's), ESP (esp.c), AH
# (ah.c) and the IP header helpers they share (ip_hdr.c). No I/O, no
# clock, no random source. Included by servers/ipsecd/CMakeLists.txt.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_selftest_h ${CMAKE_CURRENT_BINARY_DIR}/xform_selftest_vectors.h)
set(_selftest_in
    ${CMAKE_SOURCE_DIR}/tests/vectors/esp_aes_gcm_gmac_draft_mcgrew_gcm_test_01.jsonl
    ${CMAKE_SOURCE_DIR}/tests/vectors/esp_chacha20poly1305_rfc7634.jsonl
    ${CMAKE_SOURCE_DIR}/tests/vectors/hmac_sha2_ipsec_rfc4868.jsonl
    ${CMAKE_SOURCE_DIR}/tests/kat/cipher_rfc3602_rfc3686.jsonl
    ${CMAKE_SOURCE_DIR}/tests/kat/mac_rfc2202_rfc3566.jsonl)
add_custom_command(OUTPUT ${_selftest_h}
    COMMAND ${Python3_EXECUTABLE}
        ${CMAKE_CURRENT_LIST_DIR}/gen_selftest.py ${_selftest_h}
        ${_selftest_in}
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/gen_selftest.py ${_selftest_in}
    COMMENT "gen_selftest.py: one known answer per algorithm")
set(_xform_src
    ${CMAKE_CURRENT_LIST_DIR}/xform.c
    ${CMAKE_CURRENT_LIST_DIR}/crypto_sodium.c
    ${CMAKE_CURRENT_LIST_DIR}/crypto_select.c
    ${CMAKE_CURRENT_LIST_DIR}/ip_hdr.c
    ${CMAKE_CURRENT_LIST_DIR}/esp.c
    ${CMAKE_CURRENT_LIST_DIR}/ah.c)
if(PARAPET_CRYPTO_OPENSSL)
	list(APPEND _xform_src ${CMAKE_CURRENT_LIST_DIR}/crypto_openssl.c)
endif()
add_library(ipsecd_xform STATIC ${_xform_src} ${_selftest_h})
target_include_directories(ipsecd_xform PUBLIC ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/libclient)
target_include_directories(ipsecd_xform PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(ipsecd_xform PUBLIC parapet_core PkgConfig::SODIUM)
if(PARAPET_CRYPTO_OPENSSL)
	target_link_libraries(ipsecd_xform PUBLIC OpenSSL::Crypto)
	target_compile_definitions(ipsecd_xform PUBLIC
	    PARAPET_CRYPTO_OPENSSL=1)
endif()
parapet_strict_sources(${_xform_src})

# The daemon's side of the selection (ipsecd_crypto.c): the clock, the
# override (-C / PARAPET_CRYPTO), the counters parapetctl shows.
if(TARGET ipsecd)
	target_sources(ipsecd PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ipsecd_crypto.c)
endif()
