# EK certificate verification (verifier/ek) against real swtpm EK certs.
vtpm_add_test(NAME verifier_ek_test
  SOURCES
    verifier_ek/ek_fixture.cc
    verifier_ek/ek_certificate_test.cc
    verifier_ek/ek_weak_algorithm_test.cc
    verifier_ek/ek_public_check_test.cc
    verifier_ek/trust_store_test.cc
  LIBS vtpm_verifier_ek)
