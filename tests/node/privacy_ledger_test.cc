#include "node/privacy_ledger.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dp/rational.h"
#include "gtest/gtest.h"
#include "node/testing/node_fixture.h"

namespace liaison::node {
namespace {

PrivacyAmount Amount(const char* epsilon, const char* delta = "") {
  auto a = ParsePrivacyAmount("test", epsilon, delta);
  EXPECT_TRUE(a.ok()) << a.status();
  return *a;
}


using testing::NodeFixture;

std::string NewJob(NodeFixture& f) { return f.NewJob("fincrime", "bravo", "count"); }

const std::string kBravo = "sha256:" + std::string(64, 'b');
const std::string kCharlie = "sha256:" + std::string(64, 'c');
const std::string kContent(64, 'd');
const BudgetKey kKey{kBravo, "bravo", "fincrime", "accounts", kContent};

// Budget is a per-peer budget without a global one.
PrivacyBudgets Budget(const char* epsilon, const char* delta = "") {
  return PrivacyBudgets{Amount(epsilon, delta), std::nullopt};
}

// Spent returns the ε spent in the ledger `scope`, exactly.
std::string Spent(NodeFixture& f, const LedgerScope& scope) {
  absl::StatusOr<LedgerTotals> t;
  EXPECT_TRUE(f.store().Read([&](internal::Db& db) -> absl::Status {
    t = SpentIn(db, scope);
    return t.status();
  }).ok());
  return t.ok() ? dp::FormatRational(t->spent.epsilon) : "(error)";
}

TEST(PrivacyLedgerTest, ABudgetOfOneAdmitsExactlyTenJobsOfOneTenth) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("1");
  for (int i = 0; i < 10; ++i) {
    auto t = Reserve(f.store(), kKey, NewJob(f), Amount("0.1"), budget);
    ASSERT_TRUE(t.ok()) << i << ": " << t.status();
    EXPECT_EQ(t->num_charges, static_cast<uint64_t>(i + 1));
  }
  auto eleventh = Reserve(f.store(), kKey, NewJob(f), Amount("0.1"), budget);
  EXPECT_EQ(eleventh.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(eleventh.status().message().find("spent epsilon 1, delta 0 in 10 answers"),
            std::string::npos)
      << eleventh.status();
  // Nothing was written for the refused job.
  absl::StatusOr<LedgerTotals> t;
  ASSERT_TRUE(f.store().Read([&](internal::Db& db) -> absl::Status {
    t = SpentIn(db, LedgerScope{kBravo, "accounts", ""});
    return t.status();
  }).ok());
  EXPECT_EQ(t->num_charges, 10u);
  EXPECT_TRUE(t->spent.epsilon == 1);
}

TEST(PrivacyLedgerTest, DeltaIsBudgetedSeparately) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("10", "0.000002");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1", "1e-6"), budget).ok());
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1", "1e-6"), budget).ok());
  EXPECT_EQ(Reserve(f.store(), kKey, NewJob(f), Amount("1", "1e-7"), budget)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  // A pure-DP answer (delta 0) still fits.
  EXPECT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1"), budget).ok());
}

TEST(PrivacyLedgerTest, OtherPeersAndOtherDataHaveTheirOwnBudgets) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("1");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1"), budget).ok());
  const std::string other_content(64, 'e');
  for (const BudgetKey& other :
       {BudgetKey{kCharlie, "charlie", "fincrime", "accounts", kContent},
        BudgetKey{kBravo, "bravo", "fincrime", "cases", other_content}}) {
    EXPECT_TRUE(Reserve(f.store(), other, NewJob(f), Amount("1"), budget).ok());
  }
  EXPECT_FALSE(Reserve(f.store(), kKey, NewJob(f), Amount("0.001"), budget).ok());
}

TEST(PrivacyLedgerTest, AnotherAllianceOrAnotherNameOfTheSameContentSharesTheBudget) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("1");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("0.6"), budget).ok());
  // The same dataset through another alliance, and under the peer's other
  // name: the same key, the same ledgers.
  BudgetKey via_terror = kKey;
  via_terror.alliance = "terror";
  via_terror.peer = "bravo-2";
  auto t = Reserve(f.store(), via_terror, NewJob(f), Amount("0.6"), budget);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(t.status().message().find("for dataset accounts (all alliances together)"),
            std::string::npos)
      << t.status();
  // The same content under another dataset name.
  BudgetKey renamed = kKey;
  renamed.dataset = "accounts-copy";
  t = Reserve(f.store(), renamed, NewJob(f), Amount("0.6"), budget);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(t.status().message().find("for the content of dataset accounts-copy"),
            std::string::npos)
      << t.status();
  // A new content of the same name (the file changed) is still the name's.
  BudgetKey changed = kKey;
  changed.dataset_digest = std::string(64, 'e');
  t = Reserve(f.store(), changed, NewJob(f), Amount("0.6"), budget);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Reserve(f.store(), renamed, NewJob(f), Amount("0.4"), budget).ok());
  EXPECT_EQ(Spent(f, LedgerScope{kBravo, "accounts", ""}), "3/5");
  EXPECT_EQ(Spent(f, LedgerScope{kBravo, "", kContent}), "1");
}

TEST(PrivacyLedgerTest, AGlobalBudgetSpansAllPeers) {
  NodeFixture f;
  PrivacyBudgets budget = Budget("1");
  budget.global = Amount("1.5");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1"), budget).ok());
  const BudgetKey charlie{kCharlie, "charlie", "fincrime", "accounts", kContent};
  auto t = Reserve(f.store(), charlie, NewJob(f), Amount("0.6"), budget);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(t.status().message().find("global privacy budget of dataset accounts (all peers"),
            std::string::npos)
      << t.status();
  EXPECT_TRUE(Reserve(f.store(), charlie, NewJob(f), Amount("0.5"), budget).ok());
  EXPECT_EQ(Spent(f, LedgerScope{"", "accounts", ""}), "3/2");
}

