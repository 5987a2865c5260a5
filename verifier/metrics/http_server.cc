#include "verifier/metrics/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace vtpm::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// A connection as the connection limits see it.
class SessionSlot {
 public:
  virtual ~SessionSlot() = default;
  // Closes the connection to make room for another.
  virtual void Evict() = 0;
  // Whether bytes it sent wait to be read (e.g. a request that arrived
  // but is not parsed yet).
  virtual bool HasUnreadInput() const = 0;

  const std::string& client() const { return client_; }
  // Whether it waits for its client to send (the rest of) a request, head
  // or body, and since when.
  bool waiting_for_client() const { return waiting_for_client_; }
  std::chrono::steady_clock::time_point waiting_since() const {
    return waiting_since_;
  }

 protected:
  std::string client_;
  bool waiting_for_client_ = false;
  std::chrono::steady_clock::time_point waiting_since_;
};

// What the connections of one server share. Used on the I/O thread only
// (and by Stop() once that thread is gone).
struct ServerState {
  HttpHandler handler;
  HttpServerOptions options;

  // Counts `slot` until Remove(slot).
  void Add(SessionSlot* slot) {
    if (slots.insert(slot).second) ++per_client[slot->client()];
  }
  // Idempotent.
  void Remove(SessionSlot* slot) {
    if (slots.erase(slot) == 0) return;
    auto it = per_client.find(slot->client());
    if (it != per_client.end() && --it->second <= 0) per_client.erase(it);
  }
  int Connections() const { return static_cast<int>(slots.size()); }
  int ConnectionsOf(const std::string& client) const {
    auto it = per_client.find(client);
    return it == per_client.end() ? 0 : it->second;
  }
  // The connection waiting longest for its client (of `client` only, unless
  // null), or null. One whose request has just arrived unread is passed
  // over while there is another.
  SessionSlot* LongestWaiting(const std::string* client) const {
    SessionSlot* best = nullptr;
    bool best_has_input = false;
    for (SessionSlot* s : slots) {
      if (!s->waiting_for_client()) continue;
      if (client != nullptr && s->client() != *client) continue;
      const bool has_input = s->HasUnreadInput();
      if (best == nullptr || (best_has_input && !has_input) ||
          (has_input == best_has_input &&
           s->waiting_since() < best->waiting_since())) {
        best = s;
        best_has_input = has_input;
      }
    }
    return best;
  }

  std::set<SessionSlot*> slots;
  std::map<std::string, int> per_client;
};

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? std::string() : it->second;
}

absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(
    const std::string& listen_address) {
  size_t colon = listen_address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", listen_address, "' is not host:port"));
  }
  std::string host = listen_address.substr(0, colon);
  std::string port_text = listen_address.substr(colon + 1);
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535 ||
      port_text.empty() || port_text[0] == '+' || port_text[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", listen_address, "': bad port '", port_text, "'"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    asio::ip::address a = asio::ip::make_address(host, ec);
    if (ec || !a.is_v6()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listen address '", listen_address, "': bad IPv6 address"));
    }
    return std::make_pair(host, port);
  }
  if (host == "localhost")
    return std::make_pair(std::string("127.0.0.1"), port);
  boost::system::error_code ec;
  asio::ip::address a = asio::ip::make_address(host, ec);
  if (ec || !a.is_v4()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", listen_address,
        "': host must be an IPv4 address, [IPv6 address] or localhost"));
  }
  return std::make_pair(host, port);
}

// --- Implementation ----------------------------------------------------------

struct HttpServer::Impl {
  ServerState state;
  std::once_flag stopped;
  int port = 0;
  std::string host;
  // Declared last: destroying the io_context destroys pending sessions,
  // which still use the members above.
  // Both reset by Stop(), which closes every connection.
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
  std::unique_ptr<tcp::acceptor> acceptor =
      std::make_unique<tcp::acceptor>(*ioc);
  // Paces accept retries after an error such as EMFILE.
  std::unique_ptr<asio::steady_timer> retry =
      std::make_unique<asio::steady_timer>(*ioc);
  std::thread thread;

  void Accept();
  // Serves `socket` unless a connection limit says otherwise.
  void Admit(tcp::socket socket);
};

