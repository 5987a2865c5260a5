#include "verifier/grpc/agent_service.h"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::VerifierMessage;
using Clock = std::chrono::steady_clock;

class AgentReactor;

// The part of a stream that outlives its reactor: timers, the registry and
// attest-now requests hold it by (weak) pointer and find out under `mu`
// whether the reactor is still there.
class StreamCore : public AgentStream,
                   public std::enable_shared_from_this<StreamCore> {
 public:
  StreamCore(AgentReactor* reactor) : reactor_(reactor) {}
  void AttestNow() override;
  void Close() override;

  std::mutex mu;
  AgentReactor* reactor_;  // null once the reactor is done
};

class AgentReactor final
    : public grpc::ServerBidiReactor<AgentMessage, VerifierMessage> {
 public:
  AgentReactor(AgentServiceImpl* owner, AttestationService* service,
               StreamRegistry* registry, std::chrono::seconds answer_timeout,
               grpc::CallbackServerContext* context)
      : owner_(owner),
        registry_(registry),
        answer_timeout_(answer_timeout),
        service_(service),
        session_(service->NewSession(context->peer())),
        core_(std::make_shared<StreamCore>(this)) {
    session_->DeferVerdictCommits();
    registry_->Add(core_);
    if (owner_->shutting_down()) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "verifier is shutting down"));
      finished_ = true;
      return;
    }
    // Admission (limits on unproven streams per peer) before anything is
    // read: a peer over its limits gets its RATE_LIMITED verdict and the
    // stream ends without its Hello being read.
    session_->Start(&out_);
    if (session_->done()) {
      for (auto& m : out_) Enqueue(std::move(m));
      finish_after_writes_ = true;
      MaybeFinishLocked();
      return;
    }
    StartRead(&in_);
    ArmAnswerTimer();
  }

  void OnReadDone(bool ok) override {
    // The message is judged on a worker thread, off gRPC's polling
    // threads. The reactor may be finished meanwhile (cancellation); the
    // task then finds reactor_ null and does nothing.
    auto task = [core = core_, service = service_, ok] {
      std::shared_ptr<AgentStream> replaced;
      std::optional<UncommittedVerdict> verdict;
      {
        std::lock_guard<std::mutex> lock(core->mu);
        if (core->reactor_ == nullptr) return;
        replaced = core->reactor_->HandleReadLocked(ok, &verdict);
      }
      // The same agent reconnected; its old stream is dead weight. Closed
      // outside our lock: closing takes the other stream's lock.
      if (replaced != nullptr) replaced->Close();
      // Stored (batched with other streams' verdicts), then sent.
      if (verdict.has_value()) {
        std::weak_ptr<StreamCore> weak = core;
        service->Commit(*std::move(verdict), [weak](VerifierMessage m) {
          auto core = weak.lock();
          if (core == nullptr) return;
          std::lock_guard<std::mutex> lock(core->mu);
          if (core->reactor_ != nullptr) {
            core->reactor_->OnCommittedLocked(std::move(m));
          }
        });
      }
    };
    if (owner_->inline_work()) {
      task();
    } else {
      owner_->workers().Submit(std::move(task));
    }
  }

  // Judges the message just read. A verdict to store comes back in
  // `verdict`; it is sent by OnCommittedLocked once stored.
  std::shared_ptr<AgentStream> HandleReadLocked(
      bool ok, std::optional<UncommittedVerdict>* verdict) {
    std::shared_ptr<AgentStream> replaced;
    if (finished_) return replaced;
    if (!ok) {
      // The agent closed its side or the connection broke.
      finish_after_writes_ = true;
      MaybeFinishLocked();
      return replaced;
    }
    out_.clear();
    session_->OnMessage(in_, &out_);
    for (auto& m : out_) Enqueue(std::move(m));
    *verdict = session_->TakeUncommittedVerdict();
    if (verdict->has_value()) ++commits_in_flight_;
    ++generation_;  // the agent answered: its answer timer is moot
    if (session_->done()) {
      finish_after_writes_ = true;
      MaybeFinishLocked();
      return replaced;
    }
    // Only a peer that proved it holds the TPM may displace the EK's
    // other stream (and be asked for attest-now).
    if (!bound_ && session_->daemon() && session_->proven()) {
      bound_ = true;
      fingerprint_ = session_->ek_fingerprint();
      replaced = registry_->Bind(fingerprint_, core_);
    }
    if (session_->WantsNextRound()) {
      ScheduleRound(Clock::now() + session_->NextRoundDelay());
    } else {
      ArmAnswerTimer();
    }
    if (verdict->has_value()) {
      // The next read starts with the verdict's write: gRPC then sends its
      // flow-control update in the same TLS record instead of its own.
      read_after_commit_ = true;
    } else {
      StartRead(&in_);
    }
    return replaced;
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    writing_ = false;
    if (!ok) {
      if (!finished_) FinishLocked(grpc::Status::OK);
      return;
    }
    if (!queue_.empty()) queue_.pop_front();
    if (!queue_.empty()) {
      writing_ = true;
      StartWrite(&queue_.front());
      return;
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (!finished_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->reactor_ = nullptr;
    }
    if (bound_) registry_->Unbind(fingerprint_, core_.get());
    registry_->Remove(core_.get());
    delete this;
  }

  // Called with core_->mu held when a verdict of this stream is stored.
  void OnCommittedLocked(VerifierMessage m) {
    --commits_in_flight_;
    if (!finished_) {
      Enqueue(std::move(m));
      if (read_after_commit_) {
        read_after_commit_ = false;
        StartRead(&in_);
      }
    }
    MaybeFinishLocked();
  }

  // Called with core_->mu held, from timers and the registry.
  void StartRoundLocked() {
    if (finished_ || !session_->WantsNextRound()) return;
    ++generation_;
    Enqueue(session_->NextRound());
    ArmAnswerTimer();
  }

  void CloseLocked(grpc::Status status) {
    if (finished_) return;
    // Drop what is not yet being written; the front may be in flight.
    while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
    if (writing_) {
      // The write in flight completes (or fails) first.
      finish_after_writes_ = true;
      finish_status_ = std::move(status);
      return;
    }
    FinishLocked(std::move(status));
  }

  // Called with core_->mu held by the answer timer.
  void AnswerTimeoutLocked(uint64_t generation) {
    if (finished_ || generation != generation_) return;
    CloseLocked(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                             "the agent did not answer in time"));
  }

 private:
  void Enqueue(VerifierMessage m) {
    queue_.push_back(std::move(m));
    if (!writing_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
  }

  void MaybeFinishLocked() {
    if (finish_after_writes_ && !writing_ && commits_in_flight_ == 0 &&
        !finished_) {
      FinishLocked(finish_status_);
    }
  }

  void FinishLocked(grpc::Status status) {
    finished_ = true;
    Finish(std::move(status));
  }

  void ScheduleRound(Clock::time_point when) {
    uint64_t generation = ++generation_;
    std::weak_ptr<StreamCore> weak = core_;
    owner_->scheduler().Schedule(when, [weak, generation] {
      auto core = weak.lock();
      if (core == nullptr) return;
      std::lock_guard<std::mutex> lock(core->mu);
      if (core->reactor_ == nullptr) return;
      if (core->reactor_->generation_ != generation) return;
      core->reactor_->StartRoundLocked();
    });
  }

  // Ends the stream if the agent leaves the verifier's last message
  // unanswered for answer_timeout_.
  void ArmAnswerTimer() {
    uint64_t generation = generation_;
    std::weak_ptr<StreamCore> weak = core_;
    owner_->scheduler().Schedule(
        Clock::now() + answer_timeout_, [weak, generation] {
          auto core = weak.lock();
          if (core == nullptr) return;
          std::lock_guard<std::mutex> lock(core->mu);
          if (core->reactor_ == nullptr) return;
          core->reactor_->AnswerTimeoutLocked(generation);
        });
  }

  AgentServiceImpl* owner_;
  StreamRegistry* registry_;
  std::chrono::seconds answer_timeout_;
  AttestationService* service_;
  std::unique_ptr<AttestationSession> session_;
  std::shared_ptr<StreamCore> core_;
  AgentMessage in_;
  std::vector<VerifierMessage> out_;
  std::deque<VerifierMessage> queue_;  // front() is being written
  bool writing_ = false;
  // Verdicts handed to AttestationService::Commit and not yet sent; the
  // stream does not finish on its own before they are.
  int commits_in_flight_ = 0;
  // The read of the agent's next message waits for the verdict's write.
  bool read_after_commit_ = false;
  bool finished_ = false;
  bool finish_after_writes_ = false;
  grpc::Status finish_status_ = grpc::Status::OK;
  bool bound_ = false;
  std::string fingerprint_;
  // Bumped whenever the conversation moves; a timer armed for an older
  // generation does nothing.
  uint64_t generation_ = 0;
};

void StreamCore::AttestNow() {
  std::lock_guard<std::mutex> lock(mu);
  if (reactor_ != nullptr) reactor_->StartRoundLocked();
}

void StreamCore::Close() {
  std::lock_guard<std::mutex> lock(mu);
  if (reactor_ != nullptr) {
    reactor_->CloseLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                       "stream closed by the verifier"));
  }
}

}  // namespace

AgentServiceImpl::AgentServiceImpl(AttestationService* service,
                                   StreamRegistry* registry,
                                   AgentServiceOptions options)
    : service_(service),
      registry_(registry),
      options_(options),
      workers_(options.workers > 0   ? options.workers
               : options.workers < 0 ? 1
                                     : WorkerPool::DefaultThreads()) {}

AgentServiceImpl::~AgentServiceImpl() = default;

grpc::ServerBidiReactor<AgentMessage, VerifierMessage>*
AgentServiceImpl::Attest(grpc::CallbackServerContext* context) {
  return new AgentReactor(this, service_, registry_, options_.answer_timeout,
                          context);
}

void AgentServiceImpl::BeginShutdown() {
  shutting_down_ = true;
  registry_->CloseAll();
}

}  // namespace vtpm::verifier