TEST(PrivacyLedgerTest, SettlingMovesAnUnusedChargeToTheContentInUse) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("1");
  const std::string job = NewJob(f);
  BudgetKey unknown = kKey;
  unknown.dataset_digest = "";  // the file could not be read at submission
  ASSERT_TRUE(Reserve(f.store(), unknown, job, Amount("0.6"), budget).ok());
  BudgetKey renamed = kKey;
  renamed.dataset = "accounts-copy";
  ASSERT_TRUE(Reserve(f.store(), renamed, NewJob(f), Amount("0.6"), budget).ok());
  // The job now reads content kContent, which has only 0.4 left.
  absl::Status settled = f.store().Write([&](internal::Db& db) {
    return SettleContentIn(db, job, kContent, budget);
  });
  EXPECT_EQ(settled.code(), absl::StatusCode::kResourceExhausted) << settled;
  EXPECT_EQ(Spent(f, LedgerScope{kBravo, "", kContent}), "3/5");
  // Another content has room: the charge moves there, once.
  const std::string fresh(64, 'f');
  for (int i = 0; i < 2; ++i) {
    settled = f.store().Write([&](internal::Db& db) {
      return SettleContentIn(db, job, fresh, budget);
    });
    EXPECT_TRUE(settled.ok()) << settled;
  }
  EXPECT_EQ(Spent(f, LedgerScope{kBravo, "", fresh}), "3/5");
  EXPECT_EQ(Spent(f, LedgerScope{kBravo, "accounts", ""}), "3/5");
  // A job without a charge settles trivially.
  const std::string uncharged = NewJob(f);
  EXPECT_TRUE(f.store().Write([&](internal::Db& db) {
    return SettleContentIn(db, uncharged, fresh, budget);
  }).ok());
}

TEST(PrivacyLedgerTest, BudgetsAreTheSmallestAmongTheAlliancesThatGrantTheDataset) {
  Config c;
  c.peers["bravo"] = PeerConfig{"bravo", "127.0.0.1:1", kBravo};
  c.datasets["accounts"].name = "accounts";
  auto alliance = [&](const char* name, const char* epsilon, const char* delta) {
    AllianceConfig a;
    a.name = name;
    a.members = {"bravo"};
    a.datasets["bravo"] = {"accounts"};
    a.dp = DpBudget{epsilon, delta};
    c.alliances[name] = a;
  };
  alliance("fincrime", "2", "0.000001");
  alliance("terror", "0.5", "0.001");
  auto b = PrivacyBudgetsFor(c, "bravo", "accounts");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->per_peer.epsilon == mpq_class(1, 2));
  EXPECT_TRUE(b->per_peer.delta == mpq_class(1, 1000000));
  EXPECT_FALSE(b->global.has_value());
  c.datasets["accounts"].dp_global = DpBudget{"3", "0.01"};
  b = PrivacyBudgetsFor(c, "bravo", "accounts");
  ASSERT_TRUE(b.ok() && b->global.has_value());
  EXPECT_TRUE(b->global->epsilon == 3);
  // An alliance that does not grant the dataset does not count.
  c.alliances["terror"].datasets["bravo"] = {};
  b = PrivacyBudgetsFor(c, "bravo", "accounts");
  EXPECT_TRUE(b->per_peer.epsilon == 2);
  EXPECT_EQ(PrivacyBudgetsFor(c, "bravo", "cases").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PrivacyLedgerTest, TheLedgerSurvivesReopeningTheStore) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("1");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("0.75"), budget).ok());
  f.Reopen();
  EXPECT_EQ(Reserve(f.store(), kKey, NewJob(f), Amount("0.5"), budget).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("0.25"), budget).ok());
}

TEST(PrivacyLedgerTest, ConcurrentJobsCannotOverspendTogether) {
  NodeFixture f;
  const PrivacyBudgets budget = Budget("1");
  // Eight threads race to charge 0.3 each: exactly three may succeed.
  std::vector<std::string> jobs;
  for (int i = 0; i < 8; ++i) jobs.push_back(NewJob(f));
  std::atomic<int> ok{0}, exhausted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto t = Reserve(f.store(), kKey, jobs[i], Amount("0.3"), budget);
      if (t.ok()) ++ok;
      if (t.status().code() == absl::StatusCode::kResourceExhausted) ++exhausted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(exhausted.load(), 5);
}

TEST(PrivacyLedgerTest, ChargesAndBudgetsAreValidated) {
  EXPECT_FALSE(ParsePrivacyAmount("x", "-1", "").ok());
  EXPECT_FALSE(ParsePrivacyAmount("x", "abc", "").ok());
  EXPECT_FALSE(ParsePrivacyAmount("x", "1", "1").ok());
  auto a = ParsePrivacyAmount("budget", "0.5", "");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->delta == 0);
  NodeFixture f;
  EXPECT_EQ(Reserve(f.store(), kKey, NewJob(f), Amount("0"), Budget("1")).status().code(),
            absl::StatusCode::kInvalidArgument);
  AllianceConfig no_dp;
  no_dp.name = "open";
  EXPECT_EQ(BudgetOf(no_dp).status().code(), absl::StatusCode::kFailedPrecondition);
  AllianceConfig with_dp = no_dp;
  with_dp.dp = DpBudget{"2", "0.000001"};
  auto b = BudgetOf(with_dp);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->epsilon == 2);
  EXPECT_TRUE(b->delta == mpq_class(1, 1000000));
}

}  // namespace
}  // namespace liaison::node
