#include "lb/http_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace stratus::lb {
namespace {

ParseResult ParseReq(const std::string& s, RequestHead* h) { return ParseRequestHead(s.data(), s.size(), h); }

TEST(RequestParser, SimpleGet) {
  RequestHead h;
  std::string s = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nCookie: a=b; AWSALB=t1\r\n\r\nNEXT";
  ASSERT_EQ(ParseReq(s, &h), ParseResult::kDone);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a/b?x=1");
  EXPECT_EQ(h.path, "/a/b");
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.cookie, "a=b; AWSALB=t1");
  EXPECT_EQ(h.head_len, s.size() - 4);
  EXPECT_EQ(h.body, BodyKind::kNone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_TRUE(h.idempotent);
}

TEST(RequestParser, IncompleteUntilBlankLine) {
  RequestHead h;
  EXPECT_EQ(ParseReq("GET / HTTP/1.1\r\nHost: a\r\n", &h), ParseResult::kIncomplete);
  EXPECT_EQ(ParseReq("GET / HTT", &h), ParseResult::kIncomplete);
}

TEST(RequestParser, KeepAliveRules) {
  RequestHead h;
  ASSERT_EQ(ParseReq("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &h), ParseResult::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(ParseReq("GET / HTTP/1.0\r\n\r\n", &h), ParseResult::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(ParseReq("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h), ParseResult::kDone);
  EXPECT_TRUE(h.keep_alive);
}

TEST(RequestParser, BodyFraming) {
  RequestHead h;
  ASSERT_EQ(ParseReq("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", &h), ParseResult::kDone);
  EXPECT_EQ(h.body, BodyKind::kLength);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_FALSE(h.idempotent);
  ASSERT_EQ(ParseReq("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &h), ParseResult::kDone);
  EXPECT_EQ(h.body, BodyKind::kChunked);
  // Identical duplicate Content-Length is tolerated (RFC 9112 6.3).
  ASSERT_EQ(ParseReq("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", &h),
            ParseResult::kDone);
}

// Every one of these must be refused (400), never forwarded.
TEST(RequestParser, SmugglingAndMalformed) {
  const char* bad[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET / HTTP/1.1\nHost: a\n\n",
      "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
      "GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
      "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
      " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET nopath HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n",
      "\r\n",
  };
  for (const char* b : bad) {
    RequestHead h;
    EXPECT_EQ(ParseReq(b, &h), ParseResult::kError) << b;
    EXPECT_NE(h.error, nullptr) << b;
  }
}

TEST(RequestParser, TooManyHeaders) {
  std::string s = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (size_t i = 0; i < kMaxHeaders + 1; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
  s += "\r\n";
  RequestHead h;
  EXPECT_EQ(ParseReq(s, &h), ParseResult::kError);
}

TEST(ResponseParser, Framing) {
  ResponseHead r;
  std::string s = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  ASSERT_EQ(ParseResponseHead(s.data(), s.size(), false, &r), ParseResult::kDone);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, BodyKind::kLength);
  EXPECT_TRUE(r.keep_alive);
  ASSERT_EQ(ParseResponseHead(s.data(), s.size(), true, &r), ParseResult::kDone);
  EXPECT_EQ(r.body, BodyKind::kNone);  // response to HEAD
  s = "HTTP/1.0 200 OK\r\n\r\n";
  ASSERT_EQ(ParseResponseHead(s.data(), s.size(), false, &r), ParseResult::kDone);
  EXPECT_EQ(r.body, BodyKind::kUntilClose);
  EXPECT_FALSE(r.keep_alive);
  s = "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n";
  ASSERT_EQ(ParseResponseHead(s.data(), s.size(), false, &r), ParseResult::kDone);
  EXPECT_EQ(r.body, BodyKind::kNone);
  s = "HTTP/1.1 200\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
  ASSERT_EQ(ParseResponseHead(s.data(), s.size(), false, &r), ParseResult::kDone);
  EXPECT_EQ(r.body, BodyKind::kChunked);
  s = "HTTP/1.1 2000 OK\r\n\r\n";
  EXPECT_EQ(ParseResponseHead(s.data(), s.size(), false, &r), ParseResult::kError);
  s = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(ParseResponseHead(s.data(), s.size(), false, &r), ParseResult::kError);
}

int64_t FeedAll(ChunkedDecoder* d, const std::string& s) { return d->Feed(s.data(), s.size()); }

TEST(ChunkedDecoder, ValidBodies) {
  std::string body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  ChunkedDecoder d;
  EXPECT_EQ(FeedAll(&d, body), static_cast<int64_t>(body.size() - 4));
  EXPECT_TRUE(d.done());
  // Byte by byte gives the same answer.
  ChunkedDecoder d2;
  size_t consumed = 0;
  for (char c : body) {
    if (d2.done()) break;
    consumed += static_cast<size_t>(d2.Feed(&c, 1));
  }
  EXPECT_TRUE(d2.done());
  EXPECT_EQ(consumed, body.size() - 4);
  ChunkedDecoder d3;
  EXPECT_EQ(FeedAll(&d3, "A\r\n0123"), 7);
  EXPECT_FALSE(d3.done());
}

TEST(ChunkedDecoder, InvalidSizes) {
  const char* bad[] = {"x\r\n", "\r\n", "-1\r\n", "5 \r\nhello\r\n", "ffffffffffffffff\r\n", "5\r\nhelloXX",
                       "5\nhello\r\n", "0x5\r\n", "5\r\nhello\r\n0\r\nbad trailer\x01\r\n"};
  for (const char* b : bad) {
    ChunkedDecoder d;
    EXPECT_EQ(FeedAll(&d, b), -1) << b;
  }
}

TEST(BodyFramer, Length) {
  BodyFramer f;
  f.Start(BodyKind::kLength, 5);
  EXPECT_EQ(f.Feed("abc", 3), 3);
  EXPECT_FALSE(f.done());
  EXPECT_EQ(f.Feed("defgh", 5), 2);
  EXPECT_TRUE(f.done());
  f.Start(BodyKind::kNone, 0);
  EXPECT_TRUE(f.done());
}

}  // namespace
}  // namespace stratus::lb
