# Load testing: a software TPM identity (tests/load/soft_tpm.*) and the
# vtpm-attest-loadgen binary that drives the real vtpm-attest-verifier with
# thousands of simulated agents (see tests/load/README.md).

add_library(vtpm_load_soft_tpm STATIC load/soft_tpm.cc)
target_include_directories(vtpm_load_soft_tpm PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_load_soft_tpm PUBLIC vtpm_common vtpm_crypto
  OpenSSL::Crypto PkgConfig::TSS2)

vtpm_add_test(NAME load_soft_tpm_test
  SOURCES load/soft_tpm_test.cc
  LIBS vtpm_load_soft_tpm vtpm_verifier_quote vtpm_verifier_ek vtpm_tpm2tools
       vtpm_crypto)

# The load generator. Built into the build tree's tests/load/ directory.
add_executable(vtpm-attest-loadgen
  load/loadgen.cc
  load/fleet.cc
  load/histogram.cc
  load/proc_stats.cc
  load/report.cc
  load/db_stats.cc
  load/verifier_process.cc
  load/reference_rate.cc
)
target_link_libraries(vtpm-attest-loadgen PRIVATE vtpm_load_soft_tpm
  vtpm_test_harness vtpm_common gRPC::grpc++ Boost::program_options)
set_target_properties(vtpm-attest-loadgen PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/load)

add_dependencies(vtpm-attest-loadgen vtpm-attest-verifier)

# Smoke run against the verifier of this build. Exits non-zero on any
# non-PASS verdict.
add_test(NAME load_smoke
  COMMAND vtpm-attest-loadgen --agents 50 --duration 3
          --verifier-bin $<TARGET_FILE:vtpm-attest-verifier>)
set_tests_properties(load_smoke PROPERTIES TIMEOUT 60)
