#include "node/item_budget.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/testing/node_fixture.h"

namespace liaison::node {
namespace {

using testing::NodeFixture;

std::string NewJob(NodeFixture& f) { return f.NewJob("fin", "bravo", "match"); }


AllianceConfig Limits(uint64_t peer_items, uint64_t revealed) {
  AllianceConfig a;
  a.name = "fin";
  a.max_peer_items_per_day = peer_items;
  a.max_revealed_items_per_day = revealed;
  return a;
}

absl::Status Reserve(Store& store, const AllianceConfig& a, const std::string& job,
                     uint64_t peer_items, uint64_t revealed_worst) {
  return store.Write([&](internal::Db& db) {
    return ReserveItemsIn(db, a, "bravo", job, peer_items, revealed_worst);
  });
}

TEST(ItemBudgetTest, PeerItemsAreRefusedAtExactlyTheLimit) {
  NodeFixture f;
  const AllianceConfig a = Limits(10, 0);
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 4, 0).ok());
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 6, 0).ok());
  absl::Status over = Reserve(f.store(), a, NewJob(f), 1, 0);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << over;
  EXPECT_NE(over.message().find("max_peer_items_per_day is 10; 10 items"), std::string::npos)
      << over;
}

TEST(ItemBudgetTest, RevealedItemsCountDistinctDigestsAfterTheJob) {
  NodeFixture f;
  const AllianceConfig a = Limits(0, 5);
  const std::string k1 = "item-1", k2 = "item-2";
  const std::vector<const std::string*> revealed = {&k1, &k2};
  for (int i = 0; i < 3; ++i) {
    const std::string job = NewJob(f);
    // Worst case 3; after the job, the same two items: 2 distinct in all.
    ASSERT_TRUE(Reserve(f.store(), a, job, 3, 3).ok()) << i;
    ASSERT_TRUE(f.store().Write([&](internal::Db& db) {
      return RecordRevealedIn(db, job, revealed);
    }).ok());
  }
  const std::string job = NewJob(f);
  EXPECT_EQ(Reserve(f.store(), a, job, 4, 4).code(), absl::StatusCode::kResourceExhausted);
  // A peer that receives nothing reserves no revealed items.
  EXPECT_TRUE(Reserve(f.store(), a, job, 4, 0).ok());
}

TEST(ItemBudgetTest, AJobWithoutActualDigestsKeepsItsWorstCase) {
  NodeFixture f;
  const AllianceConfig a = Limits(0, 5);
  ASSERT_TRUE(Reserve(f.store(), a, NewJob(f), 3, 3).ok());
  EXPECT_EQ(Reserve(f.store(), a, NewJob(f), 3, 3).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 2, 2).ok());
}

}  // namespace
}  // namespace liaison::node
