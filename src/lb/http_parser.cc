#include "lb/http_parser.h"

#include <cstring>

namespace stratus::lb {
namespace {

// RFC 9110 tchar.
constexpr bool IsTchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

struct CharTable {
  bool tchar[256] = {};
  bool value[256] = {};  // allowed in a field value: VCHAR, obs-text, SP, HTAB
  constexpr CharTable() {
    for (int c = 0; c < 256; ++c) {
      tchar[c] = IsTchar(static_cast<unsigned char>(c));
      value[c] = (c >= 0x20 && c != 0x7f) || c == '\t';
    }
  }
};
constexpr CharTable kChars;

constexpr char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Framing-relevant facts collected while reading header lines.
struct HeaderFacts {
  bool has_cl = false;
  bool has_te = false;
  bool te_chunked = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool has_host = false;
  uint64_t cl = 0;
  std::string_view host, cookie, xff;
};

bool ParseContentLength(std::string_view v, uint64_t* out) {
  if (v.empty() || v.size() > 18) return false;
  uint64_t x = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = x;
  return true;
}

// "close", "keep-alive" tokens of a Connection header.
void ParseConnection(std::string_view v, HeaderFacts* f) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view tok = TrimOws(v.substr(0, comma));
    if (EqualsIgnoreCase(tok, "close")) f->conn_close = true;
    if (EqualsIgnoreCase(tok, "keep-alive")) f->conn_keep_alive = true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// Interprets one header; returns an error message or nullptr.
const char* NoteHeader(const HeaderField& h, bool is_request, HeaderFacts* f) {
  std::string_view n = h.name;
  switch (n.size()) {
    case 4:
      if (is_request && EqualsIgnoreCase(n, "host")) {
        if (f->has_host) return "multiple Host headers";
        f->has_host = true;
        f->host = h.value;
      }
      break;
    case 6:
      if (is_request && f->cookie.empty() && EqualsIgnoreCase(n, "cookie")) f->cookie = h.value;
      break;
    case 10:
      if (EqualsIgnoreCase(n, "connection")) ParseConnection(h.value, f);
      break;
    case 14:
      if (EqualsIgnoreCase(n, "content-length")) {
        uint64_t cl = 0;
        if (!ParseContentLength(h.value, &cl)) return "invalid Content-Length";
        if (f->has_cl && cl != f->cl) return "conflicting Content-Length headers";
        f->has_cl = true;
        f->cl = cl;
      }
      break;
    case 15:
      if (is_request && EqualsIgnoreCase(n, "x-forwarded-for")) f->xff = h.value;
      break;
    case 17:
      if (EqualsIgnoreCase(n, "transfer-encoding")) {
        if (f->has_te && is_request) return "multiple Transfer-Encoding headers";
        f->has_te = true;
        std::string_view v = h.value;
        size_t comma = v.rfind(',');
        std::string_view last = TrimOws(comma == std::string_view::npos ? v : v.substr(comma + 1));
        f->te_chunked = EqualsIgnoreCase(last, "chunked");
        if (is_request && !EqualsIgnoreCase(v, "chunked")) return "unsupported Transfer-Encoding";
      }
      break;
    default:
      break;
  }
  return nullptr;
}

// Parses one "name: value" line [p, e) into h.
const char* ParseHeaderLine(const char* p, const char* e, HeaderField* h) {
  if (*p == ' ' || *p == '\t') return "obsolete line folding";
  const char* c = p;
  while (c < e && kChars.tchar[static_cast<unsigned char>(*c)]) ++c;
  if (c == p) return "empty header name";
  if (c == e || *c != ':') return "invalid character in header name";
  h->name = std::string_view(p, static_cast<size_t>(c - p));
  for (const char* v = c + 1; v < e; ++v) {
    if (!kChars.value[static_cast<unsigned char>(*v)]) return "invalid character in header value";
  }
  h->value = TrimOws(std::string_view(c + 1, static_cast<size_t>(e - c - 1)));
  return nullptr;
}

// Reads header lines starting at `p` until the blank line. Returns kDone with *head_len set, kIncomplete, or kError.
ParseResult ParseHeaders(const char* buf, size_t len, const char* p, bool is_request, HeaderField* headers,
                         size_t* num_headers, size_t* head_len, HeaderFacts* facts, const char** error) {
  const char* end = buf + len;
  *num_headers = 0;
  while (true) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!nl) return ParseResult::kIncomplete;
    if (nl == p || nl[-1] != '\r') {
      *error = "bare LF line ending";
      return ParseResult::kError;
    }
    const char* eol = nl - 1;
    if (eol == p) {
      *head_len = static_cast<size_t>(nl + 1 - buf);
      return ParseResult::kDone;
    }
    if (*num_headers == kMaxHeaders) {
      *error = "too many headers";
      return ParseResult::kError;
    }
    HeaderField* h = &headers[(*num_headers)++];
    const char* err = ParseHeaderLine(p, eol, h);
    if (!err) err = NoteHeader(*h, is_request, facts);
    if (err) {
      *error = err;
      return ParseResult::kError;
    }
    p = nl + 1;
  }
}

