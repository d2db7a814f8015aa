#include "common/base64.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\0\xff", 2)), "AP8=");
  EXPECT_EQ(Base64Encode(std::string("\0\xff\xfe", 3)), "AP/+");
}

TEST(Base64Test, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string bytes = all.substr(0, n);
    auto strict = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(strict.ok()) << strict.status().ToString();
    EXPECT_EQ(*strict, bytes);
    EXPECT_EQ(*Base64Decode(Base64Encode(bytes), Base64Decoding::kLenient), bytes);
  }
}

TEST(Base64Test, StrictWantsWholePaddedGroupsOfTheStandardAlphabet) {
  EXPECT_EQ(*Base64Decode(""), "");
  EXPECT_EQ(*Base64Decode("Zm9v\r\nYmFy\n"), "foobar");  // line breaks are ignored
  EXPECT_EQ(*Base64Decode("Zg=="), "f");
  auto unpadded = Base64Decode("Zg");
  ASSERT_FALSE(unpadded.ok());
  EXPECT_EQ(unpadded.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(unpadded.status().message(), "invalid base64: length is not a multiple of 4");
  EXPECT_FALSE(Base64Decode("not base64!").ok());
  EXPECT_FALSE(Base64Decode("AP-_").ok());  // URL-safe alphabet
  EXPECT_FALSE(Base64Decode("Zg==Zg==").ok());  // data after padding
  EXPECT_FALSE(Base64Decode("Z===").ok());
}

TEST(Base64Test, LenientTakesMissingPaddingAndTheUrlSafeAlphabet) {
  EXPECT_EQ(*Base64Decode("aGVsbG8", Base64Decoding::kLenient), "hello");
  EXPECT_EQ(*Base64Decode("AP-_", Base64Decoding::kLenient), std::string("\0\xff\xbf", 3));
  EXPECT_EQ(*Base64Decode(" aGVs\tbG8= ", Base64Decoding::kLenient), "hello");
  EXPECT_FALSE(Base64Decode("a*b", Base64Decoding::kLenient).ok());
  EXPECT_FALSE(Base64Decode("Zg==Zg", Base64Decoding::kLenient).ok());
}

}  // namespace
}  // namespace stratus
