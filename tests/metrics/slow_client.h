// Test helpers for attacks on an HTTP endpoint over real loopback TCP:
// clients bound to a chosen source address (Linux routes all of 127/8
// over lo, so 127.0.0.2 is "another host"), a plain HTTP/1.1 client that
// times its requests, and Slowloris: many connections that send a request
// head slowly or never finish it.
#ifndef VTPM_TESTS_METRICS_SLOW_CLIENT_H_
#define VTPM_TESTS_METRICS_SLOW_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vtpm::testing {

// A TCP connection from `source` (an IPv4 literal; port chosen by the
// kernel) to `host`:`port` (IPv4 literal). Returns the blocking socket;
// the caller closes it. Unavailable when bind or connect fails.
absl::StatusOr<int> ConnectFrom(const std::string& source,
                                const std::string& host, int port);

// Sends all of `data` on `fd` (MSG_NOSIGNAL). False if the peer is gone.
bool SendAll(int fd, const std::string& data);

// Whether the peer closed `fd` (EOF or reset; any bytes it sends first are
// discarded) within `timeout`. False when it is still open afterwards.
bool ClosedWithin(int fd, absl::Duration timeout);

struct RawResponse {
  int status = 0;
  std::string body;
  bool keep_alive = true;  // no "Connection: close" in the response
  absl::Duration latency;  // from sending the request to the last byte
};

// One HTTP/1.1 exchange on an open connection: sends GET `path` (keep-alive
// unless `close`) and reads one response framed by Content-Length.
// DeadlineExceeded when the response is not complete within `timeout`;
// Unavailable when the connection ends first.
absl::StatusOr<RawResponse> Exchange(int fd, const std::string& path,
                                     absl::Duration timeout,
                                     bool close = false);

// Reads one response framed by Content-Length from `fd`, as Exchange.
absl::StatusOr<RawResponse> ReadResponse(int fd, absl::Duration timeout);

// A new connection from `source`, Exchange(... close=true), closed again.
// `latency` includes the connect.
absl::StatusOr<RawResponse> GetFrom(const std::string& source,
                                    const std::string& host, int port,
                                    const std::string& path,
                                    absl::Duration timeout);

// A port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

struct SlowlorisOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  // Each source address opens `connections_per_source` connections.
  std::vector<std::string> sources = {"127.0.0.2"};
  int connections_per_source = 80;
  // Every other connection (odd index) sends one more byte of its head
  // every `trickle_interval` (a header value that never ends); the others
  // send a partial head once and then nothing.
  absl::Duration trickle_interval = absl::Seconds(1);
  // A connection the server closed is opened again after this long.
  absl::Duration reconnect_delay = absl::Milliseconds(200);
};

struct SlowlorisReport {
  int64_t opened = 0;            // connections established
  int64_t connect_failures = 0;  // connect() refused or failed
  int64_t answered = 0;          // the server sent bytes (it should not)
  // How long each connection the server closed had been open (connect to
  // seeing the close), for the trickling and the silent ones.
  std::vector<absl::Duration> trickle_lifetimes;
  std::vector<absl::Duration> silent_lifetimes;
  // Connections still open when the attack was stopped, and the longest
  // time any of them had been open by then.
  int open_at_stop = 0;
  absl::Duration longest_open_at_stop;
  int64_t max_trickled_bytes = 0;  // most bytes one trickler sent
};

// The attack runs on its own thread from Start() until Stop().
class Slowloris {
 public:
  static absl::StatusOr<std::unique_ptr<Slowloris>> Start(
      const SlowlorisOptions& options);
  ~Slowloris();
  Slowloris(const Slowloris&) = delete;
  Slowloris& operator=(const Slowloris&) = delete;

  // Ends the attack (closes every connection) and reports. Call once.
  SlowlorisReport Stop();

 private:
  explicit Slowloris(const SlowlorisOptions& options) : options_(options) {}
  void Run();

  SlowlorisOptions options_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  SlowlorisReport report_;  // guarded by mu_ while running
  std::thread thread_;
};

// The longest of `d` (zero for none).
absl::Duration Longest(const std::vector<absl::Duration>& d);
// How many of `d` are at least `at_least`.
int CountAtLeast(const std::vector<absl::Duration>& d, absl::Duration at_least);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_METRICS_SLOW_CLIENT_H_