// Reads the first line [buf, eol) of a request.
const char* ParseRequestLine(const char* p, const char* eol, RequestHead* h) {
  const char* m = p;
  while (m < eol && kChars.tchar[static_cast<unsigned char>(*m)]) ++m;
  if (m == p || m == eol || *m != ' ') return "bad request line";
  h->method = std::string_view(p, static_cast<size_t>(m - p));
  const char* t = m + 1;
  const char* te = t;
  while (te < eol && static_cast<unsigned char>(*te) > 0x20 && *te != 0x7f) ++te;
  if (te == t || te == eol || *te != ' ') return "bad request target";
  h->target = std::string_view(t, static_cast<size_t>(te - t));
  std::string_view ver(te + 1, static_cast<size_t>(eol - te - 1));
  if (ver == "HTTP/1.1") {
    h->version_minor = 1;
  } else if (ver == "HTTP/1.0") {
    h->version_minor = 0;
  } else {
    return "unsupported HTTP version";
  }
  std::string_view target = h->target;
  if (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://") {
    size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  } else if (target != "*" && target[0] != '/') {
    return "bad request target";
  }
  h->path = target.substr(0, target.find('?'));
  return nullptr;
}

bool IsIdempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

ParseResult ParseRequestHead(const char* buf, size_t len, RequestHead* h) {
  const char* end = buf + len;
  const char* nl = static_cast<const char*>(std::memchr(buf, '\n', len));
  if (!nl) return ParseResult::kIncomplete;
  if (nl == buf || nl[-1] != '\r') {
    h->error = "bare LF line ending";
    return ParseResult::kError;
  }
  if ((h->error = ParseRequestLine(buf, nl - 1, h))) return ParseResult::kError;
  HeaderFacts f;
  ParseResult r = ParseHeaders(buf, static_cast<size_t>(end - buf), nl + 1, true, h->headers, &h->num_headers,
                               &h->head_len, &f, &h->error);
  if (r != ParseResult::kDone) return r;
  if (f.has_te && f.has_cl) {
    h->error = "both Content-Length and Transfer-Encoding";
    return ParseResult::kError;
  }
  if (f.has_te && h->version_minor == 0) {
    h->error = "Transfer-Encoding in an HTTP/1.0 request";
    return ParseResult::kError;
  }
  if (!f.has_host && h->version_minor == 1) {
    h->error = "missing Host header";
    return ParseResult::kError;
  }
  h->host = f.host;
  h->cookie = f.cookie;
  h->x_forwarded_for = f.xff;
  h->content_length = f.cl;
  h->body = f.has_te ? BodyKind::kChunked : (f.cl > 0 ? BodyKind::kLength : BodyKind::kNone);
  h->keep_alive = h->version_minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
  h->idempotent = IsIdempotent(h->method);
  h->is_head = h->method == "HEAD";
  return ParseResult::kDone;
}

