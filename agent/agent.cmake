# The transport-free attestor, the gRPC client and the binary.
add_library(vtpm_agent_core STATIC
  attestor.cc
  backoff.cc
  client.cc
)
target_include_directories(vtpm_agent_core PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(vtpm_agent_core PUBLIC
  vtpm_agent_tpm vtpm_agent_platform vtpm_common gRPC::grpc++)

add_executable(vtpm-attest-agent main.cc)
target_link_libraries(vtpm-attest-agent PRIVATE vtpm_agent_core vtpm_tpm2tools
  Boost::program_options)
install(TARGETS vtpm-attest-agent RUNTIME DESTINATION bin)
