# policyd's per-socket policy endpoint (servers/policyd/sockpol.c): the
# request parser and the registry behind it. Seeds: tests/fuzz/corpus/
# fuzz_sockpol, written by tests/fuzz/gen_sockpol_seeds.py.
if(TARGET policyd_sockpol)
	parapet_fuzz(NAME fuzz_sockpol
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sockpol.c
	    LIBS policyd_sockpol)
endif()
