# libparapet_pfkey.so: the LD_PRELOAD library that makes unmodified
# PF_KEY programs talk to keyd (DESIGN §10.15). A shared library
# in build/lib, position independent, linked with libc (and libdl) only.
add_library(parapet_pfkey SHARED preload/pfkey_preload.c)
set_target_properties(parapet_pfkey PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib
    POSITION_INDEPENDENT_CODE ON)
target_include_directories(parapet_pfkey PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/preload
    ${CMAKE_SOURCE_DIR}/common)
target_link_libraries(parapet_pfkey PRIVATE ${CMAKE_DL_LIBS})
target_link_options(parapet_pfkey PRIVATE -Wl,-z,defs)
# The project links executables with -pie; a shared object must not be.
get_target_property(_pk_lo parapet_pfkey LINK_OPTIONS)
if(_pk_lo)
	list(REMOVE_ITEM _pk_lo -pie)
	set_target_properties(parapet_pfkey PROPERTIES LINK_OPTIONS "${_pk_lo}")
endif()
