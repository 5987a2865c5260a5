# libFuzzer targets for the parsers the verifier exposes to agent input
# (tests/fuzz/README.md). Built only with -DVTPM_BUILD_FUZZERS=ON and clang:
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja \
#     -DVTPM_BUILD_FUZZERS=ON -DVTPM_BUILD_BENCHMARKS=OFF
#   ninja -C build-fuzz vtpm_fuzzers
if(VTPM_BUILD_FUZZERS)
  set(VTPM_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
  set(VTPM_FUZZ_SANITIZERS address,undefined)

  # The verifier-side libraries again, compiled with coverage and sanitizers
  # (the project's own copies stay uninstrumented for the other targets).
  # Their sources and outside dependencies are read from the real targets,
  # so files added there are fuzzed without touching this file.
  set(_vtpm_fuzz_libs vtpm_common vtpm_crypto vtpm_tpm2tools
      vtpm_verifier_ek vtpm_verifier_quote vtpm_verifier_core)
  set(_vtpm_fuzz_srcs)
  set(_vtpm_fuzz_deps)
  foreach(lib IN LISTS _vtpm_fuzz_libs)
    get_target_property(_srcs ${lib} SOURCES)
    get_target_property(_dir ${lib} SOURCE_DIR)
    foreach(src IN LISTS _srcs)
      cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${_dir})
      list(APPEND _vtpm_fuzz_srcs ${src})
    endforeach()
    get_target_property(_deps ${lib} LINK_LIBRARIES)
    if(_deps)
      list(APPEND _vtpm_fuzz_deps ${_deps})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES _vtpm_fuzz_deps)
  list(REMOVE_ITEM _vtpm_fuzz_deps ${_vtpm_fuzz_libs})

  # Support code shared by the fuzzers and fuzz_make_seeds.
  set(_vtpm_fuzz_support
    fuzz/conversation.cc
    fuzz/deterministic_rand.cc
    fuzz/fixed_ak.cc
    fuzz/quote_input.cc
    fuzz/scoped_store.cc
  )

  add_library(vtpm_fuzz_instrumented STATIC
    ${_vtpm_fuzz_srcs} ${_vtpm_fuzz_support})
  target_include_directories(vtpm_fuzz_instrumented PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(vtpm_fuzz_instrumented PUBLIC ${_vtpm_fuzz_deps})
  target_compile_options(vtpm_fuzz_instrumented PRIVATE
    -fsanitize=fuzzer-no-link,${VTPM_FUZZ_SANITIZERS}
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

  set(VTPM_FUZZERS fuzz_quote fuzz_pcr_file fuzz_public fuzz_session
      fuzz_policy fuzz_conversation)
  add_custom_target(vtpm_fuzzers)
  foreach(fuzzer IN LISTS VTPM_FUZZERS)
    add_executable(${fuzzer} fuzz/${fuzzer}.cc)
    target_link_libraries(${fuzzer} PRIVATE vtpm_fuzz_instrumented)
    target_compile_options(${fuzzer} PRIVATE
      -fsanitize=fuzzer,${VTPM_FUZZ_SANITIZERS}
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${fuzzer} PRIVATE
      -fsanitize=fuzzer,${VTPM_FUZZ_SANITIZERS})
    add_dependencies(vtpm_fuzzers ${fuzzer})
    # Regression: every file of the seed corpus (crash-* files included)
    # runs once and must not crash, leak or hang.
    set(_corpora ${VTPM_FUZZ_DIR}/corpus/${fuzzer})
    if(fuzzer STREQUAL "fuzz_policy")
      list(APPEND _corpora ${PROJECT_SOURCE_DIR}/policies)
    endif()
    add_test(NAME ${fuzzer}_corpus
      COMMAND ${fuzzer} -runs=0 -timeout=25 -rss_limit_mb=4096 ${_corpora})
    set_tests_properties(${fuzzer}_corpus PROPERTIES TIMEOUT 300 LABELS fuzz)
  endforeach()
  target_compile_definitions(fuzz_session PRIVATE
    VTPM_FUZZ_DATA_DIR="${VTPM_FUZZ_DIR}/data")
  # The structure-aware conversation: a software TPM keeps the EK,
  # activation and quote valid around the fuzzed event log.
  target_sources(fuzz_conversation PRIVATE
    ${PROJECT_SOURCE_DIR}/tests/load/soft_tpm.cc)
  target_compile_definitions(fuzz_conversation PRIVATE
    VTPM_FUZZ_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # The real-log seeds must still pass every check (else fuzzing loses
  # depth without anyone noticing).
  file(GLOB _conversation_seeds ${VTPM_FUZZ_DIR}/corpus/fuzz_conversation/seed-*)
  add_test(NAME fuzz_conversation_seeds_pass
    COMMAND fuzz_conversation ${_conversation_seeds})
  set_tests_properties(fuzz_conversation_seeds_pass PROPERTIES
    ENVIRONMENT VTPM_FUZZ_EXPECT_PASS=1 TIMEOUT 300 LABELS fuzz)

  # The recorded seeds must still reach the end of the verifier's checks
  # (else fuzzing silently loses depth): every seed conversation ends in
  # PASS verdicts, and the validly signed seed quotes pass all 11 checks.
  file(GLOB _session_seeds ${VTPM_FUZZ_DIR}/corpus/fuzz_session/seed-*)
  add_test(NAME fuzz_session_seeds_pass COMMAND fuzz_session ${_session_seeds})
  set_tests_properties(fuzz_session_seeds_pass PROPERTIES
    ENVIRONMENT VTPM_FUZZ_VERBOSE=1 LABELS fuzz TIMEOUT 120
    PASS_REGULAR_EXPRESSION "RESULT_PASS"
    FAIL_REGULAR_EXPRESSION "RESULT_FAIL;RESULT_ERROR;ERROR: ")
  file(GLOB _quote_seeds ${VTPM_FUZZ_DIR}/corpus/fuzz_quote/seed-*-valid*
       ${VTPM_FUZZ_DIR}/corpus/fuzz_quote/seed-*-resign*)
  add_test(NAME fuzz_quote_seeds_pass COMMAND fuzz_quote ${_quote_seeds})
  set_tests_properties(fuzz_quote_seeds_pass PROPERTIES
    ENVIRONMENT VTPM_FUZZ_VERBOSE=1 LABELS fuzz TIMEOUT 120
    PASS_REGULAR_EXPRESSION "11 checks ran: OK"
    FAIL_REGULAR_EXPRESSION "checks ran: ([^O]|O[^K]);ERROR: ")

  # Writes the seed corpora and fuzz_session's trust store from a real
  # swtpm run (not instrumented; see fuzz/make_seeds.cc).
  add_executable(fuzz_make_seeds fuzz/make_seeds.cc ${_vtpm_fuzz_support})
  target_link_libraries(fuzz_make_seeds PRIVATE
    vtpm_agent_core vtpm_verifier_core vtpm_test_harness)
endif()
