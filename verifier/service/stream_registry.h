// The agent streams this verifier process holds, so that work arriving
// from elsewhere (an operator's attest-now, shutdown) reaches them.
// Transport-free: the gRPC adapter registers its streams here.
#ifndef VTPM_VERIFIER_SERVICE_STREAM_REGISTRY_H_
#define VTPM_VERIFIER_SERVICE_STREAM_REGISTRY_H_

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace vtpm::verifier {

// What the registry can ask of a stream. Implementations are thread-safe.
class AgentStream {
 public:
  virtual ~AgentStream() = default;
  // Starts a quote round now if the stream is between rounds; otherwise
  // does nothing (a round is already running).
  virtual void AttestNow() = 0;
  // Ends the stream (the agent reconnects, possibly to another replica).
  virtual void Close() = 0;
};

class StreamRegistry {
 public:
  // Every open stream, from its start to its end.
  void Add(const std::shared_ptr<AgentStream>& stream);
  void Remove(AgentStream* stream);

  // Binds an accepted daemon agent to its EK fingerprint (replacing an
  // older stream of the same EK, which is returned so the caller can close
  // it) and unbinds it.
  std::shared_ptr<AgentStream> Bind(const std::string& ek_fingerprint,
                                    const std::shared_ptr<AgentStream>& s);
  void Unbind(const std::string& ek_fingerprint, AgentStream* stream);

  // Asks the stream of this EK, if connected here, to attest now. Returns
  // whether one was.
  bool AttestNow(const std::string& ek_fingerprint);

  // Closes every stream (shutdown).
  void CloseAll();

  size_t streams() const;
  size_t agents() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<AgentStream*, std::weak_ptr<AgentStream>> streams_;
  std::unordered_map<std::string, std::weak_ptr<AgentStream>> by_ek_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_STREAM_REGISTRY_H_
