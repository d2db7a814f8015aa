#include "aws/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/files.h"
#include "common/ids.h"

namespace stratus::aws {
namespace {

TEST(CredentialsTest, NewKeysLookLikeAws) {
  AccessKey k = NewAccessKey("stratus");
  EXPECT_EQ(k.id.size(), 20u);
  EXPECT_EQ(k.id.substr(0, 4), "AKIA");
  EXPECT_EQ(k.secret.size(), 40u);
  EXPECT_NE(NewAccessKey("stratus").id, k.id);
}

TEST(CredentialsTest, ParsesTheAwsFormat) {
  auto keys = ParseCredentialsFile("# c\n[default]\naws_access_key_id=AK1\naws_secret_access_key = S1\n"
                                   "region = x\n\n[ stratus ]\n aws_access_key_id = AK2 \naws_secret_access_key=S/2+\n"
                                   "[broken]\naws_access_key_id=AK3\n");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1].profile, "stratus");
  EXPECT_EQ(keys[1].id, "AK2");
  EXPECT_EQ(keys[1].secret, "S/2+");
  EXPECT_EQ(ParseCredentialsFile(FormatCredentialsFile(keys))[0].secret, "S1");
  auto lookup = LookupFromKeys(keys);
  EXPECT_EQ(lookup("AK1"), std::optional<std::string>("S1"));
  EXPECT_EQ(lookup("AK3"), std::nullopt);
}

TEST(CredentialsTest, KeysBeforeTheFirstSectionBelongToNoProfile) {
  auto keys = ParseCredentialsFile("aws_access_key_id=AK0\naws_secret_access_key=S0\n[stratus]\n"
                                   "aws_access_key_id=AK1\naws_secret_access_key=S1\n");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].id, "AK1");
}

TEST(CredentialsTest, CreatesOnceThenReloads) {
  std::string dir = "/tmp/stratus-aws-test-" + RandomHex(8);
  ASSERT_TRUE(MakeDirs(dir).ok());
  std::string path = dir + "/credentials";
  auto first = LoadOrCreateCredentials(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadOrCreateCredentials(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].id, (*first)[0].id);
  EXPECT_EQ((*again)[0].profile, "stratus");
  ASSERT_TRUE(WriteFileAtomic(path, "[stratus]\n", 0600).ok());
  EXPECT_FALSE(LoadOrCreateCredentials(path).ok());
  EXPECT_TRUE(RemoveAll(dir).ok());
}

}  // namespace
}  // namespace stratus::aws
