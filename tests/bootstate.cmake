# Boot state extraction (common/bootstate): EFI structure decoders, the
# Windows Boot Configuration Log, quirks and ExtractBootState on the real
# OVMF logs, the `vtpm-attest eventlog show` CLI, and the libFuzzer target.

add_library(vtpm_bootstate_test_support STATIC
  bootstate/efi_builders.cc
  bootstate/test_logs.cc
)
target_include_directories(vtpm_bootstate_test_support PUBLIC
  ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_bootstate_test_support PUBLIC
  vtpm_bootstate vtpm_eventlog vtpm_test_harness GTest::gtest)

vtpm_add_test(NAME bootstate_decoders_test
  SOURCES bootstate/decoders_test.cc bootstate/wbcl_test.cc
  LIBS vtpm_bootstate vtpm_bootstate_test_support)

vtpm_add_test(NAME bootstate_test
  SOURCES bootstate/boot_state_test.cc bootstate/quirks_test.cc
    bootstate/constructed_logs_test.cc bootstate/crosscheck_test.cc
    bootstate/digest_basis_test.cc bootstate/repeated_test.cc
  LIBS vtpm_bootstate vtpm_bootstate_test_support vtpm_eventlog_builder)

vtpm_add_test(NAME bootstate_cli_test
  SOURCES bootstate/eventlog_cli_test.cc
  LIBS vtpm_bootstate_test_support vtpm_eventlog_builder)
# The test runs the vtpm-attest binary.
add_dependencies(bootstate_cli_test vtpm_attest_cli)

# Writes the constructed seeds of tests/fuzz/corpus/fuzz_boot_state.
add_executable(bootstate_make_seeds bootstate/make_seeds.cc)
target_link_libraries(bootstate_make_seeds PRIVATE
  vtpm_bootstate_test_support vtpm_eventlog_builder)

# libFuzzer target (clang only): ExtractBootState on arbitrary logs, with
# the eventlog and bootstate sources compiled into it with coverage and
# sanitizers; vtpm_common stays uninstrumented.
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja \
#     -DVTPM_BUILD_FUZZERS=ON -DVTPM_BUILD_BENCHMARKS=OFF
#   ninja -C build-fuzz fuzz_boot_state
#   build-fuzz/tests/fuzz_boot_state -max_total_time=60 NEW_CORPUS_DIR \
#     tests/fuzz/corpus/fuzz_boot_state
if(VTPM_BUILD_FUZZERS)
  set(_vtpm_bs_fuzz_srcs)
  foreach(lib vtpm_eventlog vtpm_bootstate)
    get_target_property(_srcs ${lib} SOURCES)
    get_target_property(_dir ${lib} SOURCE_DIR)
    foreach(src IN LISTS _srcs)
      cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${_dir})
      list(APPEND _vtpm_bs_fuzz_srcs ${src})
    endforeach()
  endforeach()
  add_executable(fuzz_boot_state
    ${PROJECT_SOURCE_DIR}/common/bootstate/fuzz_boot_state.cc
    ${_vtpm_bs_fuzz_srcs})
  target_include_directories(fuzz_boot_state PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(fuzz_boot_state PRIVATE vtpm_common)
  target_compile_options(fuzz_boot_state PRIVATE
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  target_link_options(fuzz_boot_state PRIVATE
    -fsanitize=fuzzer,address,undefined)
  # Regression: every file of the seed corpus (crash-* files included) runs
  # once and must not crash, leak, hang or break a contract.
  add_test(NAME fuzz_boot_state_corpus
    COMMAND fuzz_boot_state -runs=0 -timeout=25 -rss_limit_mb=4096
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/fuzz_boot_state)
  set_tests_properties(fuzz_boot_state_corpus PROPERTIES TIMEOUT 300
                       LABELS fuzz)
  # tests/fuzz.cmake (included after this file) creates vtpm_fuzzers.
  function(_vtpm_bootstate_join_fuzzers)
    if(TARGET vtpm_fuzzers)
      add_dependencies(vtpm_fuzzers fuzz_boot_state)
    endif()
  endfunction()
  cmake_language(DEFER CALL _vtpm_bootstate_join_fuzzers)
endif()
