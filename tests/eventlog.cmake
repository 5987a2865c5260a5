# TCG event log parsing and replay (common/eventlog): the LogBuilder test
# utility, the tests, the libFuzzer target and the benchmark.

# Builds event logs for tests and extends swtpm PCRs to match them; linked
# by other parts' tests (end-to-end) too.
add_library(vtpm_eventlog_builder STATIC
  eventlog/log_builder.cc
  eventlog/log_edit.cc
  eventlog/realistic_log.cc
)
target_include_directories(vtpm_eventlog_builder PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_eventlog_builder PUBLIC
  vtpm_eventlog vtpm_tpm2tools vtpm_test_harness vtpm_common GTest::gtest)

vtpm_add_test(NAME eventlog_test
  SOURCES
    eventlog/tpm2_eventlog.cc
    eventlog/parse_test.cc
    eventlog/malformed_test.cc
    eventlog/replay_test.cc
    eventlog/ovmf_logs_test.cc
    eventlog/log_builder_test.cc
    eventlog/log_edit_test.cc
  LIBS vtpm_eventlog_builder vtpm_eventlog)

# Parse + replay + match of a ~40 KB log, and the verifier's per-attestation
# boot work (VerifyEventLog + EvaluatePolicy) on it and on the real shim
# log, against raw SHA-256 throughput.
if(VTPM_BUILD_BENCHMARKS)
  add_executable(eventlog_bench bench/eventlog_bench.cc)
  target_link_libraries(eventlog_bench PRIVATE
    vtpm_eventlog_builder vtpm_eventlog vtpm_verifier_core
    benchmark::benchmark)
  # Next to the other benchmarks (docs/PERFORMANCE.md).
  set_target_properties(eventlog_bench PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)
endif()

# Writes the LogBuilder-made seeds of tests/fuzz/corpus/fuzz_event_log.
add_executable(eventlog_make_seeds eventlog/make_seeds.cc)
target_link_libraries(eventlog_make_seeds PRIVATE vtpm_eventlog_builder)

# libFuzzer target (clang only): the library's sources compiled into it
# with coverage and sanitizers; vtpm_common stays uninstrumented.
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja \
#     -DVTPM_BUILD_FUZZERS=ON -DVTPM_BUILD_BENCHMARKS=OFF
#   ninja -C build-fuzz fuzz_event_log
#   build-fuzz/tests/fuzz_event_log -max_total_time=60 NEW_CORPUS_DIR \
#     tests/fuzz/corpus/fuzz_event_log
if(VTPM_BUILD_FUZZERS)
  get_target_property(_vtpm_el_srcs vtpm_eventlog SOURCES)
  get_target_property(_vtpm_el_dir vtpm_eventlog SOURCE_DIR)
  set(_vtpm_el_fuzz_srcs)
  foreach(src IN LISTS _vtpm_el_srcs)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${_vtpm_el_dir})
    list(APPEND _vtpm_el_fuzz_srcs ${src})
  endforeach()
  add_executable(fuzz_event_log
    ${PROJECT_SOURCE_DIR}/common/eventlog/fuzz_event_log.cc
    ${_vtpm_el_fuzz_srcs})
  target_include_directories(fuzz_event_log PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(fuzz_event_log PRIVATE vtpm_common)
  target_compile_options(fuzz_event_log PRIVATE
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  target_link_options(fuzz_event_log PRIVATE
    -fsanitize=fuzzer,address,undefined)
  # Regression: every file of the seed corpus (crash-* files included) runs
  # once and must not crash, leak, hang or break a contract.
  add_test(NAME fuzz_event_log_corpus
    COMMAND fuzz_event_log -runs=0 -timeout=25 -rss_limit_mb=4096
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/fuzz_event_log)
  set_tests_properties(fuzz_event_log_corpus PROPERTIES TIMEOUT 300
                       LABELS fuzz)
  # tests/fuzz.cmake (included after this file) creates vtpm_fuzzers.
  function(_vtpm_eventlog_join_fuzzers)
    if(TARGET vtpm_fuzzers)
      add_dependencies(vtpm_fuzzers fuzz_event_log)
    endif()
  endfunction()
  cmake_language(DEFER CALL _vtpm_eventlog_join_fuzzers)
endif()
