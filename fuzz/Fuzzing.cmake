# Included by the top-level CMakeLists.txt. Builds the libFuzzer targets in fuzz/ with clang
# (ExternalProject, into build/fuzz) when clang can link -fsanitize=fuzzer here (Debian:
# clang and libfuzzer-14-dev), and registers a short bounded fuzz run as the test fuzz_short.
find_program(WEFT_CLANGXX NAMES clang++ clang++-14)
set(WEFT_FUZZ OFF)
if(WEFT_CLANGXX)
  set(probe ${CMAKE_BINARY_DIR}/fuzz_probe.cc)
  file(WRITE ${probe} "#include <cstddef>\n#include <cstdint>\nextern \"C\" int "
                      "LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
  execute_process(COMMAND ${WEFT_CLANGXX} -fsanitize=fuzzer ${probe} -o ${probe}.bin
                  RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(probe_rc EQUAL 0)
    set(WEFT_FUZZ ON)
  endif()
endif()

if(WEFT_FUZZ)
  include(ExternalProject)
  ExternalProject_Add(weft_fuzz
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/fuzz
    BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
    CMAKE_ARGS -DCMAKE_CXX_COMPILER=${WEFT_CLANGXX}
               -DCMAKE_BUILD_TYPE=RelWithDebInfo
               -DWEFT_SOURCE_DIR=${PROJECT_SOURCE_DIR}
               -DWEFT_PROTO_LIB=$<TARGET_FILE:weft_proto>
               -DWEFT_PROTO_INCLUDE=${CMAKE_BINARY_DIR}/proto/gen
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    DEPENDS weft_proto)
  add_test(NAME fuzz_short COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run_fuzzers.sh
                                   ${CMAKE_BINARY_DIR}/fuzz 10)
  set_tests_properties(fuzz_short PROPERTIES TIMEOUT 180)
else()
  message(STATUS "fuzz: clang with libFuzzer not found; fuzz targets are not built")
endif()
