# The agent's TPM layer (agent/tpm) against real swtpm instances, with
# tpm2-tools and OpenSSL as second opinions.
vtpm_add_test(NAME agent_tpm_test
  SOURCES
    agent_tpm/context_test.cc
    agent_tpm/ek_test.cc
    agent_tpm/ak_test.cc
    agent_tpm/quote_test.cc
    agent_tpm/pieces_test.cc
  LIBS vtpm_agent_tpm)
