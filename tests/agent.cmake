vtpm_add_test(NAME agent_platform_test
  SOURCES agent/linux_platform_test.cc
  LIBS vtpm_agent_platform)
