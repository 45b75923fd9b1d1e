# Project-wide helpers: one way to declare a library, a test, a benchmark.

set(AIRSSYS_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)

# airssys_add_library(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Declares target airssys_<name> (alias airssys::<name>) with public headers under
# <dir>/include and private ones beside the sources.
function(airssys_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(airssys_${name} ${ARG_SOURCES})
  add_library(airssys::${name} ALIAS airssys_${name})
  target_include_directories(airssys_${name}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(airssys_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(airssys_${name} PRIVATE ${AIRSSYS_WARNINGS})
endfunction()

# airssys_add_test(<name> SOURCES ... [DEPS ...] [LABELS ...] [AOT_TOO])
# A GoogleTest executable registered with ctest. Label "concurrent" marks suites that
# .ci/run also runs under ThreadSanitizer.
function(airssys_add_test name)
  if(NOT AIRSSYS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "AOT_TOO" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_options(${name} PRIVATE ${AIRSSYS_WARNINGS})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # gtest_discover_tests splits list-valued properties, so the labels travel as one word:
  # "rt-concurrent" (ctest -L takes a regex: -L concurrent and -L rt both select it).
  string(JOIN "-" labels ${ARG_LABELS})
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
  # AOT_TOO: the same tests once more with AIRSSYS_TEST_TIER=aot (named "aot/<test>"), for
  # suites whose helpers read it (wasm/component/tests/support.hpp): every component on native code.
  if(ARG_AOT_TOO)
    gtest_discover_tests(${name}
      TEST_PREFIX "aot/"
      PROPERTIES LABELS "${labels}-aot" TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "AIRSSYS_TEST_TIER=aot"
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# airssys_add_bench(<name> SOURCES ... [DEPS ...])
function(airssys_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_compile_options(${name} PRIVATE ${AIRSSYS_WARNINGS})
endfunction()

# Adds every immediate subfolder of the current source folder that has a CMakeLists.txt
# (one folder per benchmark program, per example).
function(airssys_add_subfolders)
  file(GLOB entries LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(dir ${entries})
    if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()
