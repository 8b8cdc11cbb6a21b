#include "mpsi/quorum.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "crypto/prng.h"
#include "gtest/gtest.h"
#include "testing/faulty_channel.h"
#include "testing/n_parties.h"
#include "testing/n_party_sets.h"

namespace liaison::mpsi {
namespace {

using crypto::Block;
using testing::NPartySets;
using testing::Qualifying;

// Every test logs its seed (SCOPED_TRACE) so a failure can be replayed.
constexpr uint64_t kSeed = 0x71756f72;

QuorumParams Params(int t, bool show_count = true) {
  QuorumParams p;
  p.threshold = t;
  p.show_count = show_count;
  p.num_threads = 1;
  p.chunk_len = 1 << 10;
  return p;
}

std::vector<absl::StatusOr<QuorumOutput>> RunAll(const NPartySets& s, testing::NPartyMesh& mesh,
                                                 const std::function<QuorumParams(int)>& params) {
  return testing::RunNParties<QuorumOutput>(
      mesh, [&](int party, absl::Span<net::Channel* const> channels) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + party);
        return Quorum(params(party)).Run(party, channels, s.items[party], prng);
      });
}

std::vector<absl::StatusOr<QuorumOutput>> RunAll(const NPartySets& s, const QuorumParams& p,
                                                 const testing::NPartyOptions& options = {}) {
  testing::NPartyMesh mesh = testing::MakeMesh(static_cast<int>(s.items.size()), options);
  return RunAll(s, mesh, [&](int) { return p; });
}

void ExpectExact(const NPartySets& s, int t, bool show_count,
                 const std::vector<absl::StatusOr<QuorumOutput>>& got) {
  const std::vector<Qualifying> want = testing::Expected(s, t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("party " + std::to_string(i));
    ASSERT_TRUE(got[i].ok()) << got[i].status();
    EXPECT_EQ(got[i]->indices, want[i].indices);
    if (show_count) {
      EXPECT_EQ(got[i]->holders, want[i].holders);
    } else {
      EXPECT_EQ(got[i]->holders, std::vector<uint32_t>(want[i].indices.size(), 0));
    }
  }
}

void ExpectAllFail(const std::vector<absl::StatusOr<QuorumOutput>>& got) {
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("party " + std::to_string(i));
    EXPECT_FALSE(got[i].ok());
    EXPECT_NE(got[i].status().code(), absl::StatusCode::kDeadlineExceeded) << got[i].status();
  }
}

struct Case {
  int n;
  int t;
};

class QuorumExactTest : public ::testing::TestWithParam<Case> {};

// Items held by exactly k parties for every k, duplicates at party 1,
// unequal sizes: every party gets exactly its items with ≥ t holders, and
// how many.
TEST_P(QuorumExactTest, ItemsHeldByExactlyKMembersForEveryK) {
  const auto [n, t] = GetParam();
  SCOPED_TRACE("seed " + std::to_string(kSeed) + ", n " + std::to_string(n) + ", t " +
               std::to_string(t));
  std::vector<int> extra(n);
  for (int i = 0; i < n; ++i) extra[i] = 5 + 17 * i;
  const NPartySets s = testing::HolderPatternSets(n, 2, extra, 1, kSeed + n * 16 + t);
  ExpectExact(s, t, true, RunAll(s, Params(t)));
}

INSTANTIATE_TEST_SUITE_P(
    NAndT, QuorumExactTest,
    ::testing::Values(Case{3, 1}, Case{3, 2}, Case{3, 3}, Case{5, 1}, Case{5, 2}, Case{5, 3},
                      Case{5, 4}, Case{5, 5}, Case{10, 1}, Case{10, 2}, Case{10, 10}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return "n" + std::to_string(info.param.n) + "t" + std::to_string(info.param.t);
    });

TEST(QuorumTest, HiddenCountsGiveOnlyWhichItemsQualify) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(4, 3, {10, 0, 30, 5}, -1, kSeed + 1);
  ExpectExact(s, 2, false, RunAll(s, Params(2, false)));
}

TEST(QuorumTest, MediumSetsSeveralBatches) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  // 3 parties of 20k–40k items: several equality batches and OT pieces.
  std::mt19937_64 rng(kSeed + 2);
  NPartySets s;
  s.items.resize(3);
  for (int c = 0; c < 40000; ++c) {
    const Block b = testing::RandomBlock(rng);
    const int mask = 1 + static_cast<int>(rng() % 7);  // a non-empty subset of the parties
    for (int i = 0; i < 3; ++i) {
      if ((mask >> i) & 1) s.items[i].push_back(b);
    }
  }
  ExpectExact(s, 2, true, RunAll(s, Params(2)));
}

