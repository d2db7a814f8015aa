// HTTP/1.x message heads and body framing for the load balancer's hot path.
//
// The parsers never allocate: a parsed head is a set of string_views into the caller's buffer. They are strict on
// purpose (request smuggling): CRLF line endings only, no obs-fold, no whitespace before the colon, a single valid
// Content-Length, Transfer-Encoding only "chunked" and never together with Content-Length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stratus::lb {

constexpr size_t kMaxHeaders = 100;

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

enum class ParseResult { kIncomplete, kDone, kError };

// How the message body is delimited.
enum class BodyKind : uint8_t { kNone, kLength, kChunked, kUntilClose };

struct RequestHead {
  std::string_view method;
  std::string_view target;  // request-target as sent
  std::string_view path;    // target without the query string
  std::string_view host;    // Host header value
  std::string_view cookie;  // first Cookie header value, if any
  std::string_view x_forwarded_for;
  int version_minor = 1;  // HTTP/1.<minor>
  HeaderField headers[kMaxHeaders];
  size_t num_headers = 0;
  size_t head_len = 0;  // bytes of the head including the blank line
  BodyKind body = BodyKind::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool idempotent = false;  // GET, HEAD, OPTIONS, TRACE, PUT, DELETE
  bool is_head = false;     // HEAD: the response has no body
  const char* error = nullptr;  // why parsing failed, for logs
};

struct ResponseHead {
  int status = 0;
  int version_minor = 1;
  std::string_view reason;
  HeaderField headers[kMaxHeaders];
  size_t num_headers = 0;
  size_t head_len = 0;
  BodyKind body = BodyKind::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
  const char* error = nullptr;
};

// Parses a request head at the start of buf[0, len). kIncomplete when the blank line has not arrived yet (the caller
// enforces its own size limit), kError with head->error set when the head is malformed.
ParseResult ParseRequestHead(const char* buf, size_t len, RequestHead* head);

// Parses a response head. `request_was_head` / the status decide whether a body follows.
ParseResult ParseResponseHead(const char* buf, size_t len, bool request_was_head, ResponseHead* head);

// Case-insensitive ASCII comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Streaming validator of a chunked body (chunks, extensions, trailers). Bytes are passed through unchanged; the
// decoder only says how many of them belong to the message and whether it is complete.
class ChunkedDecoder {
 public:
  // Consumes up to n bytes. Returns how many belong to the body (< n only when the body ended inside the input),
  // or -1 on a framing error (bad chunk size, missing CRLF, oversized trailer line).
  int64_t Feed(const char* p, size_t n);
  bool done() const { return state_ == State::kDone; }
  void Reset() { *this = ChunkedDecoder(); }

 private:
  enum class State : uint8_t {
    kSize, kSizeMore, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailerLine, kTrailerLf, kFinalLf, kDone
  };
  State state_ = State::kSize;
  uint64_t remaining_ = 0;
  uint32_t digits_ = 0;
  uint32_t line_len_ = 0;
};

// Tracks where a message body ends, whatever its framing.
class BodyFramer {
 public:
  void Start(BodyKind kind, uint64_t content_length);
  // Like ChunkedDecoder::Feed: bytes of input that belong to the body, or -1 on a framing error.
  int64_t Feed(const char* p, size_t n);
  // The body ended (always false for kUntilClose: the peer's EOF ends it).
  bool done() const { return done_; }
  BodyKind kind() const { return kind_; }

 private:
  BodyKind kind_ = BodyKind::kNone;
  bool done_ = true;
  uint64_t remaining_ = 0;
  ChunkedDecoder chunked_;
};

}  // namespace stratus::lb
