// A minimal embedded HTTP/1.1 server (Boost.Beast, one I/O thread) for
// operational endpoints such as /metrics and /healthz, and for test
// receivers. Not a general web server: no TLS, bodies are buffered whole,
// the handler runs on the I/O thread and must be quick. Built to stay
// answerable to every client while some clients misbehave: see the
// deadlines and connection limits of HttpServerOptions.
#ifndef VTPM_VERIFIER_METRICS_HTTP_SERVER_H_
#define VTPM_VERIFIER_METRICS_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
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

// Limits that keep one client from holding the server. Connections are
// accepted and served on the one I/O thread; a connection is closed (never
// answered) when it breaks a limit below.
struct HttpServerOptions {
  // Larger request bodies get 413 and the connection is closed.
  size_t max_body_bytes = 1 << 20;
  // A larger request head (request line and header fields) closes the
  // connection.
  uint32_t max_header_bytes = 8 << 10;
  // The whole request head must arrive within this long, counted from the
  // accept for a connection's first request and from the first byte of the
  // request on a kept-alive connection. The deadline is fixed when the
  // request starts: bytes trickling in (one a second, say) do not move it.
  absl::Duration header_timeout = absl::Seconds(5);
  // The request body must arrive within this long after its head.
  absl::Duration body_timeout = absl::Seconds(10);
  // The client must take the whole response within this long.
  absl::Duration write_timeout = absl::Seconds(10);
  // A kept-alive connection waiting for its next request (no byte of it
  // yet) is closed after this long.
  absl::Duration idle_timeout = absl::Seconds(30);
  // At most this many connections at once (>= 1). When all are in use, a
  // new connection takes the place of the connection that has waited
  // longest for its client to send (the rest of) a request, head or body:
  // idle, slow or stalled. When every connection is busy answering a
  // request, the new one is closed at once.
  int max_connections = 64;
  // At most this many connections at once from one client: one IPv4
  // address, or one IPv6 /64 prefix (one host's usual allocation). A
  // client at its limit makes room among its own connections only, the
  // same way (its connection waiting longest for a request is closed; the
  // new one is refused when all are busy answering), so it never takes
  // other clients' places, while a probe sharing its address (every
  // client, on a loopback listener) still gets in. 0: no per-client limit.
  int max_connections_per_client = 8;
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
  // `handler` until Stop(). Unavailable when the address cannot be bound;
  // InvalidArgument for options out of range (a timeout that is not
  // positive, max_connections < 1, max_connections_per_client < 0).
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
