// libFuzzer target: the request and response head parsers and the chunked body decoder must never crash, read out
// of bounds or loop, whatever the bytes; a parsed head's views must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lb/http_parser.h"

namespace {

void CheckInside(std::string_view v, const char* data, size_t size) {
  if (v.empty()) return;
  if (v.data() < data || v.data() + v.size() > data + size) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace stratus::lb;
  const char* data = reinterpret_cast<const char*>(bytes);
  static RequestHead req;
  req = RequestHead();
  if (ParseRequestHead(data, size, &req) == ParseResult::kDone) {
    if (req.head_len > size) std::abort();
    for (size_t i = 0; i < req.num_headers; ++i) {
      CheckInside(req.headers[i].name, data, size);
      CheckInside(req.headers[i].value, data, size);
    }
    CheckInside(req.target, data, size);  // (path may be a literal "/" for absolute-form targets)
    // The body that follows, through the framer, in two uneven pieces.
    BodyFramer f;
    f.Start(req.body, req.content_length);
    size_t rest = size - req.head_len;
    size_t half = rest / 3;
    int64_t a = f.Feed(data + req.head_len, half);
    if (a > static_cast<int64_t>(half)) std::abort();
    if (a >= 0 && !f.done()) {
      int64_t b = f.Feed(data + req.head_len + half, rest - half);
      if (b > static_cast<int64_t>(rest - half)) std::abort();
    }
  }
  static ResponseHead resp;
  resp = ResponseHead();
  if (ParseResponseHead(data, size, size % 2 == 0, &resp) == ParseResult::kDone && resp.head_len > size) std::abort();
  // Raw chunked decoding byte by byte and in one piece must agree.
  ChunkedDecoder whole, bytewise;
  int64_t w = whole.Feed(data, size);
  int64_t consumed = 0;
  bool failed = false;
  for (size_t i = 0; i < size && !bytewise.done(); ++i) {
    int64_t r = bytewise.Feed(data + i, 1);
    if (r < 0) {
      failed = true;
      break;
    }
    consumed += r;
  }
  if ((w < 0) != failed) std::abort();
  if (!failed && (w != consumed || whole.done() != bytewise.done())) std::abort();
  return 0;
}
