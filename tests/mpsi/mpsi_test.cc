#include "mpsi/mpsi.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "crypto/prng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/faulty_channel.h"
#include "testing/n_parties.h"
#include "testing/n_party_sets.h"

namespace liaison::mpsi {
namespace {

using crypto::Block;
using Result = std::vector<uint64_t>;

// Every test logs its seed (SCOPED_TRACE) so a failure can be replayed.
constexpr uint64_t kSeed = 0x6d707369;

void ExpectAllFail(const std::vector<absl::StatusOr<Result>>& got);

MpsiParams SmallParams() {
  MpsiParams p;
  p.num_threads = 1;
  p.chunk_len = 1 << 10;  // several chunks for the larger sets
  return p;
}

// Sets is n parties' item lists and, for each party, the indices the
// protocol must return (computed in the clear).
struct Sets {
  std::vector<std::vector<Block>> items;
  std::vector<Result> expected;
};

// Finish computes `expected`: the items every party holds.
void Finish(Sets& s) {
  const int n = static_cast<int>(s.items.size());
  s.expected.clear();
  for (const testing::Qualifying& q : testing::Expected(testing::NPartySets{s.items}, n)) {
    s.expected.push_back(q.indices);
  }
}

using testing::RandomBlock;

Sets HolderPatternSets(int n, int per, std::vector<int> extra, int dup_party, uint64_t seed) {
  Sets s{testing::HolderPatternSets(n, per, extra, dup_party, seed).items, {}};
  Finish(s);
  return s;
}

std::vector<absl::StatusOr<Result>> RunAll(const Sets& s, testing::NPartyMesh& mesh,
                                           MpsiParams params = SmallParams()) {
  return testing::RunNParties<Result>(
      mesh, [&](int party, absl::Span<net::Channel* const> channels) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + party);
        return MultipartyIntersection(params).Run(party, channels, s.items[party], prng);
      });
}

std::vector<absl::StatusOr<Result>> RunAll(const Sets& s,
                                           const testing::NPartyOptions& options = {}) {
  testing::NPartyMesh mesh = testing::MakeMesh(static_cast<int>(s.items.size()), options);
  return RunAll(s, mesh);
}

void ExpectExact(const Sets& s, const std::vector<absl::StatusOr<Result>>& got) {
  ASSERT_EQ(got.size(), s.items.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("party " + std::to_string(i));
    ASSERT_TRUE(got[i].ok()) << got[i].status();
    EXPECT_EQ(*got[i], s.expected[i]);
  }
}

class MpsiExactTest : public ::testing::TestWithParam<int> {};

TEST_P(MpsiExactTest, ItemsHeldByExactlyKMembersForEveryK) {
  const int n = GetParam();
  SCOPED_TRACE("seed " + std::to_string(kSeed) + ", n " + std::to_string(n));
  std::vector<int> extra(n);
  for (int i = 0; i < n; ++i) extra[i] = 10 * i;  // unequal sizes
  Sets s = HolderPatternSets(n, /*per=*/4, extra, /*dup_party=*/1, kSeed + n);
  ASSERT_FALSE(s.expected[0].empty());
  ExpectExact(s, RunAll(s));
}

TEST_P(MpsiExactTest, AllCommonReturnsEveryItem) {
  const int n = GetParam();
  SCOPED_TRACE("seed " + std::to_string(kSeed) + ", n " + std::to_string(n));
  std::mt19937_64 rng(kSeed);
  std::vector<Block> common(300);
  for (Block& b : common) b = RandomBlock(rng);
  Sets s;
  for (int i = 0; i < n; ++i) {
    s.items.push_back(common);
    std::shuffle(s.items.back().begin(), s.items.back().end(), rng);
  }
  Finish(s);
  ASSERT_EQ(s.expected[0].size(), common.size());
  ExpectExact(s, RunAll(s));
}

TEST_P(MpsiExactTest, NoneCommonReturnsNothing) {
  const int n = GetParam();
  SCOPED_TRACE("seed " + std::to_string(kSeed) + ", n " + std::to_string(n));
  // Every item held by n − 1 parties: as close as it gets, and still out.
  std::mt19937_64 rng(kSeed + 1);
  Sets s;
  s.items.resize(n);
  for (int skip = 0; skip < n; ++skip) {
    for (int c = 0; c < 30; ++c) {
      const Block b = RandomBlock(rng);
      for (int i = 0; i < n; ++i) {
        if (i != skip) s.items[i].push_back(b);
      }
    }
  }
  Finish(s);
  ExpectExact(s, RunAll(s));
  for (const Result& r : s.expected) EXPECT_TRUE(r.empty());
}

