# Admin API (verifier/admin, policy registry) and the admin subcommands of
# the vtpm-attest CLI, over loopback TLS against a real SQLite store.
vtpm_add_test(NAME admin_test
  SOURCES admin/admin_fixture.cc admin/admin_service_test.cc
          admin/admin_cli_test.cc admin/terminal_output_test.cc
  LIBS vtpm_verifier_admin)
# The CLI tests run the built binary.
add_dependencies(admin_test vtpm_attest_cli)

# EscapeForTerminal and the CLI's JSON, XML and table output built on it.
vtpm_add_test(NAME admin_text_escape_test
  SOURCES admin/text_escape_test.cc
  LIBS vtpm_cli_commands)
