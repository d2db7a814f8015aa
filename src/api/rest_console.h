// The web console's static files at /console/ (docs/console.md). They are built by `make build`
// (web/, into BUILD/bin/console) and installed beside stratusd; this route loads them once at start
// and serves the script bundle as its precompressed .gz twin when the browser accepts gzip (httplib
// compresses the small text files itself). Every answer
// carries Content-Security-Policy (own origin only, no inline script, no framing),
// X-Content-Type-Options and Referrer-Policy. The files need no token: the console asks for it and
// sends it as a header on its API calls.
#pragma once

#include <string>

#include <httplib.h>

namespace stratus {

// Serves the files under `dir`; when it holds no index.html, /console/ answers 404 saying where the
// files were looked for.
void MountConsoleRoutes(httplib::Server& server, const std::string& dir);

// True for the paths this route serves without authentication.
bool IsConsolePath(const std::string& path);

}  // namespace stratus
