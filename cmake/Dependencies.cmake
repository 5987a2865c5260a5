# Every third-party dependency comes from a Debian 12 package
# (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET
  tss2-esys tss2-mu tss2-rc tss2-tctildr)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
if(VTPM_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(VTPM_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
