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
