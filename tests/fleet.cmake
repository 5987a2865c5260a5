vtpm_add_test(NAME fleet_identity_test
  SOURCES fleet/identity_rules_test.cc
  LIBS vtpm_e2e_fixture)
vtpm_add_test(NAME fleet_continuous_test
  SOURCES fleet/continuous_test.cc
  LIBS vtpm_e2e_fixture)
vtpm_add_test(NAME fleet_replicas_test
  SOURCES fleet/fleet_fixture.cc fleet/replicas_test.cc
  LIBS vtpm_e2e_fixture vtpm_verifier_metrics vtpm_verifier_notify
  POSTGRES)
add_dependencies(fleet_replicas_test vtpm-attest-agent vtpm-attest-verifier
  vtpm_attest_cli)
