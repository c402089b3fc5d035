# Compiler flags and helper functions shared by every directory.

set(PARAPET_WARNINGS
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wpointer-arith -Wcast-qual -Wformat=2 -Wvla)
if(PARAPET_WERROR)
	list(APPEND PARAPET_WARNINGS -Werror)
endif()
# Extra warnings for parsers and crypto (STYLE.md section 11); applied per
# source file with parapet_strict_sources().
set(PARAPET_STRICT_WARNINGS -Wconversion -Wsign-conversion)

add_compile_definitions(_GNU_SOURCE)
add_compile_options(${PARAPET_WARNINGS} -fstack-protector-strong)
# _FORTIFY_SOURCE needs optimisation; glibc warns (and -Werror fails) at -O0.
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
	add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
endif()
add_link_options(-Wl,-z,relro -Wl,-z,now -pie)

set(PARAPET_SAN_FLAGS "")
if(ENABLE_ASAN)
	list(APPEND PARAPET_SAN_FLAGS -fsanitize=address)
endif()
if(ENABLE_UBSAN)
	list(APPEND PARAPET_SAN_FLAGS -fsanitize=undefined
	    -fno-sanitize-recover=undefined)
endif()
if(ENABLE_TSAN)
	list(APPEND PARAPET_SAN_FLAGS -fsanitize=thread)
endif()
# With libFuzzer, instrument the libraries a target links too, or the
# fuzzer sees no coverage from the parsers it is meant to explore.
if(ENABLE_FUZZING)
	add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(PARAPET_SAN_FLAGS)
	add_compile_options(${PARAPET_SAN_FLAGS} -fno-omit-frame-pointer)
	add_link_options(${PARAPET_SAN_FLAGS})
endif()

# Source properties are scoped to the directory that creates the target, so
# call this from the CMakeLists.txt (or an included fragment) of the
# directory whose add_library()/add_executable() lists the files.
function(parapet_strict_sources)
	set_source_files_properties(${ARGN}
	    PROPERTIES COMPILE_OPTIONS "${PARAPET_STRICT_WARNINGS}")
endfunction()

# parapet_test(NAME name SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s]
#              [ARGS ...] [ROOT])
# One executable per test, run in its own process under ctest.
# ROOT tests need root and network namespaces; they are skipped (not
# registered) when PARAPET_ROOT_TESTS is off.
function(parapet_test)
	cmake_parse_arguments(T "ROOT" "NAME;TIMEOUT"
	    "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
	if(T_ROOT AND NOT PARAPET_ROOT_TESTS)
		return()
	endif()
	add_executable(${T_NAME} ${T_SOURCES})
	set_target_properties(${T_NAME} PROPERTIES
	    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
	target_include_directories(${T_NAME} PRIVATE
	    ${CMAKE_SOURCE_DIR}/tests/lib)
	add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 120)
	endif()
	set(labels ${T_LABELS})
	if(T_ROOT)
		list(APPEND labels root)
	endif()
	set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT}
	    LABELS "${labels}"
	    ENVIRONMENT "PARAPET_BINDIR=${CMAKE_BINARY_DIR}/bin;PARAPET_SRCDIR=${CMAKE_SOURCE_DIR}")
endfunction()

# parapet_fuzz(NAME name SOURCES ... LIBS ...)
# The source defines LLVMFuzzerTestOneInput(). With ENABLE_FUZZING it is a
# libFuzzer binary; always, it is also linked with the deterministic driver
# (tests/fuzz/driver.c) and run by ctest over tests/fuzz/corpus/<name>:
# every seed, then its bit flips, byte flips and truncations, and the
# tokens of tests/fuzz/<name>.dict (if it exists) written over and into
# it. libFuzzer runs take the same file: -dict=tests/fuzz/<name>.dict.
function(parapet_fuzz)
	cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
	add_executable(${F_NAME}_pass ${F_SOURCES}
	    ${CMAKE_SOURCE_DIR}/tests/fuzz/driver.c)
	set_target_properties(${F_NAME}_pass PROPERTIES
	    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	target_link_libraries(${F_NAME}_pass PRIVATE ${F_LIBS})
	# A dictionary, if there is one: tests/fuzz/<name>.dict.
	set(_dict ${CMAKE_SOURCE_DIR}/tests/fuzz/${F_NAME}.dict)
	if(NOT EXISTS ${_dict})
		set(_dict "")
	endif()
	add_test(NAME ${F_NAME} COMMAND ${F_NAME}_pass
	    ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${F_NAME} ${_dict})
	set_tests_properties(${F_NAME} PROPERTIES TIMEOUT 300 LABELS "fuzz")
	if(ENABLE_FUZZING)
		add_executable(${F_NAME} ${F_SOURCES})
		target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
		target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
	endif()
endfunction()
