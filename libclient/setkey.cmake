# setkey(8) (policyd issue, item 6): parapet_setkey is the pure part (the
# configuration parser, setkey_parse.c with setkey_lex.c and
# setkey_names.c, and the dump formats, setkey_dump.c) for the tool, its
# tests and its fuzzer; setkey is the tool itself, talking PF_KEY v2 to
# keyd's socket. See DESIGN §10.14.
if(TARGET keyd_core)
	add_library(parapet_setkey STATIC setkey/setkey_parse.c
	    setkey/setkey_lex.c setkey/setkey_names.c setkey/setkey_dump.c)
	target_include_directories(parapet_setkey PUBLIC
	    ${CMAKE_CURRENT_SOURCE_DIR}/setkey)
	target_link_libraries(parapet_setkey PUBLIC keyd_core parapet_policy)
	parapet_strict_sources(setkey/setkey_parse.c setkey/setkey_lex.c
	    setkey/setkey_names.c setkey/setkey_dump.c)

	add_executable(setkey setkey/setkey.c)
	target_link_libraries(setkey PRIVATE parapet_setkey)
	parapet_strict_sources(setkey/setkey.c)
endif()
