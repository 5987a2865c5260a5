# Metrics: the Prometheus client, the /metrics and /healthz endpoint over
# real HTTP, and InstrumentedStore around a real SQLite store.
find_package(CURL REQUIRED)
add_library(vtpm_test_scrape STATIC metrics/scrape.cc)
target_include_directories(vtpm_test_scrape PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_test_scrape PUBLIC CURL::libcurl absl::status
  absl::statusor absl::strings)

vtpm_add_test(NAME metrics_test
  SOURCES metrics/metrics_test.cc
  LIBS vtpm_verifier_metrics vtpm_test_scrape)

vtpm_add_test(NAME metrics_store_test
  SOURCES metrics/instrumented_store_test.cc
  LIBS vtpm_verifier_metrics vtpm_verifier_store vtpm_test_scrape)

# Attacks on the HTTP endpoint over real loopback TCP (slow_client.h);
# also used by tests/adversarial_ops.cmake.
add_library(vtpm_test_slow_client STATIC metrics/slow_client.cc)
target_include_directories(vtpm_test_slow_client PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_test_slow_client PUBLIC absl::status
  absl::statusor absl::strings absl::time Threads::Threads)

vtpm_add_test(NAME metrics_http_limits_test
  SOURCES metrics/http_limits_test.cc
  LIBS vtpm_verifier_metrics vtpm_test_slow_client)
