add_library(vtpm_e2e_fixture STATIC e2e/e2e_fixture.cc)
target_link_libraries(vtpm_e2e_fixture PUBLIC vtpm_test_harness
  vtpm_agent_core vtpm_verifier_grpc GTest::gtest GTest::gmock)
vtpm_add_test(NAME e2e_attestation_test
  SOURCES e2e/attestation_test.cc
  LIBS vtpm_e2e_fixture)
vtpm_add_test(NAME e2e_binaries_test
  SOURCES e2e/binaries_test.cc
  LIBS vtpm_e2e_fixture)
add_dependencies(e2e_binaries_test vtpm-attest-agent vtpm-attest-verifier vtpm_attest_cli)
vtpm_add_test(NAME e2e_boot_integrity_test
  SOURCES e2e/boot_integrity_test.cc
  LIBS vtpm_e2e_fixture vtpm_eventlog_builder)
