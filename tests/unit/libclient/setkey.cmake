# setkey(8): the configuration parser (text -> PF_KEY bytes, every error)
# and the dump formats (PF_KEY -> setkey's text). See DESIGN §10.14.
if(TARGET parapet_setkey)
	parapet_test(NAME test_setkey_parse
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_setkey_parse.c
	    LIBS parapet_setkey LABELS unit)
	parapet_test(NAME test_setkey_dump
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_setkey_dump.c
	    LIBS parapet_setkey LABELS unit)
endif()
