# Durable state: the Store interface and its SQLite and PostgreSQL backends.
file(GLOB VTPM_STORE_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/store/*.cc)
add_library(vtpm_verifier_store STATIC ${VTPM_STORE_SOURCES})
target_include_directories(vtpm_verifier_store PUBLIC ${PROJECT_SOURCE_DIR})
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET GLOBAL libpq)
target_link_libraries(vtpm_verifier_store PUBLIC
  vtpm_common SQLite::SQLite3 PkgConfig::LIBPQ absl::time)

# Policies: parsing, rules, selection and the fleet-wide registry.
file(GLOB VTPM_POLICY_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/policy/*.cc)
add_library(vtpm_verifier_policy STATIC ${VTPM_POLICY_SOURCES})
target_include_directories(vtpm_verifier_policy PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_policy PUBLIC
  vtpm_common vtpm_eventlog vtpm_bootstate vtpm_verifier_store absl::time
  PkgConfig::RE2)

# The transport-free attestation service.
add_library(vtpm_verifier_core STATIC
  service/hello_checks.cc
  service/message_checks.cc
  service/peer_limiter.cc
  service/prepared_ak_cache.cc
  service/attestation_service.cc
  service/session_identity.cc
  service/session_verdict.cc
  service/round_scheduler.cc
  service/stream_registry.cc
  service/housekeeper.cc
  service/worker_pool.cc
  service/verdict_id.cc
)
target_include_directories(vtpm_verifier_core PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_core PUBLIC
  vtpm_common vtpm_crypto vtpm_verifier_ek vtpm_verifier_quote
  vtpm_eventlog vtpm_bootstate vtpm_verifier_store vtpm_verifier_policy
  absl::time PkgConfig::RE2)

# The gRPC adapter and the server binary.
add_library(vtpm_verifier_grpc STATIC
  grpc/agent_service.cc
  grpc/fleet_observer.cc
  grpc/server.cc
)
target_include_directories(vtpm_verifier_grpc PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_grpc PUBLIC vtpm_verifier_core
  vtpm_verifier_admin vtpm_verifier_metrics vtpm_verifier_notify
  gRPC::grpc++)

add_executable(vtpm-attest-verifier main.cc)
target_link_libraries(vtpm-attest-verifier PRIVATE vtpm_verifier_grpc
  Boost::program_options)
# tcmalloc (libgoogle-perftools-dev): gRPC and protobuf allocate per
# message; glibc malloc costs the verifier ~13% more CPU per attestation
# (docs/PERFORMANCE.md). Not linked into sanitizer builds.
find_library(VTPM_TCMALLOC tcmalloc_minimal)
if(VTPM_TCMALLOC AND NOT VTPM_SANITIZE)
  target_link_libraries(vtpm-attest-verifier PRIVATE ${VTPM_TCMALLOC})
endif()
install(TARGETS vtpm-attest-verifier RUNTIME DESTINATION bin)

# Prometheus metrics, the /metrics and /healthz endpoint (Boost.Beast,
# header-only) and the Store decorator that times every call.
add_library(vtpm_verifier_metrics STATIC
  metrics/metrics_registry.cc
  metrics/verifier_metrics.cc
  metrics/instrumented_store.cc
  metrics/http_server.cc
  metrics/metrics_http_server.cc
)
target_include_directories(vtpm_verifier_metrics PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_metrics PUBLIC
  vtpm_common Boost::headers Threads::Threads absl::time absl::strings)

# Signed webhook notifications of FAIL / STALE / RECOVERED (libcurl).
find_package(CURL REQUIRED)
add_library(vtpm_verifier_notify STATIC
  notify/webhook_event.cc
  notify/webhook_signature.cc
  notify/webhook_notifier.cc
)
target_include_directories(vtpm_verifier_notify PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_notify PUBLIC
  vtpm_common vtpm_verifier_metrics CURL::libcurl OpenSSL::Crypto
  Threads::Threads absl::time)

# The admin API (operator CLI backend): AdminCore, the verdict feed,
# authentication and the gRPC adapter.
file(GLOB VTPM_ADMIN_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/admin/*.cc)
add_library(vtpm_verifier_admin STATIC ${VTPM_ADMIN_SOURCES})
target_include_directories(vtpm_verifier_admin PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_admin PUBLIC
  vtpm_common vtpm_verifier_store vtpm_verifier_policy gRPC::grpc++
  OpenSSL::Crypto absl::time)
