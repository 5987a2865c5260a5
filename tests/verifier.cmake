vtpm_add_test(NAME verifier_core_test
  SOURCES verifier/policy_test.cc verifier/prepared_ak_cache_test.cc
    verifier/peer_limiter_test.cc verifier/hello_checks_test.cc
  LIBS vtpm_verifier_core)
