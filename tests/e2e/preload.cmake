# The PF_KEY preload library (libclient/preload.cmake) end to end: a C
# program written for a kernel PF_KEY socket, and python3's socket.AF_KEY,
# each run with LD_PRELOAD=libparapet_pfkey.so against a keyd the test
# starts itself (without the preload). See DESIGN §10.15.
if(TARGET keyd AND TARGET parapet_pfkey AND EXISTS /usr/include/linux/pfkeyv2.h)
	set(_pk_env
	    "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin"
	    "PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}"
	    "LD_PRELOAD=$<TARGET_FILE:parapet_pfkey>")
	if(ENABLE_ASAN)
		# The instrumented library comes before libasan in the list.
		list(APPEND _pk_env "ASAN_OPTIONS=verify_asan_link_order=0")
	endif()
	parapet_test(NAME test_preload_pfkey
	    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/preload/test_preload_pfkey.c
	    LABELS e2e TIMEOUT 120)
	add_dependencies(test_preload_pfkey keyd parapet_pfkey)
	set_tests_properties(test_preload_pfkey PROPERTIES
	    ENVIRONMENT "${_pk_env}")
	# python3's socket.AF_KEY: a program that knows nothing of Parapet.
	# Not under the sanitizers: the instrumented library would need
	# their runtimes preloaded into an uninstrumented interpreter.
	find_program(PARAPET_PYTHON3 python3)
	if(PARAPET_PYTHON3 AND NOT PARAPET_SAN_FLAGS)
		add_test(NAME test_preload_python COMMAND ${PARAPET_PYTHON3}
		    ${CMAKE_CURRENT_SOURCE_DIR}/preload/test_preload.py)
		set_tests_properties(test_preload_python PROPERTIES
		    LABELS e2e TIMEOUT 60 ENVIRONMENT "${_pk_env}")
	endif()
endif()
