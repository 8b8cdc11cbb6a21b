#include "mpsi/quorum.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/status.h"
#include "crypto/prng.h"
#include "dp/sampler.h"
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

template <typename T>
void ExpectAllFail(const std::vector<absl::StatusOr<T>>& got) {
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

// Count-only (section 4.6): every party learns the number of distinct
// items held by ≥ t parties, exactly, and nothing else.

QuorumParams CountParams(int t, std::optional<psi::DpAggregateSpec> dp = std::nullopt) {
  QuorumParams p = Params(t);
  p.count_only = true;
  p.dp = std::move(dp);
  return p;
}

// NoiseSeed is the logged seed of party i's noise.
uint64_t NoiseSeed(int party) { return kSeed + 1000 + party; }

std::vector<absl::StatusOr<QuorumCount>> CountAll(
    const NPartySets& s, testing::NPartyMesh& mesh,
    const std::function<QuorumParams(int)>& params) {
  return testing::RunNParties<QuorumCount>(
      mesh, [&](int party, absl::Span<net::Channel* const> channels) -> absl::StatusOr<QuorumCount> {
        const QuorumParams p = params(party);
        QuorumNoise noise;
        if (p.dp) {
          crypto::Prng noise_prng = crypto::Prng::FromTestSeed(NoiseSeed(party));
          LIAISON_ASSIGN_OR_RETURN(noise, QuorumNoise::Draw(*p.dp, noise_prng));
        }
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + party);
        return Quorum(p).Count(party, channels, s.items[party], std::move(noise), prng);
      });
}

std::vector<absl::StatusOr<QuorumCount>> CountAll(const NPartySets& s, const QuorumParams& p,
                                                  const testing::NPartyOptions& options = {}) {
  testing::NPartyMesh mesh = testing::MakeMesh(static_cast<int>(s.items.size()), options);
  return CountAll(s, mesh, [&](int) { return p; });
}

void ExpectCount(const NPartySets& s, int t, const std::vector<absl::StatusOr<QuorumCount>>& got) {
  const int64_t want = testing::ExpectedCount(s, t);
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("party " + std::to_string(i));
    ASSERT_TRUE(got[i].ok()) << got[i].status();
    EXPECT_EQ(got[i]->estimate, want);
    EXPECT_EQ(got[i]->num_noises, 0);
  }
}

class QuorumCountTest : public ::testing::TestWithParam<Case> {};

// Items held by exactly k parties for every k, duplicates, unequal sizes:
// every party gets the exact number of distinct items with ≥ t holders
// (t = n counts the intersection over one query).
TEST_P(QuorumCountTest, CountsDistinctItemsHeldByAtLeastT) {
  const auto [n, t] = GetParam();
  SCOPED_TRACE("seed " + std::to_string(kSeed) + ", n " + std::to_string(n) + ", t " +
               std::to_string(t));
  std::vector<int> extra(n);
  for (int i = 0; i < n; ++i) extra[i] = 3 + 11 * i;
  const NPartySets s = testing::HolderPatternSets(n, 2, extra, 1, kSeed + 40 + n * 16 + t);
  ExpectCount(s, t, CountAll(s, CountParams(t)));
}

INSTANTIATE_TEST_SUITE_P(
    NAndT, QuorumCountTest,
    ::testing::Values(Case{3, 1}, Case{3, 2}, Case{3, 3}, Case{5, 1}, Case{5, 2}, Case{5, 3},
                      Case{5, 4}, Case{5, 5}, Case{4, 1}, Case{2, 2}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return "n" + std::to_string(info.param.n) + "t" + std::to_string(info.param.t);
    });

TEST(QuorumCountTest, EmptySetsCountZeroOrAmongTheOthers) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  NPartySets s = testing::HolderPatternSets(4, 2, {3, 3, 3, 3}, 0, kSeed + 41);
  s.items[2].clear();
  for (int t = 1; t <= 4; ++t) {
    SCOPED_TRACE("t " + std::to_string(t));
    ExpectCount(s, t, CountAll(s, CountParams(t)));
  }
  NPartySets none;
  none.items.resize(3);
  ExpectCount(none, 1, CountAll(none, CountParams(1)));
  ExpectCount(none, 3, CountAll(none, CountParams(3)));
}

