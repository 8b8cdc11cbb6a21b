#include "node/privacy_ledger.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

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

const LedgerKey kKey{"fincrime", "bravo", "accounts"};

TEST(PrivacyLedgerTest, ABudgetOfOneAdmitsExactlyTenJobsOfOneTenth) {
  NodeFixture f;
  const PrivacyAmount budget = Amount("1");
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
    t = SpentIn(db, kKey);
    return t.status();
  }).ok());
  EXPECT_EQ(t->num_charges, 10u);
  EXPECT_TRUE(t->spent.epsilon == 1);
}

TEST(PrivacyLedgerTest, DeltaIsBudgetedSeparately) {
  NodeFixture f;
  const PrivacyAmount budget = Amount("10", "0.000002");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1", "1e-6"), budget).ok());
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1", "1e-6"), budget).ok());
  EXPECT_EQ(Reserve(f.store(), kKey, NewJob(f), Amount("1", "1e-7"), budget)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  // A pure-DP answer (delta 0) still fits.
  EXPECT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1"), budget).ok());
}

TEST(PrivacyLedgerTest, KeysAreIndependent) {
  NodeFixture f;
  const PrivacyAmount budget = Amount("1");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("1"), budget).ok());
  for (const LedgerKey& other : {LedgerKey{"fincrime", "charlie", "accounts"},
                                 LedgerKey{"fincrime", "bravo", "cases"},
                                 LedgerKey{"terror", "bravo", "accounts"}}) {
    EXPECT_TRUE(Reserve(f.store(), other, NewJob(f), Amount("1"), budget).ok());
  }
  EXPECT_FALSE(Reserve(f.store(), kKey, NewJob(f), Amount("0.001"), budget).ok());
}

TEST(PrivacyLedgerTest, TheLedgerSurvivesReopeningTheStore) {
  NodeFixture f;
  const PrivacyAmount budget = Amount("1");
  ASSERT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("0.75"), budget).ok());
  f.Reopen();
  EXPECT_EQ(Reserve(f.store(), kKey, NewJob(f), Amount("0.5"), budget).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Reserve(f.store(), kKey, NewJob(f), Amount("0.25"), budget).ok());
}

TEST(PrivacyLedgerTest, ConcurrentJobsCannotOverspendTogether) {
  NodeFixture f;
  const PrivacyAmount budget = Amount("1");
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
  EXPECT_EQ(Reserve(f.store(), kKey, NewJob(f), Amount("0"), Amount("1")).status().code(),
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
