# One interface target carries the project's warning and sanitizer flags; every target links it PRIVATE.
add_library(payments_warnings INTERFACE)
add_library(payments::warnings ALIAS payments_warnings)
target_compile_options(payments_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # designated initializers leave defaulted members out on purpose
  -Wno-mismatched-new-delete       # GCC 12 false positive on Asio coroutine frames (custom operator new/delete)
  $<$<BOOL:${PAYMENTS_WERROR}>:-Werror>)

if(PAYMENTS_SANITIZE)
  # vptr checks need RTTI of SOCI's internal classes, which libsoci does not export.
  target_compile_options(payments_warnings INTERFACE -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=undefined)
  target_link_options(payments_warnings INTERFACE -fsanitize=address,undefined -fno-sanitize=vptr)
endif()

if(PAYMENTS_TSAN)
  if(PAYMENTS_SANITIZE OR PAYMENTS_FUZZ)
    message(FATAL_ERROR "PAYMENTS_TSAN cannot be combined with PAYMENTS_SANITIZE or PAYMENTS_FUZZ (ThreadSanitizer "
                        "excludes AddressSanitizer); use a build dir of its own (make build-tsan)")
  endif()
  target_compile_options(payments_warnings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(payments_warnings INTERFACE -fsanitize=thread)
endif()

# The fuzz tier (tests/fuzz, `make fuzz`): libFuzzer ships with clang only. Every library is instrumented for
# coverage and checked by ASan and UBSan (fuzzer-no-link: no libFuzzer main in them); the fuzz targets add
# -fsanitize=fuzzer at link time (tests/fuzz/CMakeLists.txt).
if(PAYMENTS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PAYMENTS_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ in a "
                        "build dir of its own (make fuzz uses build-fuzz/)")
  endif()
  if(PAYMENTS_SANITIZE)
    message(FATAL_ERROR "PAYMENTS_FUZZ already turns on ASan and UBSan; leave PAYMENTS_SANITIZE off")
  endif()
  # vptr checks need RTTI of classes that Debian's C++ libraries (SOCI, librdkafka++) do not export. clang 14's
  # `function` check cannot compile coroutines ("Cannot represent a difference across sections").
  target_compile_options(payments_warnings INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                     -fno-sanitize=vptr,function -fno-sanitize-recover=undefined
                                                     -fno-omit-frame-pointer
                                                     -fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/cmake/fuzz-sanitizer-ignorelist.txt)
  target_link_options(payments_warnings INTERFACE -fsanitize=address,undefined -fno-sanitize=vptr,function)
  # The project's own assertions stay armed (no NDEBUG), Boost's are off as in the shipped build: Beast 1.81
  # asserts wrongly in parse_chunk_header on a chunked body split across reads (boostorg/beast#2861, fixed
  # in Boost 1.86; the code after the assertion handles it).
  target_compile_definitions(payments_warnings INTERFACE BOOST_DISABLE_ASSERTS)
endif()
