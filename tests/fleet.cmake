vtpm_add_test(NAME fleet_identity_test
  SOURCES fleet/identity_rules_test.cc
  LIBS vtpm_e2e_fixture)
vtpm_add_test(NAME fleet_continuous_test
  SOURCES fleet/continuous_test.cc
  LIBS vtpm_e2e_fixture)
