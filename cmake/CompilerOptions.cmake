# Warnings and sanitizers for every target in the project.
add_compile_options(-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(VTPM_WERROR)
  add_compile_options(-Werror)
endif()
if(VTPM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # Default suppressions and options, compiled into every executable.
  add_library(vtpm_sanitizer_defaults OBJECT
    ${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.cc)
  link_libraries(vtpm_sanitizer_defaults)
endif()