namespace {

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

// One connection: read a request, answer it, repeat while keep-alive.
// Every step has its own deadline (HttpServerOptions); beast::tcp_stream
// fixes a deadline when it is set, so a client sending a byte at a time
// does not move it. Runs on the I/O thread only.
class Session : public std::enable_shared_from_this<Session>,
                public SessionSlot {
 public:
  Session(tcp::socket socket, ServerState* server, std::string client)
      : stream_(std::move(socket)), server_(server) {
    client_ = std::move(client);
    server_->Add(this);
  }
  ~Session() override { server_->Remove(this); }

  // Reads the first request; its head must come within header_timeout.
  void Start() { ReadHead(); }

  void Evict() override { Close(); }
  bool HasUnreadInput() const override {
    beast::error_code ec;
    return stream_.socket().available(ec) > 0 && !ec;
  }

 private:
  // Keep-alive: waits (idle_timeout) for the first byte of the next
  // request, unless one is already buffered (pipelining).
  void AwaitNextRequest() {
    if (buffer_.size() > 0) {
      ReadHead();
      return;
    }
    waiting_for_client_ = true;
    waiting_since_ = std::chrono::steady_clock::now();
    stream_.expires_after(ToChrono(server_->options.idle_timeout));
    stream_.async_read_some(
        buffer_.prepare(1024),
        [self = shared_from_this()](beast::error_code ec, size_t n) {
          if (ec || n == 0) {
            self->Close();
            return;
          }
          self->buffer_.commit(n);
          self->ReadHead();
        });
  }

  void ReadHead() {
    waiting_for_client_ = true;
    waiting_since_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->header_limit(server_->options.max_header_bytes);
    parser_->body_limit(server_->options.max_body_bytes);
    stream_.expires_after(ToChrono(server_->options.header_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->OnHead(ec);
        });
  }

  void OnHead(beast::error_code ec) {
    if (ec) {
      OnRead(ec);
      return;
    }
    if (parser_->is_done()) {
      OnRead(ec);
      return;
    }
    stream_.expires_after(ToChrono(server_->options.body_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    waiting_for_client_ = false;
    if (ec == http::error::body_limit) {
      HttpResponse r;
      r.status = 413;
      r.body = "request body too large\n";
      Write(r, /*keep_alive=*/false, /*version=*/11);
      return;
    }
    if (ec) {
      Close();
      return;
    }
    const auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.path = req.target.substr(0, req.target.find('?'));
    for (const auto& field : msg) {
      req.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    req.body = msg.body();
    HttpResponse r = server_->handler(req);
    Write(r, msg.keep_alive(), msg.version());
  }

  void Write(const HttpResponse& r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "vtpm-attest");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    stream_.expires_after(ToChrono(server_->options.write_timeout));
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](beast::error_code ec, size_t) {
          if (ec || !res->keep_alive()) {
            self->Close();
            return;
          }
          self->AwaitNextRequest();
        });
  }

  // Closes the socket (pending operations end with an error) and frees
  // the connection's place in the limits at once. Idempotent.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
    server_->Remove(this);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerState* server_;
};

// The key a client's connections are counted under: its IPv4 address, or
// the /64 prefix of its IPv6 address.
std::string ClientKey(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_string();
  asio::ip::address_v6 v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  }
  asio::ip::address_v6::bytes_type b = v6.to_bytes();
  for (size_t i = 8; i < b.size(); ++i) b[i] = 0;
  return asio::ip::address_v6(b).to_string() + "/64";
}

void CloseNow(tcp::socket& socket) {
  beast::error_code ignored;
  socket.close(ignored);
}

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec == asio::error::no_descriptors ||
        ec == boost::system::errc::too_many_files_open_in_system ||
        ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
      // Out of file descriptors or memory: retry soon rather than spin.
      retry->expires_after(std::chrono::milliseconds(50));
      retry->async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    // Any other error concerns that one connection (e.g. reset before it
    // was accepted): go on at once.
    if (!ec) Admit(std::move(socket));
    Accept();
  });
}

void HttpServer::Impl::Admit(tcp::socket socket) {
  beast::error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    CloseNow(socket);
    return;
  }
  std::string client = ClientKey(remote.address());
  const HttpServerOptions& o = state.options;
  // A full client makes room among its own connections only; a full
  // server among everyone's. Either way the connection that has waited
  // longest for its client to send a request goes, never one being
  // answered.
  const bool client_full =
      o.max_connections_per_client > 0 &&
      state.ConnectionsOf(client) >= o.max_connections_per_client;
  if (client_full || state.Connections() >= o.max_connections) {
    SessionSlot* victim = state.LongestWaiting(client_full ? &client : nullptr);
    if (victim == nullptr) {
      CloseNow(socket);
      return;
    }
    victim->Evict();
  }
  std::make_shared<Session>(std::move(socket), &state, std::move(client))
      ->Start();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen_address, HttpHandler handler,
    const HttpServerOptions& options) {
  auto parsed = ParseListenAddress(listen_address);
  if (!parsed.ok()) return parsed.status();
  for (absl::Duration d : {options.header_timeout, options.body_timeout,
                           options.write_timeout, options.idle_timeout}) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          "HTTP server: timeouts must be positive and finite");
    }
  }
  if (options.max_connections < 1 || options.max_connections_per_client < 0) {
    return absl::InvalidArgumentError(
        "HTTP server: max_connections must be >= 1 and "
        "max_connections_per_client >= 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->state.handler = std::move(handler);
  impl->state.options = options;
  impl->host = parsed->first;

  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(parsed->first, ec),
                         static_cast<uint16_t>(parsed->second));
  auto fail = [&](const char* what) {
    return absl::UnavailableError(absl::StrCat(
        "HTTP server on ", listen_address, ": ", what, ": ", ec.message()));
  };
  if (impl->acceptor->open(endpoint.protocol(), ec); ec) return fail("open");
  if (endpoint.address().is_v6()) {
    impl->acceptor->set_option(asio::ip::v6_only(true), ec);
  }
  if (impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      ec) {
    return fail("SO_REUSEADDR");
  }
  if (impl->acceptor->bind(endpoint, ec); ec) return fail("bind");
  if (impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
      ec) {
    return fail("listen");
  }
  impl->port = impl->acceptor->local_endpoint(ec).port();
  if (ec) return fail("local address");

  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

std::string HttpServer::address() const {
  if (impl_->host.find(':') != std::string::npos) {
    return absl::StrCat("[", impl_->host, "]:", impl_->port);
  }
  return absl::StrCat(impl_->host, ":", impl_->port);
}

void HttpServer::Stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->ioc->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
    impl_->acceptor.reset();
    impl_->retry.reset();
    impl_->ioc.reset();  // destroys the pending sessions and their sockets
  });
}

}  // namespace vtpm::metrics
