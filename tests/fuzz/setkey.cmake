# setkey(8): the configuration parser, with the dumps of what it builds.
# Seeds are setkey files; the dictionary is tests/fuzz/fuzz_setkey_parse.dict
# (parapet_fuzz() passes it to the deterministic pass; libFuzzer: -dict=).
if(TARGET parapet_setkey)
	parapet_fuzz(NAME fuzz_setkey_parse
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_setkey_parse.c
	    LIBS parapet_setkey)
endif()
