// WebSocket through http and https listeners: the upgrade reaches a tiny echo target started here, the connection
// becomes a byte stream carrying frames both ways, is counted, and is closed by the idle timeout.
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <gtest/gtest.h>

#include <functional>

#include "tls_test_util.h"

namespace stratus::lb {
namespace {

using namespace testing;

// RFC 6455's accept value for a key.
std::string AcceptFor(const std::string& key) {
  std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), md);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, md, sizeof md);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

// Reads exactly n bytes through `read` (0 = closed).
bool ReadExactly(const std::function<int(char*, int)>& read, char* buf, size_t n) {
  size_t off = 0;
  while (off < n) {
    int r = read(buf + off, static_cast<int>(n - off));
    if (r <= 0) return false;
    off += static_cast<size_t>(r);
  }
  return true;
}

// One frame: opcode and payload (unmasked), payloads < 64 KiB.
bool ReadFrame(const std::function<int(char*, int)>& read, int* opcode, std::string* payload) {
  unsigned char h[2];
  if (!ReadExactly(read, reinterpret_cast<char*>(h), 2)) return false;
  *opcode = h[0] & 0x0f;
  size_t len = h[1] & 0x7f;
  if (len == 126) {
    unsigned char ext[2];
    if (!ReadExactly(read, reinterpret_cast<char*>(ext), 2)) return false;
    len = (static_cast<size_t>(ext[0]) << 8) | ext[1];
  }
  unsigned char mask[4] = {};
  bool masked = h[1] & 0x80;
  if (masked && !ReadExactly(read, reinterpret_cast<char*>(mask), 4)) return false;
  payload->resize(len);
  if (len && !ReadExactly(read, payload->data(), len)) return false;
  if (masked) {
    for (size_t i = 0; i < len; ++i) (*payload)[i] = static_cast<char>((*payload)[i] ^ mask[i % 4]);
  }
  return true;
}

std::string Frame(int opcode, const std::string& payload, bool mask) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  unsigned char m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(m | payload.size()));
  } else {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (mask) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f.push_back(static_cast<char>(mask ? payload[i] ^ key[i % 4] : payload[i]));
  }
  return f;
}

// A WebSocket echo server: answers the handshake, then echoes text/binary frames and answers close.
class WsEcho {
 public:
  WsEcho() {
    listen_fd_ = ListenLoopback(0, &port_);
    thread_ = std::thread([this] {
      while (true) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        std::lock_guard<std::mutex> l(mu_);
        fds_.push_back(fd);
        conns_.emplace_back([this, fd] { Serve(fd); });
      }
    });
  }
  ~WsEcho() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : conns_) t.join();
  }
  int port() const { return port_; }
  std::string last_head() {
    std::lock_guard<std::mutex> l(mu_);
    return last_head_;
  }

 private:
  void Serve(int fd) {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && recv(fd, &c, 1, 0) == 1) head.push_back(c);
    std::string lower = head;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
    {
      std::lock_guard<std::mutex> l(mu_);
      last_head_ = head;
    }
    size_t k = lower.find("sec-websocket-key: ");
    if (k == std::string::npos) {  // health checks and plain requests
      SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      close(fd);
      return;
    }
    std::string key = head.substr(k + 19, head.find("\r\n", k) - k - 19);
    SendAll(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " + AcceptFor(key) + "\r\n\r\n");
    auto read = [fd](char* b, int n) { return static_cast<int>(recv(fd, b, static_cast<size_t>(n), 0)); };
    int op;
    std::string payload;
    while (ReadFrame(read, &op, &payload)) {
      if (op == 8) {
        SendAll(fd, Frame(8, payload, false));
        break;
      }
      SendAll(fd, Frame(op, payload, false));
    }
    close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> conns_;
  std::string last_head_;
};

const char* kUpgrade =
    "GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// Handshake + three echoes over any byte stream.
void ExpectEcho(const std::function<bool(const std::string&)>& send, const std::function<int(char*, int)>& read) {
  ASSERT_TRUE(send(kUpgrade));
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && read(&c, 1) == 1) head.push_back(c);
  EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 101") << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
  for (const std::string& msg : std::vector<std::string>{"hello", std::string(3000, 'x'), "bye"}) {
    ASSERT_TRUE(send(Frame(1, msg, true)));
    int op = 0;
    std::string got;
    ASSERT_TRUE(ReadFrame(read, &op, &got));
    EXPECT_EQ(op, 1);
    EXPECT_EQ(got, msg);
  }
}

using LbWebSocketTest = LbFixture;

TEST_F(LbWebSocketTest, EchoThroughHttpAndHttpsListenersThenIdleTimeout) {
  WsEcho echo;
  LbConfig c = SimpleConfig(port_, {echo.port()});
  ApplyAndWaitHealthy(c);
  int fd = ConnectTo(port_, 5000);
  ASSERT_GE(fd, 0);
  auto send = [fd](const std::string& s) { return SendAll(fd, s); };
  auto read = [fd](char* b, int n) { return static_cast<int>(recv(fd, b, static_cast<size_t>(n), 0)); };
  ExpectEcho(send, read);
  EXPECT_NE(echo.last_head().find("X-Forwarded-Proto: http\r\n"), std::string::npos) << echo.last_head();
  // A close handshake, then the target closes and so does the load balancer.
  ASSERT_TRUE(send(Frame(8, "", true)));
  int op = 0;
  std::string payload;
  EXPECT_TRUE(ReadFrame(read, &op, &payload));
  EXPECT_EQ(op, 8);
  char b;
  EXPECT_EQ(recv(fd, &b, 1, 0), 0);
  close(fd);
  EXPECT_EQ(ListenerMetric("WebSocketUpgradeCount"), 1);

  // Over TLS, and the idle timeout ends a silent WebSocket.
  c.version = 2;
  c.settings.idle_timeout_ms = 400;
  c.listeners[0].protocol = Protocol::kHttps;
  c.certificates.push_back(MakeCert(lb_->dir(), "ws", "ws.test"));
  c.listeners[0].certificates = {"ws"};
  ApplyAndWaitHealthy(c);
  TlsClient tls(port_, TlsClient::Options().Sni("ws.test"));
  ASSERT_TRUE(tls.ok());
  ExpectEcho([&](const std::string& s) { return tls.Send(s); }, [&](char* b2, int n) { return tls.Read(b2, n); });
  EXPECT_NE(echo.last_head().find("X-Forwarded-Proto: https\r\n"), std::string::npos) << echo.last_head();
  char buf[16];
  EXPECT_EQ(tls.Read(buf, sizeof buf), 0);  // closed after 400 ms of silence
  EXPECT_EQ(ListenerMetric("WebSocketUpgradeCount"), 2);
  EXPECT_EQ(ListenerMetric("HTTPCode_ELB_5XX_Count"), 0);
}

}  // namespace
}  // namespace stratus::lb
