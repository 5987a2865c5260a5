# Webhooks: signed deliveries to a real HTTP receiver on loopback.
vtpm_add_test(NAME notify_test
  SOURCES notify/webhook_test.cc
  LIBS vtpm_verifier_notify vtpm_verifier_metrics)
