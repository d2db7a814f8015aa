#include "image/recipe.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

TEST(RecipeTest, ParsesEveryDirective) {
  auto r = ParseRecipe(R"(# comment
base debian bookworm
packages nginx-light curl
packages curl
description a web server
file site/index.html /var/www/html/index.html mode=0644 owner=www-data:www-data
env A=1
run echo "$A" > /x && \
    echo two
env B="two words"
service web restart=on-failure /usr/sbin/nginx -g 'daemon off;'
port 80 443
healthcheck http 80 /healthz 200-299
sysctl net.core.somaxconn=1024
)");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->base, BaseKind::kDebian);
  EXPECT_EQ(r->base_ref, "bookworm");
  EXPECT_EQ(r->packages, (std::vector<std::string>{"curl", "nginx-light"}));
  ASSERT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(r->steps[0].kind, StepKind::kFile);
  EXPECT_EQ(r->steps[0].mode, 0644);
  EXPECT_EQ(r->steps[0].owner, "www-data:www-data");
  EXPECT_EQ(r->steps[0].line, 6);
  EXPECT_EQ(r->steps[1].command, "echo \"$A\" > /x && echo two");
  EXPECT_EQ(r->steps[1].line, 8);
  EXPECT_EQ(r->steps[1].env, (std::vector<std::string>{"A=1"}));
  EXPECT_EQ(r->config.env, (std::vector<std::string>{"A=1", "B=two words"}));
  ASSERT_EQ(r->config.services.size(), 1u);
  EXPECT_EQ(r->config.services[0].command,
            (std::vector<std::string>{"/usr/sbin/nginx", "-g", "daemon off;"}));
  EXPECT_EQ(r->config.services[0].restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(r->config.ports, (std::vector<int>{80, 443}));
  EXPECT_EQ(r->config.health_check.path, "/healthz");
  EXPECT_EQ(r->config.health_check.matcher, "200-299");
  EXPECT_EQ(r->config.sysctls.at(0).second, "1024");
  EXPECT_EQ(r->description, "a web server");
}

TEST(RecipeTest, BaseKinds) {
  EXPECT_EQ(ParseRecipe("base scratch\n")->base, BaseKind::kScratch);
  EXPECT_EQ(ParseRecipe("base busybox\n")->base, BaseKind::kBusybox);
  auto img = ParseRecipe("base ami-0123456789abcdef0\n");
  EXPECT_EQ(img->base, BaseKind::kImage);
  EXPECT_EQ(img->base_ref, "ami-0123456789abcdef0");
}

void ExpectError(const std::string& text, const std::string& fragment) {
  auto r = ParseRecipe(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(RecipeTest, ErrorsNameTheLine) {
  ExpectError("base busybox\n\nfrobnicate x\n", "line 3: unknown directive \"frobnicate\"");
  ExpectError("run echo\n", "line 1: the first directive must be base");
  ExpectError("", "no base line");
  ExpectError("base busybox\nbase scratch\n", "line 2: base given twice");
  ExpectError("base busybox\npackages nginx\n", "line 2: packages needs base debian");
  ExpectError("base debian\nrun true\npackages nginx\n", "line 3: packages must come before");
  ExpectError("base busybox\nport 99999\n", "line 2: port 99999");
  ExpectError("base busybox\nfile a /b mode=999\n", "line 2: mode 999");
  ExpectError("base busybox\nfile ../etc/passwd /b\n", "line 2: file source ../etc/passwd");
  ExpectError("base busybox\nfile a b\n", "must be an absolute path");
  ExpectError("base busybox\nservice web restart=sometimes x\n", "restart policy");
  ExpectError("base busybox\nservice web\n", "line 2: service needs");
  ExpectError("base busybox\nservice web 'unterminated\n", "unterminated");
  ExpectError("base scratch\nrun true\n", "line 2: run needs a shell");
  ExpectError("base busybox\nhealthcheck udp 53\n", "http or tcp");
  ExpectError("base busybox\nsysctl nonsense\n", "line 2: sysctl needs KEY=VALUE");
  ExpectError("base busybox\nenv 1X=2\n", "line 2: env needs KEY=VALUE");
  ExpectError("base busybox\nrun echo \\\n\n\nunknown x\n", "line 5: unknown directive");
}

TEST(RecipeTest, SplitWords) {
  auto w = SplitWords(R"(a "b c" 'd "e"' f\ g "h\"i")");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (std::vector<std::string>{"a", "b c", "d \"e\"", "f g", "h\"i"}));
  EXPECT_FALSE(SplitWords("\"open").ok());
}

}  // namespace
}  // namespace stratus
