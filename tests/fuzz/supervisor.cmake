# The supervisor's configuration parser (servers/supervisor/config.c).
parapet_fuzz(NAME fuzz_config SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.c LIBS parapet_supervisor_core)
