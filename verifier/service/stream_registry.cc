#include "verifier/service/stream_registry.h"

namespace vtpm::verifier {

void StreamRegistry::Add(const std::shared_ptr<AgentStream>& stream) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_[stream.get()] = stream;
}

void StreamRegistry::Remove(AgentStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.erase(stream);
}

std::shared_ptr<AgentStream> StreamRegistry::Bind(
    const std::string& ek_fingerprint, const std::shared_ptr<AgentStream>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = by_ek_[ek_fingerprint];
  std::shared_ptr<AgentStream> old = slot.lock();
  slot = s;
  return old.get() == s.get() ? nullptr : old;
}

void StreamRegistry::Unbind(const std::string& ek_fingerprint,
                            AgentStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_ek_.find(ek_fingerprint);
  if (it == by_ek_.end()) return;
  auto current = it->second.lock();
  if (current == nullptr || current.get() == stream) by_ek_.erase(it);
}

bool StreamRegistry::AttestNow(const std::string& ek_fingerprint) {
  std::shared_ptr<AgentStream> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_ek_.find(ek_fingerprint);
    if (it != by_ek_.end()) s = it->second.lock();
  }
  if (s == nullptr) return false;
  s->AttestNow();
  return true;
}

void StreamRegistry::CloseAll() {
  std::vector<std::shared_ptr<AgentStream>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [_, weak] : streams_) {
      if (auto s = weak.lock()) all.push_back(std::move(s));
    }
  }
  for (auto& s : all) s->Close();
}

size_t StreamRegistry::streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.size();
}

size_t StreamRegistry::agents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_ek_.size();
}

}  // namespace vtpm::verifier