TEST(QuorumTest, EmptySets) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  NPartySets s = testing::HolderPatternSets(4, 2, {3, 3, 3, 3}, -1, kSeed + 3);
  s.items[2].clear();  // one empty set: the others still count among themselves
  ExpectExact(s, 2, true, RunAll(s, Params(2)));
  ExpectExact(s, 3, true, RunAll(s, Params(3)));
  NPartySets none;
  none.items.resize(3);
  ExpectExact(none, 2, true, RunAll(none, Params(2)));
}

TEST(QuorumTest, TwoPartiesWithThresholdOneReturnEveryItemWithItsCount) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(2, 10, {7, 9}, 0, kSeed + 4);
  ExpectExact(s, 1, true, RunAll(s, Params(1)));
}

TEST(QuorumTest, ThresholdZeroMeansEveryParty) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 3, {4, 4, 4}, -1, kSeed + 5);
  ExpectExact(s, 3, true, RunAll(s, Params(0)));
}

TEST(QuorumTest, BadArgumentsAreInvalidArgument) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  std::vector<net::Channel*> channels = {nullptr, mesh.ends[0][1].get(), mesh.ends[0][2].get()};
  const std::vector<Block> items = {Block(1, 1)};
  EXPECT_EQ(Quorum(Params(4)).Run(0, channels, items, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quorum(Params(-1)).Run(0, channels, items, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quorum(Params(2)).Run(1, channels, items, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  testing::NPartyMesh big = testing::MakeMesh(kMaxQuorumParties + 1);
  std::vector<net::Channel*> many(kMaxQuorumParties + 1, nullptr);
  for (int j = 1; j <= kMaxQuorumParties; ++j) many[j] = big.ends[0][j].get();
  EXPECT_EQ(Quorum(Params(2)).Run(0, many, items, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(QuorumTest, ADifferentThresholdIsFailedPrecondition) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 2, {4, 4, 4}, -1, kSeed + 6);
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  auto got = RunAll(s, mesh, [](int party) { return Params(party == 2 ? 1 : 2); });
  ExpectAllFail(got);
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kFailedPrecondition) << got[2].status();
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kFailedPrecondition) << got[0].status();
  testing::NPartyMesh mesh2 = testing::MakeMesh(3);
  auto hidden = RunAll(s, mesh2, [](int party) { return Params(2, party != 1); });
  ExpectAllFail(hidden);
  EXPECT_EQ(hidden[1].status().code(), absl::StatusCode::kFailedPrecondition);
}

// Leakage, as far as a test can see it: when one party's items held by
// fewer than t parties are replaced by fresh ones, every party's output and
// the number of messages and bytes on every link stay the same.
TEST(QuorumTest, InputsDifferingOnlyBelowTheThresholdLookAlike) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  constexpr int kN = 5, kT = 3;
  NPartySets a = testing::HolderPatternSets(kN, 3, {10, 10, 10, 10, 10}, -1, kSeed + 7);
  NPartySets b = a;
  std::mt19937_64 rng(kSeed + 8);
  const std::map<Block, uint32_t> holders = testing::Holders(a);
  size_t replaced = 0;
  for (Block& x : b.items[2]) {
    if (holders.at(x) < kT) {
      x = testing::RandomBlock(rng);
      ++replaced;
    }
  }
  ASSERT_GT(replaced, 10u);
  testing::NPartyMesh mesh_a = testing::MakeMesh(kN), mesh_b = testing::MakeMesh(kN);
  auto got_a = RunAll(a, mesh_a, [](int) { return Params(kT); });
  auto got_b = RunAll(b, mesh_b, [](int) { return Params(kT); });
  ExpectExact(a, kT, true, got_a);
  ExpectExact(b, kT, true, got_b);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(got_a[i]->indices, got_b[i]->indices) << "party " << i;
    EXPECT_EQ(got_a[i]->holders, got_b[i]->holders) << "party " << i;
    for (int j = 0; j < kN; ++j) {
      if (i == j) continue;
      EXPECT_EQ(mesh_a.ends[i][j]->bytes_sent(), mesh_b.ends[i][j]->bytes_sent());
      EXPECT_EQ(mesh_a.ends[i][j]->messages_sent(), mesh_b.ends[i][j]->messages_sent());
    }
  }
}

