// Socket helpers for the network tests: a free port, a listener, a bounded connect, a tiny HTTP GET.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/fd.h"

namespace stratus::net::testing {

inline sockaddr_in Addr(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A TCP listener on ip:port (port 0: any) in the calling thread's network namespace.
inline UniqueFd Listen(const std::string& ip, int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Addr(ip, port);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd.get(), 16) != 0)
    return UniqueFd();
  return fd;
}

inline int BoundPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A port that was free a moment ago.
inline int FreePort() {
  UniqueFd fd = Listen("0.0.0.0", 0);
  return BoundPort(fd.get());
}

// Connects to ip:port within timeout_ms; returns the connected socket or an invalid fd.
inline UniqueFd Connect(const std::string& ip, int port, int timeout_ms) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in a = Addr(ip, port);
  int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && errno != EINPROGRESS) return UniqueFd();
  pollfd p{fd.get(), POLLOUT, 0};
  if (poll(&p, 1, timeout_ms) != 1) return UniqueFd();
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return UniqueFd();
  fcntl(fd.get(), F_SETFL, 0);
  timeval tv{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `request` (a whole HTTP/1.0 request) and returns everything read until close ("" on failure).
inline std::string HttpExchange(const std::string& ip, int port, const std::string& request) {
  UniqueFd fd = Connect(ip, port, 2000);
  if (!fd.valid()) return "";
  if (write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) return "";
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000; i++) {
    ssize_t r = read(fd.get(), buf, sizeof buf);
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

// The body of an HTTP response ("" when there is none).
inline std::string Body(const std::string& response) {
  size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

// The status code of an HTTP response (0 when unparseable).
inline int StatusCode(const std::string& response) {
  return response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
}

}  // namespace stratus::net::testing
