# keyd's bus contract with ipsecd end to end (test_keyd_bus.c): the keyd
# binary on a broker the test hosts, a fake ipsecd client, a PF_KEY key
# manager. Included by tests/e2e/CMakeLists.txt.
if(TARGET keyd AND TARGET parapet_bus)
	parapet_test(NAME test_keyd_bus
	    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_keyd_bus.c
		${CMAKE_SOURCE_DIR}/tests/unit/common/test_bus_harness.c
		${CMAKE_SOURCE_DIR}/tests/unit/common/test_bus_samples.c
	    LIBS keyd_core parapet_bus LABELS e2e TIMEOUT 60)
	target_include_directories(test_keyd_bus PRIVATE
	    ${CMAKE_SOURCE_DIR}/tests/unit/common)
	add_dependencies(test_keyd_bus keyd)
endif()