// Leakage: replacing one party's items held by fewer than t parties
// changes neither the opened count nor any link's bytes or messages.
TEST(QuorumCountTest, InputsDifferingOnlyBelowTheThresholdLookAlike) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  constexpr int kN = 5, kT = 3;
  NPartySets a = testing::HolderPatternSets(kN, 3, {10, 10, 10, 10, 10}, -1, kSeed + 42);
  NPartySets b = a;
  std::mt19937_64 rng(kSeed + 43);
  const std::map<Block, uint32_t> holders = testing::Holders(a);
  for (Block& x : b.items[1]) {
    if (holders.at(x) < kT) x = testing::RandomBlock(rng);
  }
  testing::NPartyMesh mesh_a = testing::MakeMesh(kN), mesh_b = testing::MakeMesh(kN);
  auto got_a = CountAll(a, mesh_a, [](int) { return CountParams(kT); });
  auto got_b = CountAll(b, mesh_b, [](int) { return CountParams(kT); });
  ExpectCount(a, kT, got_a);
  ExpectCount(b, kT, got_b);
  for (int i = 0; i < kN; ++i) {
    for (int j = 0; j < kN; ++j) {
      if (i == j) continue;
      EXPECT_EQ(mesh_a.ends[i][j]->bytes_sent(), mesh_b.ends[i][j]->bytes_sent());
      EXPECT_EQ(mesh_a.ends[i][j]->messages_sent(), mesh_b.ends[i][j]->messages_sent());
    }
  }
}

psi::DpAggregateSpec CountSpec(mpq_class epsilon, std::optional<mpq_class> delta = std::nullopt) {
  psi::DpAggregateSpec spec;
  spec.kind = psi::AggregateKind::kCount;
  spec.epsilon = epsilon;
  spec.delta = std::move(delta);
  return spec;
}

// DP: each party's release is the true count plus the noises of the n − 1
// other parties, each drawn once from that party's logged seed.
TEST(QuorumCountTest, DpReleaseIsTheCountPlusEveryOtherPartysNoiseOnce) {
  constexpr int kN = 4, kT = 2;
  const NPartySets s = testing::HolderPatternSets(kN, 3, {5, 6, 7, 8}, 2, kSeed + 44);
  const int64_t truth = testing::ExpectedCount(s, kT);
  for (const psi::DpAggregateSpec& spec :
       {CountSpec(mpq_class(1, 4)), CountSpec(mpq_class(1, 2), mpq_class(1, 1000000))}) {
    SCOPED_TRACE("seed " + std::to_string(kSeed) + ", noise seeds " +
                 std::to_string(NoiseSeed(0)) + "…, delta " + (spec.delta ? "set" : "none"));
    auto got = CountAll(s, CountParams(kT, spec));
    std::vector<int64_t> noise(kN);
    bool any_nonzero = false;
    for (int i = 0; i < kN; ++i) {
      crypto::Prng prng = crypto::Prng::FromTestSeed(NoiseSeed(i));
      absl::StatusOr<QuorumNoise> drawn = QuorumNoise::Draw(spec, prng);
      ASSERT_TRUE(drawn.ok()) << drawn.status();
      crypto::Prng again = crypto::Prng::FromTestSeed(NoiseSeed(i));
      noise[i] = dp::SampleNoise(drawn->mechanism()->noise, again).value();
      any_nonzero = any_nonzero || noise[i] != 0;
    }
    EXPECT_TRUE(any_nonzero);
    for (int i = 0; i < kN; ++i) {
      SCOPED_TRACE("party " + std::to_string(i));
      ASSERT_TRUE(got[i].ok()) << got[i].status();
      int64_t others = 0;
      for (int j = 0; j < kN; ++j) others += j == i ? 0 : noise[j];
      EXPECT_EQ(got[i]->estimate, truth + others);
      EXPECT_EQ(got[i]->num_noises, kN - 1);
      ASSERT_TRUE(got[i]->mechanism.has_value());
    }
  }
}

