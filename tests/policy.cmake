# Policy language: validation, rules, learning, the event-log path shared
# with the verifier, shipped policies, and `vtpm-attest policy`.
vtpm_add_test(NAME policy_language_test
  SOURCES policy/boot_state_data.cc policy/rules_test.cc
    policy/accounting_rules_test.cc
    policy/validate_test.cc policy/learn_test.cc
    policy/firmware_version_test.cc policy/pcr_text_test.cc
    policy/shipped_policies_test.cc
  LIBS vtpm_verifier_core)

vtpm_add_test(NAME policy_evidence_test
  SOURCES policy/boot_state_data.cc policy/evidence_test.cc
  LIBS vtpm_verifier_core)

vtpm_add_test(NAME policy_cli_test
  SOURCES policy/cli_test.cc
  LIBS vtpm_verifier_core)
add_dependencies(policy_cli_test vtpm_attest_cli)

vtpm_add_test(NAME policy_learn_store_test
  SOURCES policy/learn_from_store_test.cc
  LIBS vtpm_cli_commands vtpm_verifier_store)
