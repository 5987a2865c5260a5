#include "tests/load/fleet.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::load {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::AgentService;
using vtpm_attest::v1::VerifierMessage;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kMinBackoff(200);
constexpr std::chrono::milliseconds kMaxBackoff(10000);

std::string Truncate(absl::string_view s, size_t n) {
  return s.size() <= n ? std::string(s) : absl::StrCat(s.substr(0, n), "...");
}

double MicrosSince(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

}  // namespace

// --- Identities --------------------------------------------------------------

absl::StatusOr<std::vector<AgentIdentity>> MakeIdentities(
    const SoftEkCa& ca, int count, int threads, uint64_t run_id,
    uint64_t image_seed, const std::map<std::string, std::string>& labels) {
  std::vector<AgentIdentity> out(count);
  std::mutex mu;
  absl::Status first_error;
  auto work = [&](int t) {
    for (int i = t; i < count; i += threads) {
      SoftTpmOptions o;
      o.image_seed = image_seed;
      o.machine_seed = run_id ^ (static_cast<uint64_t>(i) << 32);
      o.ek_cert_cn = absl::StrFormat("vtpm-load-%016x-%d", run_id, i);
      o.ek_cert_serial = static_cast<uint64_t>(i) + 1;
      auto tpm = SoftTpm::Create(ca, o);
      if (!tpm.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = tpm.status();
        return;
      }
      AgentIdentity& id = out[i];
      id.tpm = std::move(*tpm);
      vtpm_attest::v1::Hello& h = id.hello;
      h.set_agent_version("vtpm-attest-loadgen");
      h.set_mode(vtpm_attest::v1::Hello::MODE_DAEMON);
      auto* host = h.mutable_host();
      host->set_os("linux");
      host->set_os_version("6.1.0-loadgen");
      host->set_hostname(absl::StrFormat("load-agent-%06d", i));
      host->set_vm_uuid(absl::StrFormat(
          "%08x-%04x-4%03x-%04x-%012x", static_cast<uint32_t>(i),
          (run_id >> 48) & 0xffff, (run_id >> 36) & 0xfff,
          0x8000 | ((run_id >> 22) & 0x3fff), run_id & 0xffffffffffffULL));
      host->set_machine_id(
          absl::StrFormat("%016x%016x", run_id, static_cast<uint64_t>(i)));
      auto* tpm_facts = h.mutable_tpm();
      tpm_facts->set_family("2.0");
      tpm_facts->set_level(0);
      tpm_facts->set_revision(164);
      tpm_facts->set_manufacturer("IBM");
      tpm_facts->set_vendor("SW   TPM");
      tpm_facts->set_firmware_version_1(0x20200320);
      tpm_facts->set_firmware_version_2(0);
      tpm_facts->set_interface(vtpm_attest::v1::TPM_INTERFACE_EMULATOR);
      tpm_facts->add_pcr_banks(vtpm_attest::v1::HASH_ALGORITHM_SHA256);
      auto* ek = h.mutable_ek();
      ek->set_public_area(id.tpm->ek_public());
      ek->set_certificate(id.tpm->ek_cert_der());
      ek->set_certificate_nv_index(0x01c0000a);  // low-range ECC P-256 cert
      auto* ak = h.mutable_ak();
      ak->set_public_area(id.tpm->ak_public());
      ak->set_name(id.tpm->ak_name());
      for (const auto& [k, v] : labels) (*h.mutable_labels())[k] = v;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  if (!first_error.ok()) return first_error;
  return out;
}

// --- Agent and Stream --------------------------------------------------------

class Fleet::Agent {
 public:
  Agent(Fleet* fleet, int index, AgentIdentity id,
        std::shared_ptr<grpc::Channel> channel)
      : fleet_(fleet),
        index_(index),
        id_(std::move(id)),
        stub_(AgentService::NewStub(channel)) {}

  // Starts a new stream unless the fleet is stopping.
  void Connect();
  // Cancels the current stream, if any.
  void Cancel() {
    std::shared_ptr<grpc::ClientContext> ctx;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ctx = current_;
    }
    if (ctx) ctx->TryCancel();
  }
  void StreamEnded(bool passed_on_stream);
  void Passed();

  Fleet* fleet_;
  int index_;
  AgentIdentity id_;
  std::unique_ptr<AgentService::Stub> stub_;

  std::mutex mu_;
  std::shared_ptr<grpc::ClientContext> current_;
  bool enrolled_ = false;
  bool started_ = false;
  Clock::time_point first_start_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
};

class Fleet::Stream
    : public grpc::ClientBidiReactor<AgentMessage, VerifierMessage> {
 public:
  Stream(Agent* agent, std::shared_ptr<grpc::ClientContext> ctx)
      : agent_(agent), ctx_(std::move(ctx)) {
    agent_->stub_->async()->Attest(ctx_.get(), this);
    AgentMessage hello;
    *hello.mutable_hello() = agent_->id_.hello;
    Send(std::move(hello));
    StartRead(&in_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    Handle();
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(write_mu_);
    queue_.pop_front();
    if (!ok) {
      queue_.clear();
      writing_ = false;
      return;
    }
    if (queue_.empty()) {
      writing_ = false;
    } else {
      StartWrite(&queue_.front());
    }
  }

  void OnDone(const grpc::Status& status) override {
    Fleet* fleet = agent_->fleet_;
    fleet->open_streams_.fetch_sub(1);
    fleet->streams_ended_.fetch_add(1);
    if (!fleet->stopping_.load()) {
      fleet->NoteStreamEnd(
          status.ok() ? "OK (verifier closed the stream)"
                      : absl::StrCat("code ", status.error_code(), ": ",
                                     Truncate(status.error_message(), 100)));
    }
    agent_->StreamEnded(passed_);
    delete this;
  }

 private:
  void Send(AgentMessage msg) {
    std::lock_guard<std::mutex> lock(write_mu_);
    queue_.push_back(std::move(msg));
    if (!writing_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
  }

  void SendError(const absl::Status& status) {
    agent_->fleet_->agent_errors_.fetch_add(1);
    agent_->fleet_->NoteFailure(absl::StrCat("local soft TPM error: ",
                                             Truncate(status.message(), 120)));
    AgentMessage msg;
    msg.mutable_error()->set_code(vtpm_attest::v1::AGENT_ERROR);
    msg.mutable_error()->set_message(std::string(status.message()));
    Send(std::move(msg));
  }

  void Handle() {
    Fleet* fleet = agent_->fleet_;
    SoftTpm& tpm = *agent_->id_.tpm;
    switch (in_.msg_case()) {
      case VerifierMessage::kCredentialChallenge: {
        fleet->challenges_.fetch_add(1);
        const auto& c = in_.credential_challenge();
        auto secret =
            tpm.ActivateCredential(c.credential_blob(), c.encrypted_secret());
        if (!secret.ok()) return SendError(secret.status());
        AgentMessage msg;
        msg.mutable_activation_answer()->set_secret(std::move(*secret));
        Send(std::move(msg));
        return;
      }
      case VerifierMessage::kQuoteRequest: {
        fleet->quote_requests_.fetch_add(1);
        auto response = tpm.Answer(in_.quote_request());
        if (!response.ok()) return SendError(response.status());
        AgentMessage msg;
        *msg.mutable_quote_response() = std::move(*response);
        quote_sent_at_ = Clock::now();
        quote_pending_ = true;
        Send(std::move(msg));
        return;
      }
      case VerifierMessage::kVerdict: {
        const auto& v = in_.verdict();
        if (quote_pending_) {
          fleet->verdict_latency_[fleet->phase_.load()]->Record(
              MicrosSince(quote_sent_at_));
          quote_pending_ = false;
        }
        if (v.result() == vtpm_attest::v1::RESULT_PASS) {
          fleet->verdicts_pass_.fetch_add(1);
          passed_ = true;
          agent_->Passed();
        } else {
          fleet->verdicts_other_.fetch_add(1);
          std::string what = vtpm_attest::v1::Result_Name(v.result());
          for (const auto& r : v.reasons()) {
            absl::StrAppend(&what, " ",
                            vtpm_attest::v1::ReasonCode_Name(r.code()), ": ",
                            Truncate(r.message(), 120));
          }
          fleet->NoteFailure(what);
        }
        return;
      }
      default:
        fleet->NoteFailure("verifier sent an empty VerifierMessage");
        return;
    }
  }

  Agent* agent_;
  std::shared_ptr<grpc::ClientContext> ctx_;
  VerifierMessage in_;
  std::mutex write_mu_;
  std::deque<AgentMessage> queue_;  // front is being written
  bool writing_ = false;
  bool quote_pending_ = false;
  bool passed_ = false;
  Clock::time_point quote_sent_at_;
};

void Fleet::Agent::Connect() {
  if (fleet_->stopping_.load()) return;
  auto ctx = std::make_shared<grpc::ClientContext>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_) return;  // already connected
    current_ = ctx;
    if (!started_) {
      started_ = true;
      first_start_ = Clock::now();
    }
  }
  fleet_->streams_started_.fetch_add(1);
  fleet_->open_streams_.fetch_add(1);
  new Stream(this, std::move(ctx));  // deletes itself in OnDone
}

void Fleet::Agent::Passed() {
  std::lock_guard<std::mutex> lock(mu_);
  backoff_ = kMinBackoff;
  if (!enrolled_) {
    enrolled_ = true;
    fleet_->enrolled_.fetch_add(1);
    fleet_->enrollment_latency_.Record(MicrosSince(first_start_));
  }
}

void Fleet::Agent::StreamEnded(bool passed_on_stream) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_.reset();
    delay = backoff_;
    if (!passed_on_stream) backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }
  if (!fleet_->stopping_.load()) fleet_->ScheduleReconnect(this, delay);
}

