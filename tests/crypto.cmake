# Tests of common/crypto (vtpm_crypto).
add_library(vtpm_crypto_test_tools STATIC crypto/credential_tools.cc)
target_link_libraries(vtpm_crypto_test_tools PUBLIC vtpm_crypto
                      vtpm_test_harness)

vtpm_add_test(NAME crypto_kdf_test
  SOURCES crypto/kdf_test.cc
  LIBS vtpm_crypto)

vtpm_add_test(NAME crypto_make_credential_input_test
  SOURCES crypto/make_credential_input_test.cc
  LIBS vtpm_crypto)

# Real swtpm + tpm2-tools.
vtpm_add_test(NAME crypto_make_credential_test
  SOURCES crypto/make_credential_test.cc
  LIBS vtpm_crypto vtpm_crypto_test_tools)
