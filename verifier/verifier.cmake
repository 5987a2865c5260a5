# Policy, storage and the transport-free attestation service.
file(GLOB VTPM_POLICY_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/policy/*.cc)
add_library(vtpm_verifier_core STATIC
  ${VTPM_POLICY_SOURCES}
  store/sqlite_store.cc
  service/hello_checks.cc
  service/prepared_ak_cache.cc
  service/attestation_service.cc
)
target_include_directories(vtpm_verifier_core PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_core PUBLIC
  vtpm_common vtpm_crypto vtpm_verifier_ek vtpm_verifier_quote
  vtpm_eventlog vtpm_bootstate SQLite::SQLite3 absl::time PkgConfig::RE2)

# The gRPC adapter and the server binary.
add_library(vtpm_verifier_grpc STATIC
  grpc/agent_service.cc
  grpc/server.cc
)
target_include_directories(vtpm_verifier_grpc PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_verifier_grpc PUBLIC vtpm_verifier_core gRPC::grpc++)

add_executable(vtpm-attest-verifier main.cc)
target_link_libraries(vtpm-attest-verifier PRIVATE vtpm_verifier_grpc
  Boost::program_options)
install(TARGETS vtpm-attest-verifier RUNTIME DESTINATION bin)
