# The storage suite: every Store contract against SQLite and PostgreSQL,
# plus what is specific to each backend (migrations, restarts).
vtpm_add_test(NAME store_test
  SOURCES store/store_contract_test.cc store/store_test_util.cc
    store/sqlite_store_test.cc store/postgres_store_test.cc
    store/store_timing_test.cc store/verdict_committer_test.cc
  LIBS vtpm_verifier_store
  POSTGRES)
