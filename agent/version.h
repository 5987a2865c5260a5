// The agent's version string, sent in Hello.
#ifndef VTPM_AGENT_VERSION_H_
#define VTPM_AGENT_VERSION_H_

namespace vtpm::agent {
inline constexpr char kAgentVersion[] = "0.1.0";
}  // namespace vtpm::agent

#endif  // VTPM_AGENT_VERSION_H_
