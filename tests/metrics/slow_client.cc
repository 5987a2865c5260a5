#include "tests/metrics/slow_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace vtpm::testing {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

bool ToSockaddr(const std::string& ip, int port, sockaddr_in* out) {
  std::memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, ip.c_str(), &out->sin_addr) == 1;
}

int PollMs(absl::Duration left) {
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60000));
}

}  // namespace

absl::StatusOr<int> ConnectFrom(const std::string& source,
                                const std::string& host, int port) {
  sockaddr_in src, dst;
  if (!ToSockaddr(source, 0, &src) || !ToSockaddr(host, port, &dst)) {
    return absl::InvalidArgumentError("bad IPv4 address");
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
    absl::Status st = Errno(absl::StrCat("bind ", source));
    ::close(fd);
    return st;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0) {
    absl::Status st = Errno(absl::StrCat("connect ", host, ":", port));
    ::close(fd);
    return st;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool ClosedWithin(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  char buf[4096];
  while (true) {
    pollfd p = {fd, POLLIN, 0};
    int r = ::poll(&p, 1, PollMs(deadline - absl::Now()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return true;  // reset
    // Data: discard and keep waiting for the close.
  }
}

absl::StatusOr<RawResponse> Exchange(int fd, const std::string& path,
                                     absl::Duration timeout, bool close) {
  const absl::Time start = absl::Now();
  std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: test\r\n",
                   close ? "Connection: close\r\n" : "", "\r\n");
  if (!SendAll(fd, request)) return Errno("send");
  absl::StatusOr<RawResponse> r = ReadResponse(fd, timeout);
  if (r.ok()) r->latency = absl::Now() - start;
  return r;
}

absl::StatusOr<RawResponse> ReadResponse(int fd, absl::Duration timeout) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + timeout;
  std::string in;
  size_t head_end = std::string::npos;
  size_t content_length = 0;
  RawResponse out;
  char buf[16384];
  while (true) {
    if (head_end == std::string::npos) {
      head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::vector<std::string> lines =
            absl::StrSplit(in.substr(0, head_end), "\r\n");
        std::vector<std::string> status_line =
            absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
        if (status_line.size() < 2 ||
            !absl::SimpleAtoi(status_line[1], &out.status)) {
          return absl::DataLossError("bad status line: " + lines[0]);
        }
        for (size_t i = 1; i < lines.size(); ++i) {
          size_t colon = lines[i].find(':');
          if (colon == std::string::npos) continue;
          std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
          std::string value(
              absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
          if (name == "content-length" &&
              !absl::SimpleAtoi(value, &content_length)) {
            return absl::DataLossError("bad Content-Length");
          }
          if (name == "connection" && absl::EqualsIgnoreCase(value, "close")) {
            out.keep_alive = false;
          }
        }
        head_end += 4;
      }
    }
    if (head_end != std::string::npos &&
        in.size() >= head_end + content_length) {
      out.body = in.substr(head_end, content_length);
      out.latency = absl::Now() - start;
      return out;
    }
    pollfd p = {fd, POLLIN, 0};
    int r = ::poll(&p, 1, PollMs(deadline - absl::Now()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no complete response within ", absl::FormatDuration(timeout)));
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "connection ended before the response (", in.size(), " bytes read)"));
    }
    in.append(buf, static_cast<size_t>(n));
  }
}

absl::StatusOr<RawResponse> GetFrom(const std::string& source,
                                    const std::string& host, int port,
                                    const std::string& path,
                                    absl::Duration timeout) {
  const absl::Time start = absl::Now();
  absl::StatusOr<int> fd = ConnectFrom(source, host, port);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<RawResponse> r =
      Exchange(*fd, path, timeout - (absl::Now() - start), /*close=*/true);
  ::close(*fd);
  if (r.ok()) r->latency = absl::Now() - start;
  return r;
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a;
  ToSockaddr("127.0.0.1", 0, &a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// --- Slowloris ---------------------------------------------------------------

namespace {

constexpr char kPartialHead[] =
    "GET /metrics HTTP/1.1\r\nHost: victim\r\nUser-Agent: slowloris\r\n"
    "X-Slow: ";

struct Conn {
  int fd = -1;
  std::string source;
  bool trickle = false;
  absl::Time opened_at;
  absl::Time next_action;  // next byte (open) or reconnect (closed)
  int64_t sent = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Slowloris>> Slowloris::Start(
    const SlowlorisOptions& options) {
  // Fail early when a source address cannot be used at all.
  for (const std::string& s : options.sources) {
    sockaddr_in a;
    if (!ToSockaddr(s, 0, &a)) {
      return absl::InvalidArgumentError("bad source address " + s);
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::close(fd);
    if (rc != 0) return Errno("bind " + s);
  }
  std::unique_ptr<Slowloris> s(new Slowloris(options));
  s->thread_ = std::thread([p = s.get()] { p->Run(); });
  return s;
}

Slowloris::~Slowloris() {
  if (thread_.joinable()) Stop();
}

SlowlorisReport Slowloris::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return report_;
}

void Slowloris::Run() {
  std::vector<Conn> conns;
  for (const std::string& s : options_.sources) {
    for (int i = 0; i < options_.connections_per_source; ++i) {
      Conn c;
      c.source = s;
      c.trickle = i % 2 == 1;
      c.next_action = absl::Now();
      conns.push_back(c);
    }
  }
  auto open = [&](Conn& c) {
    absl::StatusOr<int> fd =
        ConnectFrom(c.source, options_.host, options_.port);
    std::lock_guard<std::mutex> lock(mu_);
    if (!fd.ok()) {
      ++report_.connect_failures;
      c.next_action = absl::Now() + options_.reconnect_delay;
      return;
    }
    ++report_.opened;
    c.fd = *fd;
    c.opened_at = absl::Now();
    c.sent = 0;
    // The refused ones may already be closed; the close is seen by poll.
    SendAll(c.fd, kPartialHead);
    c.next_action = c.opened_at + options_.trickle_interval;
  };
  auto closed = [&](Conn& c) {
    absl::Duration life = absl::Now() - c.opened_at;
    ::close(c.fd);
    c.fd = -1;
    c.next_action = absl::Now() + options_.reconnect_delay;
    std::lock_guard<std::mutex> lock(mu_);
    (c.trickle ? report_.trickle_lifetimes : report_.silent_lifetimes)
        .push_back(life);
  };

  std::vector<pollfd> fds;
  std::vector<size_t> which;
  while (!stop_) {
    absl::Time now = absl::Now();
    for (Conn& c : conns) {
      if (c.fd < 0 && c.next_action <= now) {
        open(c);
      } else if (c.fd >= 0 && c.trickle && c.next_action <= now) {
        if (SendAll(c.fd, "a")) ++c.sent;
        c.next_action = now + options_.trickle_interval;
        std::lock_guard<std::mutex> lock(mu_);
        report_.max_trickled_bytes =
            std::max(report_.max_trickled_bytes, c.sent);
      }
    }
    fds.clear();
    which.clear();
    absl::Time next = absl::Now() + absl::Milliseconds(50);
    for (size_t i = 0; i < conns.size(); ++i) {
      if (conns[i].fd >= 0) {
        fds.push_back({conns[i].fd, POLLIN, 0});
        which.push_back(i);
      }
      if (conns[i].fd < 0 || conns[i].trickle) {
        next = std::min(next, conns[i].next_action);
      }
    }
    int r = ::poll(fds.data(), fds.size(), PollMs(next - absl::Now()));
    if (r <= 0) continue;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Conn& c = conns[which[k]];
      char buf[4096];
      ssize_t n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        ++report_.answered;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      closed(c);
    }
  }
  absl::Time now = absl::Now();
  std::lock_guard<std::mutex> lock(mu_);
  for (Conn& c : conns) {
    if (c.fd < 0) continue;
    ++report_.open_at_stop;
    report_.longest_open_at_stop =
        std::max(report_.longest_open_at_stop, now - c.opened_at);
    ::close(c.fd);
  }
}

absl::Duration Longest(const std::vector<absl::Duration>& d) {
  absl::Duration m = absl::ZeroDuration();
  for (absl::Duration x : d) m = std::max(m, x);
  return m;
}

int CountAtLeast(const std::vector<absl::Duration>& d,
                 absl::Duration at_least) {
  return static_cast<int>(std::count_if(
      d.begin(), d.end(), [&](absl::Duration x) { return x >= at_least; }));
}

}  // namespace vtpm::testing
