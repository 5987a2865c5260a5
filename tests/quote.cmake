# Quote verification, tpm2-tools PCR files, the vtpm-attest verify-quote
# CLI, and the quote verification benchmark.

# Real-TPM fixtures (swtpm + tpm2-tools) and the software AK for tests
# and the benchmark.
add_library(vtpm_quote_test_support STATIC
  quote/quote_tpm.cc
  quote/soft_ak.cc
)
target_link_libraries(vtpm_quote_test_support PUBLIC
  vtpm_test_harness vtpm_verifier_quote vtpm_tpm2tools vtpm_common)

vtpm_add_test(NAME quote_pcr_file_test
  SOURCES quote/pcr_file_test.cc
  LIBS vtpm_quote_test_support vtpm_tpm2tools)

vtpm_add_test(NAME quote_verifier_test
  SOURCES quote/quote_verifier_test.cc
  LIBS vtpm_quote_test_support vtpm_verifier_quote)

vtpm_add_test(NAME quote_nonce_store_test
  SOURCES quote/nonce_store_test.cc
  LIBS vtpm_verifier_quote)

vtpm_add_test(NAME quote_cli_test
  SOURCES quote/verify_quote_cli_test.cc
  LIBS vtpm_quote_test_support)
# The test runs the vtpm-attest binary.
add_dependencies(quote_cli_test vtpm_attest_cli)

if(VTPM_BUILD_BENCHMARKS)
  add_subdirectory(bench)
endif()
