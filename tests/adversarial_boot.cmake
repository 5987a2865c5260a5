# Adversarial tests of the boot rules (issue 9): a guest-root attacker
# edits the unmeasured parts of real OVMF event logs (event types, data,
# names, GRUB prefixes, position across PCRs) and extends PCRs after boot.
# Offline through the shipped `vtpm-attest policy check` where no TPM is
# needed; end to end through the real agent, swtpm and verifier otherwise.
add_library(vtpm_adversarial_boot_support STATIC
  adversarial/boot_attack_logs.cc)
target_include_directories(vtpm_adversarial_boot_support PUBLIC
  ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_adversarial_boot_support PUBLIC
  vtpm_eventlog_builder vtpm_test_harness GTest::gtest)

vtpm_add_test(NAME adversarial_boot_cli_test
  SOURCES adversarial/boot_cli_test.cc
  LIBS vtpm_adversarial_boot_support vtpm_verifier_policy PkgConfig::RE2)
# The test runs the vtpm-attest binary.
add_dependencies(adversarial_boot_cli_test vtpm_attest_cli)

vtpm_add_test(NAME adversarial_boot_e2e_test
  SOURCES adversarial/boot_e2e_test.cc
  LIBS vtpm_adversarial_boot_support vtpm_e2e_fixture)
