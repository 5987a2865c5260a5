// A minimal embedded HTTP/1.1 server (Boost.Beast, one I/O thread) for
// operational endpoints such as /metrics and /healthz, and for test
// receivers. Not a general web server: no TLS, bodies are buffered whole,
// the handler runs on the I/O thread and must be quick.
#ifndef VTPM_VERIFIER_METRICS_HTTP_SERVER_H_
#define VTPM_VERIFIER_METRICS_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vtpm::metrics {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent, e.g. "/metrics?x=1"
  std::string path;    // target without the query string
  // Header names in lower case; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;

  // The value of header `name` (any case), empty when absent.
  std::string Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // Larger request bodies get 413 and the connection is closed.
  size_t max_body_bytes = 1 << 20;
  // A connection idle (or slow to send a request) this long is closed.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Connections beyond this many are closed at once.
  int max_connections = 64;
};

// "host:port" with host an IPv4 literal, "[IPv6 literal]" or "localhost"
// (127.0.0.1) and port 0..65535 (0: any free port). InvalidArgument
// otherwise.
absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(
    const std::string& listen_address);

class HttpServer {
 public:
  // Listens on `listen_address` (see ParseListenAddress; only that address,
  // never a wildcard unless given one) and serves every request with
  // `handler` until Stop(). Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen_address, HttpHandler handler,
      const HttpServerOptions& options = {});

  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when started with port 0).
  int port() const;
  // "host:port" to reach the server, e.g. "127.0.0.1:41234".
  std::string address() const;

  // Stops accepting, closes every connection and joins the I/O thread.
  // Idempotent; the handler is not called after Stop() returns.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtpm::metrics

#endif  // VTPM_VERIFIER_METRICS_HTTP_SERVER_H_
