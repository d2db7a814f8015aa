// stratus-demo-web: the small HTTP/1.1 server the built-in demo-web image runs on port 80.
//
//   GET /            200, body "hello from <instance-id>\n"
//   GET /healthz     200 "ok\n"
//   GET /burn?ms=N   burns N ms of CPU (on a helper thread), then 200
//   GET /sleep?ms=N  answers after N ms (a timer: holds no thread)
// Keep-alive and pipelining; one epoll loop per thread, each with its own SO_REUSEPORT listener.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stratus::demo_web {

struct ServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 80;
  int threads = 0;           // 0 = one per CPU
  std::string instance_id;   // shown by GET /
};

// The instance id: $INSTANCE_ID, else "instance_id" from /run/stratus/init.json, else the hostname.
std::string DetectInstanceId();

// Binds every loop's listener, then serves forever. Returns non-zero (after printing why) when
// the port cannot be bound.
int Serve(const ServerOptions& options);

// Parses the number in "ms=N" from a query string; 0 when absent; capped at 600000.
int64_t QueryMs(std::string_view query);

}  // namespace stratus::demo_web
