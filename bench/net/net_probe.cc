// bench/net's traffic: run inside network namespaces (`ip netns exec`) by bench/net/run.
//
//   net_probe serve PORT                 sink on PORT (reads each connection to its end), accept-and-close on PORT+1
//   net_probe stream IP PORT SECONDS     one connection writing 128 KiB buffers: prints {"bytes_per_second": N}
//   net_probe connect IP PORT SECONDS    connect and close in a loop to PORT+1: prints {"connections_per_second": N}
//   net_probe watch IP PORT              connects to PORT+1 about every millisecond, forever; on each change prints
//                                        "open NS" or "closed NS" (CLOCK_MONOTONIC nanoseconds of the first attempt
//                                        that saw it), so the bench can compare with the API's answer
//
// The connect loop closes with SO_LINGER 0 (a reset, no TIME_WAIT), so a few seconds at tens of thousands of
// connections a second do not exhaust the ephemeral ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in Address(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
    std::fprintf(stderr, "bad address %s\n", ip);
    std::exit(2);
  }
  return a;
}

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Address("0.0.0.0", port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4096) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  return fd;
}

int Serve(int port) {
  int sink = Listen(port), closer = Listen(port + 1);
  std::thread([closer] {
    for (;;) {
      int c = accept4(closer, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) close(c);
    }
  }).detach();
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    int c = accept4(sink, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::thread([c] {
      std::vector<char> buf(1 << 17);
      while (read(c, buf.data(), buf.size()) > 0) {
      }
      close(c);
    }).detach();
  }
}

int Stream(const char* ip, int port, double seconds) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Address(ip, port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    return 1;
  }
  std::vector<char> buf(1 << 17, 'x');
  uint64_t sent = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    ssize_t n = write(fd, buf.data(), buf.size());
    if (n <= 0) {
      std::perror("write");
      return 1;
    }
    sent += n;
  }
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);
  std::printf("{\"bytes_per_second\": %.0f}\n", sent / took);
  return 0;
}

int ConnectLoop(const char* ip, int port, double seconds) {
  sockaddr_in a = Address(ip, port + 1);
  uint64_t n = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  linger reset{1, 0};
  while (Clock::now() < end) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("connect");
      return 1;
    }
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    n++;
  }
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"connections_per_second\": %.0f}\n", n / took);
  return 0;
}

// One attempt: true once the handshake completed within `ms`.
bool TryConnect(const sockaddr_in& a, int ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  bool ok = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = poll(&p, 1, ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
  return ok;
}

int Watch(const char* ip, int port) {
  sockaddr_in a = Address(ip, port + 1);
  int state = -1;  // unknown, then 0 closed / 1 open
  for (;;) {
    int now = TryConnect(a, 1) ? 1 : 0;
    if (now != state) {
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
      std::printf("%s %lld\n", now ? "open" : "closed", static_cast<long long>(ns));
      std::fflush(stdout);
      state = now;
    }
    if (now) usleep(1000);  // a dropped attempt already waited its millisecond
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 3) return Serve(std::atoi(argv[2]));
  if (mode == "stream" && argc == 5) return Stream(argv[2], std::atoi(argv[3]), std::atof(argv[4]));
  if (mode == "connect" && argc == 5) return ConnectLoop(argv[2], std::atoi(argv[3]), std::atof(argv[4]));
  if (mode == "watch" && argc == 4) return Watch(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr, "usage: net_probe serve PORT | stream IP PORT S | connect IP PORT S | watch IP PORT\n");
  return 2;
}
