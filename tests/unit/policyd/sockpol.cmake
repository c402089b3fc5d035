# Per-socket policy: policyd's registry, parser, privilege rule, lookup,
# and netd's hook through decide() (DESIGN §10.21).
if(TARGET netd_sockpol)
	parapet_test(NAME test_sockpol SOURCES test_sockpol.c
	    LIBS netd_sockpol parapet_policy parapet_buscore LABELS unit)
endif()
