// stratus-demo-web [--port N] [--address A] [--threads N]: see server.h.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "image/demo_web/server.h"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  stratus::demo_web::ServerOptions o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--port" && has_value) {
      int p = std::atoi(argv[++i]);
      if (p <= 0 || p > 65535) {
        std::fprintf(stderr, "stratus-demo-web: --port must be 1-65535\n");
        return 2;
      }
      o.port = static_cast<uint16_t>(p);
    } else if (a == "--address" && has_value) {
      o.address = argv[++i];
    } else if (a == "--threads" && has_value) {
      o.threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: stratus-demo-web [--port N] [--address A] [--threads N]\n");
      return 2;
    }
  }
  o.instance_id = stratus::demo_web::DetectInstanceId();
  return stratus::demo_web::Serve(o);
}