// Loosely, the noise distribution: Draw calibrates a count (sensitivity
// 1) to the discrete Laplace of scale 1/ε, or with δ the discrete
// Gaussian, and draws from it with dp::SampleNoise (the test above checks
// the values drawn against SampleNoise's exactly); 4000 draws of scale 4
// have mean ≈ 0 and variance ≈ 2q/(1 − q)² ≈ 31.5 (q = e^(−1/4)).
TEST(QuorumCountTest, NoiseIsTheCalibratedDiscreteLaplaceOrGaussian) {
  SCOPED_TRACE("seed " + std::to_string(kSeed + 45));
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 45);
  absl::StatusOr<QuorumNoise> laplace = QuorumNoise::Draw(CountSpec(mpq_class(1, 4)), prng);
  ASSERT_TRUE(laplace.ok()) << laplace.status();
  ASSERT_EQ(laplace->mechanism()->noise.kind(), dp::NoiseKind::kDiscreteLaplace);
  EXPECT_EQ(laplace->mechanism()->noise.parameter(), mpq_class(4));
  absl::StatusOr<QuorumNoise> gauss =
      QuorumNoise::Draw(CountSpec(mpq_class(1), mpq_class(1, 1000000)), prng);
  ASSERT_TRUE(gauss.ok()) << gauss.status();
  EXPECT_EQ(gauss->mechanism()->noise.kind(), dp::NoiseKind::kDiscreteGaussian);
  double sum = 0, sum2 = 0;
  constexpr int kDraws = 4000;
  for (int i = 0; i < kDraws; ++i) {
    const double x =
        static_cast<double>(dp::SampleNoise(laplace->mechanism()->noise, prng).value());
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / kDraws, var = sum2 / kDraws - mean * mean;
  EXPECT_LT(std::abs(mean), 0.6);
  EXPECT_GT(var, 25.0);
  EXPECT_LT(var, 38.0);
}

TEST(QuorumCountTest, DifferentDpParametersOrModesAreFailedPrecondition) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 2, {4, 4, 4}, -1, kSeed + 46);
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  auto got = CountAll(s, mesh, [](int party) {
    return CountParams(2, CountSpec(party == 1 ? mpq_class(1, 2) : mpq_class(1)));
  });
  ExpectAllFail(got);
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kFailedPrecondition) << got[1].status();
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kFailedPrecondition) << got[0].status();
  // A count-only party against parties running the item output.
  testing::NPartyMesh mesh2 = testing::MakeMesh(3);
  auto mixed = testing::RunNParties<int>(
      mesh2, [&](int party, absl::Span<net::Channel* const> channels) -> absl::StatusOr<int> {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + party);
        if (party == 0) {
          LIAISON_RETURN_IF_ERROR(
              Quorum(CountParams(2)).Count(0, channels, s.items[0], QuorumNoise(), prng).status());
        } else {
          LIAISON_RETURN_IF_ERROR(
              Quorum(Params(2)).Run(party, channels, s.items[party], prng).status());
        }
        return 0;
      });
  ExpectAllFail(mixed);
  EXPECT_EQ(mixed[0].status().code(), absl::StatusCode::kFailedPrecondition) << mixed[0].status();
}

