# Per-socket policy for programs (libclient/sockpol.c, DESIGN §10.21):
# setsockopt(IP_IPSEC_POLICY / IPV6_IPSEC_POLICY) carried to policyd's
# RUNDIR/sockpol.sock. libc only: a static library for programs and
# tests, and part of the preload library (libparapet_pfkey.so), whose
# interposers call it. Included by libclient/CMakeLists.txt (glob, after
# preload.cmake).
add_library(parapet_sockpol STATIC sockpol.c)
target_include_directories(parapet_sockpol PUBLIC
    ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/common)
find_package(Threads REQUIRED)
target_link_libraries(parapet_sockpol PUBLIC Threads::Threads)
parapet_strict_sources(sockpol.c)
if(TARGET parapet_pfkey)
	target_sources(parapet_pfkey PRIVATE sockpol.c)
endif()