ParseResult ParseResponseHead(const char* buf, size_t len, bool request_was_head, ResponseHead* h) {
  const char* nl = static_cast<const char*>(std::memchr(buf, '\n', len));
  if (!nl) return ParseResult::kIncomplete;
  const char* eol = nl - 1;
  if (nl == buf || *eol != '\r') {
    h->error = "bare LF line ending";
    return ParseResult::kError;
  }
  std::string_view line(buf, static_cast<size_t>(eol - buf));
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
      line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9' ||
      (line.size() > 12 && line[12] != ' ')) {
    h->error = "bad status line";
    return ParseResult::kError;
  }
  h->version_minor = line[7] - '0';
  h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  h->reason = line.size() > 13 ? line.substr(13) : std::string_view();
  HeaderFacts f;
  ParseResult r = ParseHeaders(buf, len, nl + 1, false, h->headers, &h->num_headers, &h->head_len, &f, &h->error);
  if (r != ParseResult::kDone) return r;
  if (f.has_te && f.has_cl) {
    h->error = "both Content-Length and Transfer-Encoding";
    return ParseResult::kError;
  }
  h->keep_alive = h->version_minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
  h->content_length = f.cl;
  if (request_was_head || h->status < 200 || h->status == 204 || h->status == 304) {
    h->body = BodyKind::kNone;
  } else if (f.has_te) {
    h->body = f.te_chunked ? BodyKind::kChunked : BodyKind::kUntilClose;
  } else if (f.has_cl) {
    h->body = f.cl > 0 ? BodyKind::kLength : BodyKind::kNone;
  } else {
    h->body = BodyKind::kUntilClose;
  }
  if (h->body == BodyKind::kUntilClose) h->keep_alive = false;
  return ParseResult::kDone;
}

int64_t ChunkedDecoder::Feed(const char* p, size_t n) {
  size_t i = 0;
  while (i < n && state_ != State::kDone) {
    char c = p[i];
    switch (state_) {
      case State::kSize:
      case State::kSizeMore: {
        int d = (c >= '0' && c <= '9') ? c - '0' : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10 : -1;
        if (d >= 0) {
          if (++digits_ > 15) return -1;
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(d);
          state_ = State::kSizeMore;
        } else if (state_ == State::kSize) {
          return -1;
        } else if (c == ';') {
          state_ = State::kExt;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return -1;
        }
        ++i;
        break;
      }
      case State::kExt:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n' || (static_cast<unsigned char>(c) < 0x20 && c != '\t') || ++line_len_ > 4096) {
          return -1;
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return -1;
        ++i;
        line_len_ = 0;
        digits_ = 0;
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kData: {
        size_t take = n - i;
        if (take > remaining_) take = static_cast<size_t>(remaining_);
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return -1;
        ++i;
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return -1;
        ++i;
        state_ = State::kSize;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
        } else if (c == ' ' || c == '\t' || !kChars.tchar[static_cast<unsigned char>(c)]) {
          return -1;
        } else {
          state_ = State::kTrailerLine;
          line_len_ = 1;
        }
        ++i;
        break;
      case State::kTrailerLine:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!kChars.value[static_cast<unsigned char>(c)] || ++line_len_ > 8192) {
          return -1;
        }
        ++i;
        break;
      case State::kTrailerLf:
        if (c != '\n') return -1;
        ++i;
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return -1;
        ++i;
        state_ = State::kDone;
        break;
      case State::kDone:
        break;
    }
  }
  return static_cast<int64_t>(i);
}

void BodyFramer::Start(BodyKind kind, uint64_t content_length) {
  kind_ = kind;
  remaining_ = content_length;
  done_ = kind == BodyKind::kNone || (kind == BodyKind::kLength && content_length == 0);
  chunked_.Reset();
}

int64_t BodyFramer::Feed(const char* p, size_t n) {
  if (done_) return 0;
  switch (kind_) {
    case BodyKind::kNone:
      return 0;
    case BodyKind::kLength: {
      uint64_t take = n < remaining_ ? n : remaining_;
      remaining_ -= take;
      done_ = remaining_ == 0;
      return static_cast<int64_t>(take);
    }
    case BodyKind::kChunked: {
      int64_t r = chunked_.Feed(p, n);
      done_ = chunked_.done();
      return r;
    }
    case BodyKind::kUntilClose:
      return static_cast<int64_t>(n);
  }
  return -1;
}

}  // namespace stratus::lb
