# Adversarial tests of the conversation before proof of possession
# (docs/THREAT-MODEL.md): replayed public data, floods of unproven or
# oversized Hellos, unsigned evidence, guest text, claimed TPM facts.
add_library(vtpm_attack_util STATIC adversarial/attack_util.cc)
target_link_libraries(vtpm_attack_util PUBLIC vtpm_test_harness
  vtpm_verifier_store GTest::gtest)
vtpm_add_test(NAME adversarial_session_test
  SOURCES adversarial/session_attacks_test.cc fleet/fleet_fixture.cc
  LIBS vtpm_e2e_fixture vtpm_attack_util)
add_dependencies(adversarial_session_test vtpm-attest-agent
  vtpm-attest-verifier vtpm_attest_cli)
vtpm_add_test(NAME adversarial_inputs_test
  SOURCES adversarial/session_inputs_test.cc
  LIBS vtpm_e2e_fixture vtpm_attack_util)
vtpm_add_test(NAME adversarial_flood_test
  SOURCES adversarial/flood_test.cc fleet/fleet_fixture.cc
  LIBS vtpm_e2e_fixture vtpm_attack_util)
add_dependencies(adversarial_flood_test vtpm-attest-agent
  vtpm-attest-verifier)
