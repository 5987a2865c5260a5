# Adversarial end to end for the EK chain: weak certificate chains built
# around a real swtpm's EK, through the real agent and the in-process
# verifier (tests/e2e/e2e_fixture.h).
vtpm_add_test(NAME adversarial_ek_test
  SOURCES adversarial/ek_weak_chain_test.cc
  LIBS vtpm_e2e_fixture)
