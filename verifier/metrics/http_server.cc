#include "verifier/metrics/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vtpm::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// What the connections of one server share.
struct ServerState {
  HttpHandler handler;
  HttpServerOptions options;
  std::atomic<int> connections{0};
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
  std::thread thread;

  void Accept();
};

namespace {

// One connection: read a request, answer it, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState* server)
      : stream_(std::move(socket)), server_(server) {
    server_->connections.fetch_add(1);
  }
  ~Session() { server_->connections.fetch_sub(1); }

  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(
        absl::ToInt64Milliseconds(server_->options.idle_timeout)));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

 private:
  void OnRead(beast::error_code ec) {
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
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](beast::error_code ec, size_t) {
          if (ec || !res->keep_alive()) {
            self->Close();
            return;
          }
          self->Read();
        });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerState* server_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      if (state.connections.load() >= state.options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), &state)->Read();
      }
    }
    Accept();
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen_address, HttpHandler handler,
    const HttpServerOptions& options) {
  auto parsed = ParseListenAddress(listen_address);
  if (!parsed.ok()) return parsed.status();
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
    impl_->ioc.reset();  // destroys the pending sessions and their sockets
  });
}

}  // namespace vtpm::metrics
