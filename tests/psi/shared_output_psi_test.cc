#include "psi/shared_output_psi.h"

#include <algorithm>
#include <future>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"

namespace liaison::psi {
namespace {

using crypto::Block;

constexpr uint64_t kSeed = 0x6370736901;  // logged: all data and Prngs derive from it

struct Data {
  std::vector<Block> r_keys, s_keys;
  std::vector<uint64_t> values;  // one per s_key
  uint64_t count = 0, sum = 0;   // the truth
};

// MakeData returns n_r and n_s distinct random keys sharing `common`, S's
// values cycling through 0, 1, 2^64 - 1, 2^63 and random ones.
Data MakeData(size_t n_r, size_t n_s, size_t common, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  Data d;
  for (size_t i = 0; i < common; ++i) d.s_keys.push_back(prng.NextBlock());
  d.r_keys = d.s_keys;
  while (d.s_keys.size() < n_s) d.s_keys.push_back(prng.NextBlock());
  while (d.r_keys.size() < n_r) d.r_keys.push_back(prng.NextBlock());
  for (size_t i = 0; i < n_s; ++i) {
    const uint64_t edge[] = {0, 1, ~uint64_t{0}, uint64_t{1} << 63, prng.NextU64()};
    d.values.push_back(edge[i % 5]);
    if (i < common) {
      d.count += 1;
      d.sum += d.values.back();
    }
  }
  // Shuffle R's keys so the common ones are not first.
  for (size_t i = d.r_keys.size(); i > 1; --i) {
    std::swap(d.r_keys[i - 1], d.r_keys[prng.Uniform(i)]);
  }
  return d;
}

SharedOutputPsiParams Params(bool with_sum) {
  SharedOutputPsiParams p;
  p.with_sum = with_sum;
  p.num_threads = 2;
  p.chunk_len = 1000;     // several OKVS messages even on small sets
  p.batch_bins = 1 << 12;  // several equality batches on medium sets
  return p;
}

struct Outcome {
  absl::StatusOr<SharedAggregates> r;
  absl::StatusOr<SharedAggregates> s;
  uint64_t r_messages = 0;  // messages the receiver sent
  bool fired = false;       // the fault was injected
};

// RunBoth runs R and S over LocalPair, R's end behind a FaultyChannel with
// `fault` (kNone by default).
Outcome RunBoth(const Data& d, const SharedOutputPsiParams& pr, const SharedOutputPsiParams& ps,
                testing::Fault fault = {}) {
  auto [cr, cs] = net::LocalPair();
  cr->SetTimeout(absl::Seconds(60));
  cs->SetTimeout(absl::Seconds(60));
  testing::FaultyChannel rch(std::move(cr), fault);
  auto fs = std::async(std::launch::async, [&, ch = cs.get()] {
    crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
    auto out = SharedOutputPsiSender(ps).Run(*ch, d.s_keys, d.values, d.r_keys.size(), prng);
    ch->Close();
    return out;
  });
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  Outcome o{SharedOutputPsiReceiver(pr).Run(rch, d.r_keys, d.s_keys.size(), prng),
            absl::InternalError("unset")};
  rch.Close();  // as a process would on return: a failed side never leaves
                // the other waiting
  o.s = fs.get();
  o.r_messages = rch.messages_sent();
  o.fired = rch.fired();
  return o;
}

void ExpectExact(size_t n_r, size_t n_s, size_t common, bool with_sum) {
  SCOPED_TRACE(::testing::Message() << "n_r=" << n_r << " n_s=" << n_s << " common=" << common
                                    << " sum=" << with_sum << " seed=" << kSeed);
  const Data d = MakeData(n_r, n_s, common, kSeed + n_r * 7 + n_s);
  Outcome o = RunBoth(d, Params(with_sum), Params(with_sum));
  ASSERT_TRUE(o.r.ok()) << o.r.status();
  ASSERT_TRUE(o.s.ok()) << o.s.status();
  EXPECT_EQ(o.r->count.value() + o.s->count.value(), d.count);
  EXPECT_EQ(o.r->has_sum, with_sum);
  if (with_sum) {
    EXPECT_EQ(o.r->sum.value() + o.s->sum.value(), d.sum);
  }
  if (common > 0) {
    // Shares on their own are pseudo-random, not the count.
    EXPECT_NE(o.r->count.value(), d.count);
    EXPECT_NE(o.s->count.value(), d.count);
  }
}

TEST(SharedOutputPsiTest, EmptySetsGiveZero) {
  ExpectExact(0, 0, 0, true);
  ExpectExact(0, 10, 0, true);
  ExpectExact(10, 0, 0, false);
}
TEST(SharedOutputPsiTest, OneAndTwoItems) {
  ExpectExact(1, 1, 1, true);
  ExpectExact(1, 1, 0, true);
  ExpectExact(2, 2, 1, true);
  ExpectExact(2, 2, 2, false);
}
TEST(SharedOutputPsiTest, ThousandCountAndSum) {
  ExpectExact(1000, 1000, 300, false);
  ExpectExact(1000, 1000, 300, true);
}
TEST(SharedOutputPsiTest, UnequalSizes) {
  ExpectExact(1000, 37, 20, true);
  ExpectExact(37, 1000, 20, true);
}
TEST(SharedOutputPsiTest, AllAndNoneShared) {
  ExpectExact(2000, 2000, 2000, true);
  ExpectExact(2000, 2000, 0, true);
}
TEST(SharedOutputPsiTest, HundredThousandItems) { ExpectExact(100000, 100000, 30000, true); }

TEST(SharedOutputPsiTest, SumAtTheEdgesWrapsModulo2To64) {
  Data d = MakeData(10, 10, 10, kSeed);
  for (auto& v : d.values) v = ~uint64_t{0};
  d.sum = 10 * ~uint64_t{0};  // -10 mod 2^64
  Outcome o = RunBoth(d, Params(true), Params(true));
  ASSERT_TRUE(o.r.ok()) << o.r.status();
  ASSERT_TRUE(o.s.ok()) << o.s.status();
  EXPECT_EQ(o.r->sum.value() + o.s->sum.value(), d.sum);
  EXPECT_EQ(o.r->count.value() + o.s->count.value(), 10u);
}

TEST(SharedOutputPsiTest, RevealSumGivesTheTotalToTheReceivingSides) {
  auto [a, b] = net::LocalPair();
  auto fb = std::async(std::launch::async, [ch = b.get()] {
    return RevealSum(*ch, mpc::SecretU64(5), true, true);
  });
  auto ra = RevealSum(*a, mpc::SecretU64(~uint64_t{0}), true, true);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(*ra, 4u);
  EXPECT_EQ(*fb.get(), 4u);
  auto rc = RevealSum(*a, mpc::SecretU64(1), false, true);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 0u);
}

TEST(SharedOutputPsiTest, CuckooFailureIsFailedPreconditionOnBothSides) {
  const Data d = MakeData(100, 100, 10, kSeed);
  SharedOutputPsiParams p = Params(false);
  p.cuckoo_expansion = 0.5;  // 50 bins for 100 items: cannot fit
  p.cuckoo_min_bins = 3;
  Outcome o = RunBoth(d, p, p);
  EXPECT_EQ(o.r.status().code(), absl::StatusCode::kFailedPrecondition) << o.r.status();
  EXPECT_EQ(o.s.status().code(), absl::StatusCode::kFailedPrecondition) << o.s.status();
}

TEST(SharedOutputPsiTest, DuplicateReceiverKeysAreInvalidArgument) {
  Data d = MakeData(100, 100, 10, kSeed);
  d.r_keys[5] = d.r_keys[6];
  Outcome o = RunBoth(d, Params(false), Params(false));
  EXPECT_EQ(o.r.status().code(), absl::StatusCode::kInvalidArgument) << o.r.status();
  EXPECT_EQ(o.s.status().code(), absl::StatusCode::kFailedPrecondition) << o.s.status();
}

TEST(SharedOutputPsiTest, DuplicateSenderKeysAreInvalidArgument) {
  Data d = MakeData(100, 100, 10, kSeed);
  d.s_keys[50] = d.s_keys[51];
  Outcome o = RunBoth(d, Params(false), Params(false));
  EXPECT_EQ(o.s.status().code(), absl::StatusCode::kInvalidArgument) << o.s.status();
  EXPECT_EQ(o.r.status().code(), absl::StatusCode::kUnavailable) << o.r.status();
}

TEST(SharedOutputPsiTest, DisagreementOnSumsIsFailedPrecondition) {
  const Data d = MakeData(100, 100, 10, kSeed);
  Outcome o = RunBoth(d, Params(true), Params(false));
  EXPECT_EQ(o.s.status().code(), absl::StatusCode::kFailedPrecondition) << o.s.status();
  EXPECT_EQ(o.r.status().code(), absl::StatusCode::kUnavailable) << o.r.status();
}

TEST(SharedOutputPsiTest, MissingValuesAreInvalidArgument) {
  Data d = MakeData(10, 10, 1, kSeed);
  d.values.pop_back();
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  EXPECT_EQ(SharedOutputPsiSender(Params(true)).Run(*a, d.s_keys, d.values, 10, prng)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// Faults on the receiver's messages, spread over the whole run (cuckoo
// message, OPRF, OT set-up, equality batches, products): the sender fails
// with DataLoss (a message of the wrong length) or Unavailable (the
// channel closed), never hangs or crashes; a run the fault did not break
// still gives the exact count.
struct FaultCase {
  testing::Fault::Kind kind;
  double where;  // fraction of the receiver's messages
  absl::StatusCode expected;
};

class SharedOutputPsiFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(SharedOutputPsiFaultTest, FaultEndsTheRunWithTheRightError) {
  const FaultCase& c = GetParam();
  const Data d = MakeData(3000, 3000, 500, kSeed);
  const Outcome clean = RunBoth(d, Params(true), Params(true));
  ASSERT_TRUE(clean.r.ok() && clean.s.ok());
  const uint64_t total = clean.r_messages;
  testing::Fault fault;
  fault.kind = c.kind;
  fault.message_index = std::min<uint64_t>(total - 1, static_cast<uint64_t>(c.where * total));
  if (c.kind == testing::Fault::kGarbage) fault.garbage_len = 5;
  SCOPED_TRACE(fault.DebugString() + " of " + std::to_string(total) +
               " seed=" + std::to_string(kSeed));
  Outcome o = RunBoth(d, Params(true), Params(true), fault);
  EXPECT_TRUE(o.fired);
  EXPECT_EQ(o.s.status().code(), c.expected) << o.s.status();
  if (o.r.ok() && o.s.ok()) {
    EXPECT_EQ(o.r->count.value() + o.s->count.value(), d.count);
  }
}

using K = testing::Fault;
constexpr auto kDataLoss = absl::StatusCode::kDataLoss;
constexpr auto kUnavailable = absl::StatusCode::kUnavailable;

INSTANTIATE_TEST_SUITE_P(
    Faults, SharedOutputPsiFaultTest,
    ::testing::Values(FaultCase{K::kTruncate, 0, kDataLoss},
                      FaultCase{K::kGarbage, 0, kDataLoss},
                      FaultCase{K::kTruncate, 0.1, kDataLoss},
                      FaultCase{K::kTruncate, 0.4, kDataLoss},
                      FaultCase{K::kTruncate, 0.7, kDataLoss},
                      FaultCase{K::kGarbage, 0.9, kDataLoss},
                      FaultCase{K::kTruncate, 1.0, kDataLoss},
                      FaultCase{K::kOversize, 0.5, kDataLoss},
                      FaultCase{K::kCloseBefore, 0, kUnavailable},
                      FaultCase{K::kCloseBefore, 0.5, kUnavailable},
                      FaultCase{K::kDropAndClose, 0.8, kUnavailable},
                      FaultCase{K::kCloseBefore, 1.0, kUnavailable}));

}  // namespace
}  // namespace liaison::psi
