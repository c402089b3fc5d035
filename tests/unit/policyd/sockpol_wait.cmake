# Replies held until netd has applied a change (servers/policyd/sockpol.h,
# struct sockpol_wait; docs/DESIGN.md §10.21).
if(TARGET policyd_sockpol)
	parapet_test(NAME test_sockpol_wait SOURCES test_sockpol_wait.c
	    LIBS policyd_sockpol LABELS unit)
endif()