// --- Fleet -------------------------------------------------------------------

Fleet::Fleet(FleetOptions options, std::vector<AgentIdentity> identities)
    : options_(std::move(options)) {
  for (auto& h : verdict_latency_) h = std::make_unique<LatencyHistogram>();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options_.tls_ca_pem;
  auto creds = grpc::SslCredentials(ssl);
  const int per = std::max(1, options_.streams_per_connection);
  std::shared_ptr<grpc::Channel> channel;
  for (size_t i = 0; i < identities.size(); ++i) {
    if (i % per == 0) {
      grpc::ChannelArguments args;
      // A private subchannel: one TCP connection per channel.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetSslTargetNameOverride(options_.tls_server_name);
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
      // As the real agent's channel (agent/client.cc).
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      channel = grpc::CreateCustomChannel(options_.target, creds, args);
    }
    agents_.push_back(std::make_unique<Agent>(
        this, static_cast<int>(i), std::move(identities[i]), channel));
  }
  timer_thread_ = std::thread([this] { TimerLoop(); });
}

Fleet::~Fleet() {
  Stop(std::chrono::milliseconds(10000));
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    quit_ = true;
    timers_.clear();
  }
  timer_cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
}

void Fleet::Start() {
  auto t0 = Clock::now();
  for (size_t i = 0; i < agents_.size(); ++i) {
    if (stopping_.load()) return;
    if (options_.connect_rate > 0) {
      auto due =
          t0 + std::chrono::duration_cast<Clock::duration>(
                   std::chrono::duration<double>(i / options_.connect_rate));
      std::this_thread::sleep_until(due);
    }
    agents_[i]->Connect();
  }
}