TEST(QuorumCountTest, BadArgumentsAreInvalidArgument) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  std::vector<net::Channel*> channels = {nullptr, mesh.ends[0][1].get(), mesh.ends[0][2].get()};
  const std::vector<Block> items = {Block(1, 1)};
  auto code = [&](const QuorumParams& p, QuorumNoise noise) {
    return Quorum(p).Count(0, channels, items, std::move(noise), prng).status().code();
  };
  EXPECT_EQ(code(Params(2), QuorumNoise()), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(CountParams(2, CountSpec(1)), QuorumNoise()), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<QuorumNoise> drawn = QuorumNoise::Draw(CountSpec(1), prng);
  ASSERT_TRUE(drawn.ok());
  EXPECT_EQ(code(CountParams(2), *std::move(drawn)), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<QuorumNoise> other = QuorumNoise::Draw(CountSpec(2), prng);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(code(CountParams(2, CountSpec(1)), *std::move(other)),
            absl::StatusCode::kInvalidArgument);
  QuorumParams reveal = CountParams(2);
  reveal.reveal = QuorumReveal::kAll;
  EXPECT_EQ(code(reveal, QuorumNoise()), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quorum(CountParams(2)).Run(0, channels, items, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  // ε so small that the noise could overflow the opened total.
  EXPECT_EQ(QuorumNoise::Draw(CountSpec(mpq_class(1, uint64_t{1} << 40)), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  psi::DpAggregateSpec sum = CountSpec(1);
  sum.kind = psi::AggregateKind::kSum;
  EXPECT_EQ(QuorumNoise::Draw(sum, prng).status().code(), absl::StatusCode::kInvalidArgument);
  // t = 1 needs a spare position of the one-hot vector: at most 15 parties.
  testing::NPartyMesh big = testing::MakeMesh(kMaxQuorumParties);
  std::vector<net::Channel*> many(kMaxQuorumParties, nullptr);
  for (int j = 1; j < kMaxQuorumParties; ++j) many[j] = big.ends[0][j].get();
  EXPECT_EQ(Quorum(CountParams(1)).Count(0, many, items, QuorumNoise(), prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(QuorumCountFaultTest, MemberClosingMidRunStopsEveryParty) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 47);
  testing::NPartyMesh probe = testing::MakeMesh(3);
  auto ok = CountAll(s, probe, [](int) { return CountParams(2); });
  ExpectCount(s, 2, ok);
  const uint64_t total = probe.ends[2][1]->messages_sent();
  for (uint64_t at : {uint64_t{1}, total / 2, total - 3, total - 2}) {
    SCOPED_TRACE("party 2 closes its link to 1 at message " + std::to_string(at));
    auto got = CountAll(s, CountParams(2), testing::FaultOn(2, 1, {.kind = testing::Fault::kCloseBefore,
                                                                    .message_index = at}));
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE("party " + std::to_string(i));
      EXPECT_FALSE(got[i].ok());
      EXPECT_NE(got[i].status().code(), absl::StatusCode::kDeadlineExceeded) << got[i].status();
    }
    EXPECT_EQ(got[2].status().code(), absl::StatusCode::kUnavailable) << got[2].status();
  }
}

TEST(QuorumCountFaultTest, TruncatedTotalShareIsDataLoss) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 48);
  testing::NPartyMesh probe = testing::MakeMesh(3);
  auto ok = CountAll(s, probe, [](int) { return CountParams(2); });
  ExpectCount(s, 2, ok);
  // The last message party 1 sends party 2 is its confirmation; the one
  // before, its share of the total.
  const uint64_t total = probe.ends[1][2]->messages_sent();
  auto got = CountAll(s, CountParams(2), testing::FaultOn(1, 2, {.kind = testing::Fault::kTruncate,
                                                                  .message_index = total - 2}));
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kDataLoss) << got[2].status();
  for (const auto& r : got) EXPECT_FALSE(r.ok());
}

// reveal = all (traceable): every party also gets the qualifying items it
// does not hold, each with its number of holders.
TEST(QuorumRevealTest, EveryPartyLearnsTheUnionOfQualifyingItems) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  constexpr int kN = 4, kT = 2;
  const NPartySets s = testing::HolderPatternSets(kN, 2, {3, 0, 5, 2}, 1, kSeed + 49);
  QuorumParams p = Params(kT);
  p.reveal = QuorumReveal::kAll;
  auto got = RunAll(s, p);
  ExpectExact(s, kT, true, got);
  const std::map<Block, uint32_t> holders = testing::Holders(s);
  for (int i = 0; i < kN; ++i) {
    SCOPED_TRACE("party " + std::to_string(i));
    ASSERT_TRUE(got[i].ok());
    const std::set<Block> mine(s.items[i].begin(), s.items[i].end());
    std::vector<Block> want;
    std::vector<uint32_t> want_holders;
    for (const auto& [x, c] : holders) {
      if (c >= static_cast<uint32_t>(kT) && mine.count(x) == 0) {
        want.push_back(x);
        want_holders.push_back(c);
      }
    }
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(got[i]->others, want);
    EXPECT_EQ(got[i]->others_holders, want_holders);
  }
  QuorumParams hidden = p;
  hidden.show_count = false;
  for (const auto& r : RunAll(s, hidden)) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  }
}

TEST(QuorumRevealTest, TruncatedOrDifferingRevealIsRefused) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  const NPartySets s = testing::HolderPatternSets(3, 3, std::vector<int>(3, 10), -1, kSeed + 50);
  QuorumParams p = Params(2);
  p.reveal = QuorumReveal::kAll;
  testing::NPartyMesh probe = testing::MakeMesh(3);
  auto ok = RunAll(s, probe, [&](int) { return p; });
  ExpectExact(s, 2, true, ok);
  // Party 1's last messages to 2: its list's length, its blocks, the
  // confirmation.
  const uint64_t total = probe.ends[1][2]->messages_sent();
  for (uint64_t at : {total - 3, total - 2}) {
    auto got = RunAll(s, p, testing::FaultOn(1, 2, {.kind = testing::Fault::kTruncate,
                                                    .message_index = at}));
    EXPECT_EQ(got[2].status().code(), absl::StatusCode::kDataLoss) << got[2].status();
    ExpectAllFail(got);
  }
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  auto differ = RunAll(s, mesh, [&](int party) { return party == 0 ? Params(2) : p; });
  ExpectAllFail(differ);
  EXPECT_EQ(differ[0].status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace liaison::mpsi
