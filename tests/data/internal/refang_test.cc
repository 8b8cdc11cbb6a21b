#include "data/internal/refang.h"

#include "gtest/gtest.h"

namespace liaison::data::internal {
namespace {

struct Case {
  const char* in;
  const char* want;
};

TEST(RefangTest, UndoesEveryDefangForm) {
  const Case cases[] = {
      {"hxxp://a", "http://a"},
      {"hXXp://a", "http://a"},
      {"hXxps://a", "https://a"},
      {"HXXPS://a", "HttPS://a"},
      {"hxxp[:]//a", "http://a"},
      {"hxxps[://]a", "https://a"},
      {"a[.]b", "a.b"},
      {"a(.)b", "a.b"},
      {"a{.}b", "a.b"},
      {"a[dot]b", "a.b"},
      {"a(dot)b", "a.b"},
      {"a[DoT]b", "a.b"},
      {"a[at]b", "a@b"},
      {"a(at)b", "a@b"},
      {"a[@]b", "a@b"},
      {"a[AT]b", "a@b"},
      {"2001[:]db8[:][:]1", "2001:db8::1"},
      {"http[://]a", "http://a"},
  };
  for (const auto& c : cases) EXPECT_EQ(Refang(c.in), c.want) << c.in;
}

TEST(RefangTest, LeavesOrdinaryTextAlone) {
  for (const char* s : {"http://a.b/c", "hxxpexample.com", "x hxxp://a",
                        "a{dot}b", "a[d0t]b", "[x]", "(.", ""}) {
    EXPECT_EQ(Refang(s), s);
  }
}

TEST(RefangTest, OnlyTheLeadingSchemeIsRefanged) {
  EXPECT_EQ(Refang("hxxp://a/hxxp://b"), "http://a/hxxp://b");
}

TEST(RefangTest, ReachesAFixedPoint) {
  EXPECT_EQ(Refang("a([.])b"), "a.b");
  EXPECT_EQ(Refang("a[[.]]b"), "a.b");
  for (const char* s : {"a([.])b", "x[(at)]y", "[[[.]]]", "h[(.)]xxp"}) {
    std::string once = Refang(s);
    EXPECT_EQ(Refang(once), once) << s;
  }
}

}  // namespace
}  // namespace liaison::data::internal