// Faults.

uint64_t MessagesSent(const NPartySets& s, int t, int from, int to) {
  testing::NPartyMesh mesh = testing::MakeMesh(static_cast<int>(s.items.size()));
  auto got = RunAll(s, mesh, [t](int) { return Params(t); });
  for (const auto& r : got) EXPECT_TRUE(r.ok()) << r.status();
  return mesh.ends[from][to]->messages_sent();
}

using testing::FaultOn;

TEST(QuorumFaultTest, MemberClosingMidRunStopsEveryPartyWithAnError) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  for (int n : {3, 5}) {
    const NPartySets s = testing::HolderPatternSets(n, 3, std::vector<int>(n, 20), -1, kSeed + 9);
    const uint64_t total = MessagesSent(s, 2, 2, 1);
    // Up to the output shares (the last message is the confirmation, after
    // which the others may rightly have finished).
    for (uint64_t at : {uint64_t{1}, total / 2, total - 2}) {
      SCOPED_TRACE("n " + std::to_string(n) + ", party 2 closes its link to 1 at message " +
                   std::to_string(at));
      auto got = RunAll(s, Params(2), FaultOn(2, 1, {.kind = testing::Fault::kCloseBefore,
                                                     .message_index = at}));
      ExpectAllFail(got);
      EXPECT_EQ(got[2].status().code(), absl::StatusCode::kUnavailable) << got[2].status();
    }
  }
}

TEST(QuorumFaultTest, GarbledHeaderIsDataLoss) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 10);
  for (testing::Fault fault :
       {testing::Fault{.kind = testing::Fault::kGarbage, .message_index = 0},
        testing::Fault{.kind = testing::Fault::kTruncate, .message_index = 0},
        testing::Fault{.kind = testing::Fault::kFlipByte, .message_index = 0, .byte_index = 6}}) {
    SCOPED_TRACE(fault.DebugString());
    auto got = RunAll(s, Params(2), FaultOn(1, 2, fault));
    EXPECT_EQ(got[2].status().code(), absl::StatusCode::kDataLoss) << got[2].status();
    ExpectAllFail(got);
  }
}

TEST(QuorumFaultTest, TruncatedOutputShareIsDataLoss) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 11);
  // The last message party 1 sends party 2 is its confirmation; the one
  // before, its share of 2's outputs.
  const uint64_t total = MessagesSent(s, 2, 1, 2);
  auto got = RunAll(s, Params(2), FaultOn(1, 2, {.kind = testing::Fault::kTruncate,
                                                 .message_index = total - 2}));
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kDataLoss) << got[2].status();
  ExpectAllFail(got);
}

// Every fault kind on a spread of the messages of one link (the header,
// the membership steps, the rotations, the outputs, the confirmation): no
// crash, no hang, only the documented codes. (A flipped byte inside an OT
// or table message is not detectable in the semi-honest model: results are
// not checked.)
TEST(QuorumFaultTest, EveryFaultOnEveryMessageEndsWithADocumentedCode) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 2, std::vector<int>(3, 5), -1, kSeed + 12);
  const uint64_t total = MessagesSent(s, 2, 2, 0);
  const uint64_t stride = std::max<uint64_t>(1, total / 6);
  for (uint64_t at = 0; at < total; at += (at + 3 >= total ? 1 : stride)) {
    for (testing::Fault::Kind kind : testing::AllFaultKinds()) {
      if (kind == testing::Fault::kOversize) continue;  // mpsi_test covers the limit
      testing::Fault fault{.kind = kind, .message_index = at};
      SCOPED_TRACE("2 → 0: " + fault.DebugString());
      auto got = RunAll(s, Params(2), FaultOn(2, 0, fault));
      for (size_t i = 0; i < got.size(); ++i) {
        if (got[i].ok()) continue;
        const absl::StatusCode code = got[i].status().code();
        EXPECT_TRUE(code == absl::StatusCode::kDataLoss ||
                    code == absl::StatusCode::kUnavailable ||
                    code == absl::StatusCode::kFailedPrecondition ||
                    code == absl::StatusCode::kInvalidArgument)
            << "party " << i << ": " << got[i].status();
      }
    }
  }
}

}  // namespace
}  // namespace liaison::mpsi
