# geoplex_warnings(target): the project's warning set; -Werror with GEOPLEX_WERROR.
function(geoplex_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(GEOPLEX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# geoplex_component(NAME name SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Defines the library geoplex_<name>, exported as geoplex::<name>, with an in-tree alias.
function(geoplex_component)
  cmake_parse_arguments(C "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(t geoplex_${C_NAME})
  add_library(${t} ${C_SOURCES})
  add_library(geoplex::${C_NAME} ALIAS ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${C_NAME} OUTPUT_NAME geoplex_${C_NAME})
  target_include_directories(${t} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(${t} PUBLIC cxx_std_20)
  target_link_libraries(${t} PUBLIC ${C_PUBLIC_DEPS} PRIVATE ${C_PRIVATE_DEPS})
  geoplex_warnings(${t})
  install(TARGETS ${t} EXPORT geoplexTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# geoplex_test(NAME name [DATA] SOURCES ... DEPS ...): a Catch2 executable registered with
# CTest. DATA marks tests that read ../shared/data through GEOPLEX_TEST_DATA.
function(geoplex_test)
  cmake_parse_arguments(T "DATA" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  if(T_DATA)
    target_link_libraries(${T_NAME} PRIVATE geoplex_test_main_data ${T_DEPS})
  else()
    target_link_libraries(${T_NAME} PRIVATE geoplex_test_main ${T_DEPS})
  endif()
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  geoplex_warnings(${T_NAME})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" SKIP_RETURN_CODE 77
    ENVIRONMENT "GEOPLEX_SOURCE_DIR=${PROJECT_SOURCE_DIR};GEOPLEX_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
