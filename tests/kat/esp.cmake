# ESP/AH transforms against published vectors (tests/vectors, and the
# RFC 3602/3686/2202/3566 copies in tests/kat), once per crypto backend:
# the draft-mcgrew AES-GCM/GMAC ESP cases and the RFC 7634 ESP example
# byte for byte through esp_encap()/esp_decap(), the RFC 8439 AEAD cases,
# the RFC 4231/4868/2202/3566 MACs, AES-CBC and AES-CTR. gen_kat.py turns
# the JSONL files into a C header at build time.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_kat_esp_h ${CMAKE_CURRENT_BINARY_DIR}/kat_esp_vectors.h)
set(_kat_esp_vec
    ${CMAKE_SOURCE_DIR}/tests/vectors/esp_aes_gcm_gmac_draft_mcgrew_gcm_test_01.jsonl
    ${CMAKE_SOURCE_DIR}/tests/vectors/esp_chacha20poly1305_rfc7634.jsonl
    ${CMAKE_SOURCE_DIR}/tests/vectors/aead_chacha20poly1305_rfc8439.jsonl
    ${CMAKE_SOURCE_DIR}/tests/vectors/hmac_sha2_rfc4231.jsonl
    ${CMAKE_SOURCE_DIR}/tests/vectors/hmac_sha2_ipsec_rfc4868.jsonl
    ${CMAKE_CURRENT_SOURCE_DIR}/cipher_rfc3602_rfc3686.jsonl
    ${CMAKE_CURRENT_SOURCE_DIR}/mac_rfc2202_rfc3566.jsonl)
add_custom_command(OUTPUT ${_kat_esp_h}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/gen_kat.py
        ${CMAKE_SOURCE_DIR}/tests/vectors ${_kat_esp_h}
        ${CMAKE_CURRENT_SOURCE_DIR}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gen_kat.py ${_kat_esp_vec}
    COMMENT "gen_kat.py: ESP/AEAD/HMAC vectors -> kat_esp_vectors.h")
parapet_test(NAME test_kat_esp
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_kat_esp.c ${_kat_esp_h}
    LIBS ipsecd_xform LABELS kat)
target_include_directories(test_kat_esp PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
