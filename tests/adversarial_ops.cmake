# Adversarial tests of the operator-facing surfaces: the metrics port under
# slowloris (against the shipped verifier binary) and guest-chosen text on
# its way to the operator's terminal (real agent, verifier and CLI).
vtpm_add_test(NAME adversarial_metrics_slowloris_test
  SOURCES adversarial/metrics_slowloris_test.cc
  LIBS vtpm_e2e_fixture vtpm_test_slow_client)
add_dependencies(adversarial_metrics_slowloris_test vtpm-attest-verifier)

vtpm_add_test(NAME adversarial_terminal_escape_test
  SOURCES adversarial/terminal_escape_test.cc
  LIBS vtpm_e2e_fixture vtpm_eventlog_builder)
add_dependencies(adversarial_terminal_escape_test vtpm_attest_cli)
