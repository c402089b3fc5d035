# Crypto backends of ipsecd's transforms (DESIGN §10.23):
# libsodium always; OpenSSL libcrypto 3 (Debian libssl-dev) when
# PARAPET_CRYPTO_OPENSSL is on, which it is by default when libcrypto is
# found. Off gives the small, libsodium-only profile (AES-256-GCM where
# the CPU has AES, ChaCha20-Poly1305, NULL, HMAC-SHA-256/512).
#
# Included first of servers/ipsecd/*.cmake (sorted names), so xform.cmake
# sees the result. keyd (configured before ipsecd) gets the same macro on
# keyd_core, so REGISTER offers what ipsecd implements.
find_package(OpenSSL 3.0 COMPONENTS Crypto QUIET)
if(OPENSSL_FOUND)
	set(_ossl_default ON)
else()
	set(_ossl_default OFF)
endif()
option(PARAPET_CRYPTO_OPENSSL
    "OpenSSL libcrypto as a second crypto backend (RFC 8221 complete)"
    ${_ossl_default})
if(PARAPET_CRYPTO_OPENSSL AND NOT OPENSSL_FOUND)
	message(FATAL_ERROR "PARAPET_CRYPTO_OPENSSL: libcrypto >= 3.0 not "
	    "found (Debian: libssl-dev)")
endif()
if(PARAPET_CRYPTO_OPENSSL AND TARGET keyd_core)
	target_compile_definitions(keyd_core PUBLIC PARAPET_CRYPTO_OPENSSL=1)
endif()
if(PARAPET_CRYPTO_OPENSSL)
	message(STATUS "ipsecd crypto backends: libsodium, OpenSSL "
	    "${OPENSSL_VERSION}")
else()
	message(STATUS "ipsecd crypto backends: libsodium only")
endif()
