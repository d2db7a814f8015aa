// stratus-demo-web (the demo-web image's server), run as a process on a loopback port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "image/demo_web/server.h"

extern char** environ;

namespace stratus {
namespace {

using std::chrono::milliseconds;

TEST(DemoWebTest, QueryMs) {
  EXPECT_EQ(demo_web::QueryMs("ms=25"), 25);
  EXPECT_EQ(demo_web::QueryMs("a=1&ms=7&b=2"), 7);
  EXPECT_EQ(demo_web::QueryMs(""), 0);
  EXPECT_EQ(demo_web::QueryMs("ms=-5"), 0);
  EXPECT_EQ(demo_web::QueryMs("ms=99999999999"), 600000);
}

class DemoWebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    std::string port = std::to_string(port_);
    char* argv[] = {const_cast<char*>(STRATUS_DEMO_WEB_BINARY), const_cast<char*>("--address"),
                    const_cast<char*>("127.0.0.1"), const_cast<char*>("--port"), port.data(), nullptr};
    std::vector<char*> env = {const_cast<char*>("INSTANCE_ID=i-0demo0web0test0001"), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, STRATUS_DEMO_WEB_BINARY, nullptr, nullptr, argv, env.data()), 0);
    for (int i = 0; i < 100; i++) {  // wait (bounded) for the listener
      int fd = Connect();
      if (fd >= 0) {
        close(fd);
        return;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    FAIL() << "stratus-demo-web did not listen on port " << port_;
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // A port the kernel just handed out (and took back): free for the server to bind.
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    close(fd);
    return port;
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  static bool Send(int fd, const std::string& s) { return write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()); }

  // Reads until `count` responses (by Content-Length) have arrived or the peer closes.
  static std::string ReadResponses(int fd, int count) {
    std::string got;
    char buf[4096];
    for (;;) {
      int complete = 0;
      for (size_t pos = 0;;) {
        size_t hdr_end = got.find("\r\n\r\n", pos);
        if (hdr_end == std::string::npos) break;
        size_t cl = got.find("Content-Length: ", pos);
        size_t len = cl < hdr_end ? std::stoul(got.substr(cl + 16)) : 0;
        if (got.size() < hdr_end + 4 + len) break;
        complete++;
        pos = hdr_end + 4 + len;
      }
      if (complete >= count) return got;
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) return got;
      got.append(buf, static_cast<size_t>(r));
    }
  }

  std::string Get(const std::string& target) {
    int fd = Connect();
    Send(fd, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string r = ReadResponses(fd, 1);
    close(fd);
    return r;
  }

  int port_ = 0;
  pid_t pid_ = 0;
};

TEST_F(DemoWebServerTest, Endpoints) {
  std::string r = Get("/");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("i-0demo0web0test0001"), std::string::npos);
  EXPECT_NE(Get("/healthz").find("200 OK"), std::string::npos);
  EXPECT_NE(Get("/burn?ms=20").find("burned 20 ms"), std::string::npos);
  EXPECT_NE(Get("/sleep?ms=20").find("slept"), std::string::npos);
  EXPECT_NE(Get("/nope").find("404 Not Found"), std::string::npos);
  int fd = Connect();
  Send(fd, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcHEAD / HTTP/1.1\r\nConnection: close\r\n\r\n");
  std::string two = ReadResponses(fd, 99);  // until the server closes (HEAD has no body to count)
  close(fd);
  EXPECT_NE(two.find("405"), std::string::npos);
  EXPECT_EQ(two.find("hello from"), std::string::npos);  // HEAD: headers only
  fd = Connect();
  Send(fd, "garbage\r\n\r\n");
  EXPECT_NE(ReadResponses(fd, 1).find("400 Bad Request"), std::string::npos);
  close(fd);
}

TEST_F(DemoWebServerTest, PipelinedKeepAliveInOrder) {
  int fd = Connect();
  Send(fd, "GET /sleep?ms=30 HTTP/1.1\r\n\r\nGET /burn?ms=5 HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  std::string r = ReadResponses(fd, 3);
  close(fd);
  size_t a = r.find("slept"), b = r.find("burned"), c = r.find("ok\n");
  ASSERT_NE(a, std::string::npos) << r;
  ASSERT_NE(b, std::string::npos) << r;
  ASSERT_NE(c, std::string::npos) << r;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
}

TEST_F(DemoWebServerTest, HundredConcurrentKeepAliveConnections) {
  std::vector<int> fds;
  for (int i = 0; i < 100; i++) {
    int fd = Connect();
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  for (int round = 0; round < 3; round++) {
    for (int fd : fds) ASSERT_TRUE(Send(fd, round == 1 ? "GET /sleep?ms=50 HTTP/1.1\r\n\r\n" : "GET / HTTP/1.1\r\n\r\n"));
    for (int fd : fds) EXPECT_NE(ReadResponses(fd, 1).find("200 OK"), std::string::npos);
  }
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace stratus