uint64_t Fleet::Stop(std::chrono::milliseconds timeout) {
  stopping_.store(true);
  timer_cv_.notify_all();
  for (auto& a : agents_) a->Cancel();
  auto deadline = Clock::now() + timeout;
  while (open_streams_.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return open_streams_.load();
}

void Fleet::ScheduleReconnect(Agent* agent, std::chrono::milliseconds delay) {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    timers_.emplace(Clock::now() + delay, agent);
  }
  timer_cv_.notify_all();
}

void Fleet::TimerLoop() {
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!quit_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    auto first = timers_.begin();
    if (first->first > Clock::now()) {
      timer_cv_.wait_until(lock, first->first);
      continue;
    }
    Agent* agent = first->second;
    timers_.erase(first);
    lock.unlock();
    agent->Connect();  // a no-op once stopping
    lock.lock();
  }
}

void Fleet::NoteFailure(const std::string& what) {
  std::lock_guard<std::mutex> lock(failures_mu_);
  ++failures_[what];
}

void Fleet::NoteStreamEnd(const std::string& what) {
  std::lock_guard<std::mutex> lock(failures_mu_);
  ++stream_ends_[what];
}

std::map<std::string, uint64_t> Fleet::failures() const {
  std::lock_guard<std::mutex> lock(failures_mu_);
  return failures_;
}

std::map<std::string, uint64_t> Fleet::stream_end_statuses() const {
  std::lock_guard<std::mutex> lock(failures_mu_);
  return stream_ends_;
}

FleetCounters Fleet::counters() const {
  FleetCounters c;
  c.streams_started = streams_started_.load();
  c.streams_ended = streams_ended_.load();
  c.open_streams = open_streams_.load();
  c.challenges = challenges_.load();
  c.quote_requests = quote_requests_.load();
  c.verdicts_pass = verdicts_pass_.load();
  c.verdicts_other = verdicts_other_.load();
  c.enrolled = enrolled_.load();
  c.agent_errors = agent_errors_.load();
  return c;
}

}  // namespace vtpm::load