TEST_P(MpsiExactTest, AnEmptySetGivesEveryoneAnEmptyResult) {
  const int n = GetParam();
  SCOPED_TRACE("seed " + std::to_string(kSeed) + ", n " + std::to_string(n));
  for (int empty : {0, n - 1}) {
    SCOPED_TRACE("empty party " + std::to_string(empty));
    Sets s = HolderPatternSets(n, 2, std::vector<int>(n, 3), -1, kSeed + 2);
    s.items[empty].clear();
    Finish(s);
    ExpectExact(s, RunAll(s));
  }
}

INSTANTIATE_TEST_SUITE_P(Parties, MpsiExactTest, ::testing::Values(3, 5, 10));

TEST(MpsiTest, UnequalSizesAndTwoChunkOkvs) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  // Party sizes from 7 to 5,000; with chunk_len 1,024 the larger OKVSs take
  // several messages.
  Sets s = HolderPatternSets(5, 7, {0, 5000, 20, 1500, 300}, 3, kSeed + 3);
  ExpectExact(s, RunAll(s));
}

TEST(MpsiTest, TwoPartiesIsPlainPsi) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(2, 20, {30, 40}, 0, kSeed + 4);
  ExpectExact(s, RunAll(s));
}

TEST(MpsiTest, BadArgumentsAreInvalidArgument) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<Block> items = {Block(1, 2)};
  MultipartyIntersection proto(SmallParams());
  std::vector<net::Channel*> one = {nullptr};
  EXPECT_EQ(proto.Run(0, one, items, prng).status().code(), absl::StatusCode::kInvalidArgument);
  auto [a, b] = net::LocalPair();
  std::vector<net::Channel*> two = {a.get(), nullptr};  // our own slot must be empty
  EXPECT_EQ(proto.Run(0, two, items, prng).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(proto.Run(2, two, items, prng).status().code(), absl::StatusCode::kInvalidArgument);
}

// Leakage, as far as a test can see it: when one member's set changes only
// outside the intersection (same size), every party's output and the
// number of messages and bytes on every link stay the same.
TEST(MpsiTest, InputsDifferingOnlyOutsideTheIntersectionLookAlike) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets a = HolderPatternSets(4, 3, {10, 10, 10, 10}, -1, kSeed + 12);
  Sets b = a;
  std::mt19937_64 rng(kSeed + 13);
  std::vector<Block>& list = b.items[2];
  const std::set<uint64_t> in_result(a.expected[2].begin(), a.expected[2].end());
  for (size_t k = 0; k < list.size(); ++k) {
    if (in_result.count(k) == 0) list[k] = RandomBlock(rng);  // a fresh item in place
  }
  Finish(b);
  testing::NPartyMesh mesh_a = testing::MakeMesh(4), mesh_b = testing::MakeMesh(4);
  auto got_a = RunAll(a, mesh_a);
  auto got_b = RunAll(b, mesh_b);
  ExpectExact(a, got_a);
  ExpectExact(b, got_b);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(*got_a[i], *got_b[i]) << "party " << i;
    for (int j = 0; j < 4; ++j) {
      if (i == j) continue;
      EXPECT_EQ(mesh_a.ends[i][j]->bytes_sent(), mesh_b.ends[i][j]->bytes_sent());
      EXPECT_EQ(mesh_a.ends[i][j]->messages_sent(), mesh_b.ends[i][j]->messages_sent());
    }
  }
}

TEST(MpsiTest, PeerDeclaringMoreThanMaxPeerItemsIsRefused) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(3, 3, {5, 100, 5}, -1, kSeed + 11);
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  auto got = testing::RunNParties<Result>(
      mesh, [&](int party, absl::Span<net::Channel* const> channels) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + party);
        MpsiParams p = SmallParams();
        if (party == 2) p.max_peer_items = 50;  // party 1 has more than 100
        return MultipartyIntersection(p).Run(party, channels, s.items[party], prng);
      });
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kFailedPrecondition) << got[2].status();
  ExpectAllFail(got);
}

// Faults. With the small sets below, every message fits one chunk.

// MessagesSent runs the clean protocol and returns how many messages party
// `from` sends `to`, to aim a fault at its last ones.
uint64_t MessagesSent(const Sets& s, int from, int to) {
  testing::NPartyMesh mesh = testing::MakeMesh(static_cast<int>(s.items.size()));
  auto got = RunAll(s, mesh);
  for (const auto& r : got) EXPECT_TRUE(r.ok()) << r.status();
  return mesh.ends[from][to]->messages_sent();
}

using testing::FaultOn;

void ExpectAllFail(const std::vector<absl::StatusOr<Result>>& got) {
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("party " + std::to_string(i));
    EXPECT_FALSE(got[i].ok());
    EXPECT_NE(got[i].status().code(), absl::StatusCode::kDeadlineExceeded) << got[i].status();
  }
}

