#include "daemon/config_file.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

TEST(ConfigFile, KeysValuesCommentsAndQuotes) {
  auto entries = ParseConfigText(
      "# a comment\n\n  state-dir = /srv/stratus  \nlisten=127.0.0.1:7700 # trailing\n--name = x\nregion = \"a # b\"\n",
      "f.conf");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].key, "state-dir");
  EXPECT_EQ((*entries)[0].value, "/srv/stratus");
  EXPECT_EQ((*entries)[0].line, 3);
  EXPECT_EQ((*entries)[1].value, "127.0.0.1:7700");
  EXPECT_EQ((*entries)[2].key, "name");
  EXPECT_EQ((*entries)[3].value, "a # b");
}

TEST(ConfigFile, ErrorsNameFileLineAndKey) {
  auto no_equals = ParseConfigText("name = a\njust words\n", "/etc/stratus/stratusd.conf");
  ASSERT_FALSE(no_equals.ok());
  EXPECT_NE(no_equals.status().message().find("/etc/stratus/stratusd.conf:2: "), std::string::npos);
  auto twice = ParseConfigText("name = a\n\nname = b\n", "f");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("f:3: key name: set twice"), std::string::npos);
  auto quote = ParseConfigText("region = \"open\n", "f");
  ASSERT_FALSE(quote.ok());
  EXPECT_NE(quote.status().message().find("f:1: key region: unterminated quote"), std::string::npos);
  EXPECT_FALSE(ParseConfigText(" = 3\n", "f").ok());
}

}  // namespace
}  // namespace stratus
