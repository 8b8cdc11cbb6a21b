#include "node/item_budget.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/testing/node_fixture.h"

namespace liaison::node {
namespace {

using testing::NodeFixture;

std::string NewJob(NodeFixture& f) { return f.NewJob("fin", "bravo", "match"); }


ItemLimits Limits(uint64_t peer_items, uint64_t revealed) {
  ItemLimits l;
  l.peer_items_per_day = peer_items;
  l.revealed_items_per_day = revealed;
  return l;
}

const std::string kBravo = "sha256:" + std::string(64, 'b');
const BudgetKey kKey{kBravo, "bravo", "fin", "ind", std::string(64, 'd')};

absl::Status Reserve(Store& store, const ItemLimits& l, const std::string& job,
                     uint64_t peer_items, uint64_t revealed_worst, const BudgetKey& key = kKey) {
  return store.Write([&](internal::Db& db) {
    return ReserveItemsIn(db, l, key, job, peer_items, revealed_worst);
  });
}

TEST(ItemBudgetTest, PeerItemsAreRefusedAtExactlyTheLimit) {
  NodeFixture f;
  const ItemLimits a = Limits(10, 0);
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 4, 0).ok());
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 6, 0).ok());
  absl::Status over = Reserve(f.store(), a, NewJob(f), 1, 0);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << over;
  EXPECT_NE(over.message().find("max_peer_items_per_day is 10; 10 items"), std::string::npos)
      << over;
}

TEST(ItemBudgetTest, RevealedItemsCountDistinctDigestsAfterTheJob) {
  NodeFixture f;
  const ItemLimits a = Limits(0, 5);
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
  const ItemLimits a = Limits(0, 5);
  ASSERT_TRUE(Reserve(f.store(), a, NewJob(f), 3, 3).ok());
  EXPECT_EQ(Reserve(f.store(), a, NewJob(f), 3, 3).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 2, 2).ok());
}

TEST(ItemBudgetTest, TheBudgetFollowsTheDataNotTheAllianceOrTheName) {
  NodeFixture f;
  const ItemLimits a = Limits(10, 0);
  ASSERT_TRUE(Reserve(f.store(), a, NewJob(f), 8, 0).ok());
  BudgetKey other_alliance = kKey;
  other_alliance.alliance = "ct";
  EXPECT_EQ(Reserve(f.store(), a, NewJob(f), 8, 0, other_alliance).code(),
            absl::StatusCode::kResourceExhausted);
  BudgetKey renamed = kKey;
  renamed.dataset = "ind-copy";
  absl::Status s = Reserve(f.store(), a, NewJob(f), 8, 0, renamed);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("the content of dataset ind-copy"), std::string::npos) << s;
  BudgetKey other_data = renamed;
  other_data.dataset_digest = std::string(64, 'e');
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 8, 0, other_data).ok());
}

TEST(ItemBudgetTest, GlobalLimitsSpanAllPeers) {
  NodeFixture f;
  ItemLimits a;
  a.global_peer_items_per_day = 10;
  ASSERT_TRUE(Reserve(f.store(), a, NewJob(f), 6, 0).ok());
  BudgetKey charlie = kKey;
  charlie.peer_fingerprint = "sha256:" + std::string(64, 'c');
  charlie.peer = "charlie";
  absl::Status s = Reserve(f.store(), a, NewJob(f), 6, 0, charlie);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("global_max_peer_items_per_day is 10"), std::string::npos) << s;
  EXPECT_TRUE(Reserve(f.store(), a, NewJob(f), 4, 0, charlie).ok());
}

TEST(ItemBudgetTest, LimitsAreTheSmallestAmongTheAlliancesThatGrantTheDataset) {
  Config c;
  c.datasets["ind"].name = "ind";
  c.datasets["ind"].global_max_revealed_items_per_day = 7;
  auto alliance = [&](const char* name, uint64_t peer_items, uint64_t revealed) {
    AllianceConfig a;
    a.name = name;
    a.members = {"bravo"};
    a.datasets["bravo"] = {"ind"};
    a.max_peer_items_per_day = peer_items;
    a.max_revealed_items_per_day = revealed;
    c.alliances[name] = a;
  };
  alliance("fin", 100, 0);
  alliance("ct", 0, 50);
  alliance("small", 30, 0);
  ItemLimits l = ItemLimitsFor(c, "bravo", "ind");
  EXPECT_EQ(l.peer_items_per_day, 30u);
  EXPECT_EQ(l.revealed_items_per_day, 50u);
  EXPECT_EQ(l.global_revealed_items_per_day, 7u);
  EXPECT_TRUE(ItemBudgetApplies(l));
  EXPECT_FALSE(ItemBudgetApplies(ItemLimitsFor(c, "charlie", "other")));
}

}  // namespace
}  // namespace liaison::node