TEST(MpsiFaultTest, MemberClosingMidRunStopsEveryPartyWithAnError) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  for (int n : {3, 5}) {
    Sets s = HolderPatternSets(n, 3, std::vector<int>(n, 20), -1, kSeed + 5);
    const uint64_t total = MessagesSent(s, 2, 1);
    for (uint64_t at : {uint64_t{1}, total / 2, total - 1}) {
      SCOPED_TRACE("n " + std::to_string(n) + ", party 2 closes its link to 1 at message " +
                   std::to_string(at));
      auto got = RunAll(s, FaultOn(2, 1, {.kind = testing::Fault::kCloseBefore,
                                          .message_index = at}));
      ExpectAllFail(got);
      EXPECT_EQ(got[2].status().code(), absl::StatusCode::kUnavailable) << got[2].status();
    }
  }
}

TEST(MpsiFaultTest, MemberDroppingItsLeaderLinkStopsEveryParty) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(5, 3, std::vector<int>(5, 20), -1, kSeed + 6);
  const uint64_t total = MessagesSent(s, 3, 0);
  // The last message member 3 sends the leader is its OKVS (step 2).
  auto got = RunAll(s, FaultOn(3, 0, {.kind = testing::Fault::kDropAndClose,
                                      .message_index = total - 1}));
  ExpectAllFail(got);
}

TEST(MpsiFaultTest, TruncatedOkvsIsDataLoss) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 7);
  const uint64_t total = MessagesSent(s, 1, 0);
  auto got = RunAll(s, FaultOn(1, 0, {.kind = testing::Fault::kTruncate,
                                      .message_index = total - 1}));
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kDataLoss) << got[0].status();
  ExpectAllFail(got);
}

TEST(MpsiFaultTest, GarbledHeaderIsDataLoss) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 8);
  for (testing::Fault fault :
       {testing::Fault{.kind = testing::Fault::kGarbage, .message_index = 0},
        testing::Fault{.kind = testing::Fault::kTruncate, .message_index = 0},
        testing::Fault{.kind = testing::Fault::kFlipByte, .message_index = 0, .byte_index = 6}}) {
    SCOPED_TRACE(fault.DebugString());
    auto got = RunAll(s, FaultOn(1, 2, fault));
    EXPECT_EQ(got[2].status().code(), absl::StatusCode::kDataLoss) << got[2].status();
    ExpectAllFail(got);
  }
}

TEST(MpsiFaultTest, TamperedResultIsDataLoss) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 9);
  ASSERT_FALSE(s.expected[2].empty());
  const uint64_t total = MessagesSent(s, 0, 2);
  for (testing::Fault fault :
       {testing::Fault{.kind = testing::Fault::kFlipByte, .message_index = total - 1,
                       .byte_index = 3},
        testing::Fault{.kind = testing::Fault::kTruncate, .message_index = total - 1},
        testing::Fault{.kind = testing::Fault::kGarbage, .message_index = total - 2,
                       .garbage_len = 8}}) {
    SCOPED_TRACE(fault.DebugString());
    auto got = RunAll(s, FaultOn(0, 2, fault));
    EXPECT_EQ(got[2].status().code(), absl::StatusCode::kDataLoss) << got[2].status();
  }
}

// Every fault kind on every message of a member-to-member link and of a
// member-to-leader link: no crash, no hang, and only the documented codes.
// (A flipped byte inside an OPRF or OKVS message is not detectable in the
// semi-honest model: it may change the result, so results are not checked.)
TEST(MpsiFaultTest, EveryFaultOnEveryMessageEndsWithADocumentedCode) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Sets s = HolderPatternSets(3, 3, std::vector<int>(3, 20), -1, kSeed + 10);
  for (auto [from, to] : {std::pair{1, 2}, std::pair{2, 0}, std::pair{0, 1}}) {
    const uint64_t total = MessagesSent(s, from, to);
    for (uint64_t at = 0; at < total; ++at) {
      for (testing::Fault::Kind kind : testing::AllFaultKinds()) {
        testing::Fault fault{.kind = kind, .message_index = at};
        if (kind == testing::Fault::kOversize) fault.oversize_len = 1 << 20;
        SCOPED_TRACE(std::to_string(from) + " → " + std::to_string(to) + ": " +
                     fault.DebugString());
        testing::NPartyOptions o = FaultOn(from, to, fault);
        if (kind == testing::Fault::kOversize) {
          // Keep the receiving end's limit below the oversized message.
          o.wrap = [=](int f, int t, std::unique_ptr<net::Channel> c)
              -> std::unique_ptr<net::Channel> {
            c->set_max_message_len(size_t{1} << 19);
            if (f == from && t == to) {
              return std::make_unique<testing::FaultyChannel>(std::move(c), fault);
            }
            return c;
          };
        }
        testing::NPartyMesh mesh = testing::MakeMesh(3, o);
        MpsiParams p = SmallParams();
        auto got = RunAll(s, mesh, p);
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
}

}  // namespace
}  // namespace liaison::mpsi
