#include "base/secret.h"

#include <type_traits>

#include "gtest/gtest.h"

namespace liaison {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_constructible_v<SecretArray<32>>);

TEST(SecretTest, MoveLeavesSourceWiped) {
  SecretArray<4> a;
  a.data()[0] = 9;
  SecretArray<4> b = std::move(a);
  EXPECT_EQ(b.data()[0], 9);
  EXPECT_EQ(a.data()[0], 0);  // NOLINT(bugprone-use-after-move): checks the wipe.
}

TEST(SecretTest, CloneCopiesExplicitly) {
  SecretBytes a(3);
  a.data()[1] = 5;
  SecretBytes b = a.Clone();
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.data()[1], 5);
}

TEST(SecretTest, ConstantTimeEqualComparesContentAndLength) {
  uint8_t x[3] = {1, 2, 3}, y[3] = {1, 2, 3}, z[3] = {1, 2, 4};
  EXPECT_TRUE(ConstantTimeEqual(x, y));
  EXPECT_FALSE(ConstantTimeEqual(x, z));
  EXPECT_FALSE(ConstantTimeEqual(absl::MakeConstSpan(x, 2), y));
}

}  // namespace
}  // namespace liaison
