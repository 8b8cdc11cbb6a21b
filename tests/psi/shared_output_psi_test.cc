#include "psi/shared_output_psi.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "net/channel.h"
#include "dp/sampler.h"
#include "psi/internal/cuckoo.h"
#include "psi/private_aggregate.h"
#include "testing/faulty_channel.h"
#include "testing/two_parties.h"
#include "testing/insecure_deviating_receiver.h"

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
  absl::StatusOr<SharedAggregates> r = absl::InternalError("unset");
  absl::StatusOr<SharedAggregates> s = absl::InternalError("unset");
  uint64_t r_messages = 0;  // messages the receiver sent
  bool fired = false;       // the fault was injected
};

// RunWithReceiver runs `receiver` against an honest S with `ps` over
// LocalPair, R's end behind a FaultyChannel with `fault` (kNone by default).
Outcome RunWithReceiver(const Data& d, const SharedOutputPsiReceiver& receiver,
                        const SharedOutputPsiParams& ps, testing::Fault fault = {}) {
  testing::PairOptions options;
  options.timeout = absl::Seconds(60);
  options.wrap_a = [fault](std::unique_ptr<net::Channel> ch) {
    return std::unique_ptr<net::Channel>(
        std::make_unique<testing::FaultyChannel>(std::move(ch), fault));
  };
  Outcome o;
  options.after = [&o](const net::Channel& r, const net::Channel&) {
    o.r_messages = r.messages_sent();
    o.fired = static_cast<const testing::FaultyChannel&>(r).fired();
  };
  std::tie(o.r, o.s) = testing::RunPair<SharedAggregates>(
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return receiver.Run(ch, d.r_keys, d.s_keys.size(), prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return SharedOutputPsiSender(ps).Run(ch, d.s_keys, d.values, d.r_keys.size(), prng);
      },
      options);
  return o;
}

// RunBoth runs an honest R with `pr` against an honest S with `ps`.
Outcome RunBoth(const Data& d, const SharedOutputPsiParams& pr, const SharedOutputPsiParams& ps,
                testing::Fault fault = {}) {
  return RunWithReceiver(d, SharedOutputPsiReceiver(pr), ps, fault);
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
  auto [ra, rb] = testing::RunOnEnds(
      *a, *b,
      [](net::Channel& ch) { return RevealSum(ch, mpc::SecretU64(~uint64_t{0}), true, true); },
      [](net::Channel& ch) { return RevealSum(ch, mpc::SecretU64(5), true, true); },
      testing::WhenDone::kKeepOpen);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(*ra, 4u);
  EXPECT_EQ(*rb, 4u);
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

// --- Malicious mode and deviating receivers -------------------------------

SharedOutputPsiParams MaliciousParams(bool with_sum, std::vector<uint64_t> weights = {}) {
  SharedOutputPsiParams p = Params(with_sum);
  p.malicious = true;
  p.value_bit_weights = std::move(weights);
  return p;
}

std::vector<uint64_t> UnsignedWeights(int k) {
  std::vector<uint64_t> w;
  for (int i = 0; i < k; ++i) w.push_back(uint64_t{1} << i);
  return w;
}

// WithCodes replaces S's values by k-bit codes and the truth by the
// weighted sum of the common codes.
Data WithCodes(Data d, const std::vector<uint64_t>& weights, size_t common) {
  const uint64_t mask = (uint64_t{1} << weights.size()) - 1;
  d.sum = 0;
  for (size_t i = 0; i < d.values.size(); ++i) {
    d.values[i] = (d.values[i] * 0x9e3779b97f4a7c15) & mask;
    if (i < common) {
      for (size_t j = 0; j < weights.size(); ++j) {
        if ((d.values[i] >> j) & 1) d.sum += weights[j];
      }
    }
  }
  return d;
}

TEST(SharedOutputPsiMaliciousTest, CountAndBoundedSumsAreExact) {
  for (auto [n_r, n_s, common] : {std::tuple<size_t, size_t, size_t>{1, 1, 1},
                                  {1000, 800, 300}, {5000, 7000, 2500}}) {
    SCOPED_TRACE(::testing::Message() << n_r << " " << n_s << " " << common << " seed=" << kSeed);
    const Data plain = MakeData(n_r, n_s, common, kSeed + 90 + n_r);
    Outcome count = RunBoth(plain, MaliciousParams(false), MaliciousParams(false));
    ASSERT_TRUE(count.r.ok()) << count.r.status() << " / " << count.s.status();
    ASSERT_TRUE(count.s.ok()) << count.s.status();
    EXPECT_EQ(count.r->count.value() + count.s->count.value(), plain.count);
    // Unsigned 16-bit codes, and 9-bit two's complement (the top bit weighs
    // −256): the sum wraps modulo 2^64 like any share.
    std::vector<uint64_t> twos = UnsignedWeights(9);
    twos[8] = 0 - (uint64_t{1} << 8);
    for (const std::vector<uint64_t>& w : {UnsignedWeights(16), twos}) {
      const Data d = WithCodes(plain, w, common);
      Outcome o = RunBoth(d, MaliciousParams(true, w), MaliciousParams(true, w));
      ASSERT_TRUE(o.r.ok()) << o.r.status();
      ASSERT_TRUE(o.s.ok()) << o.s.status();
      EXPECT_EQ(o.r->count.value() + o.s->count.value(), d.count);
      EXPECT_EQ(o.r->sum.value() + o.s->sum.value(), d.sum);
    }
  }
}

TEST(SharedOutputPsiMaliciousTest, UnboundedSumsAndOversizedCodesAreInvalidArgument) {
  const Data d = MakeData(10, 10, 5, kSeed + 95);
  Outcome o = RunBoth(d, MaliciousParams(true), MaliciousParams(true));
  EXPECT_EQ(o.r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.s.status().code(), absl::StatusCode::kInvalidArgument);
  // Codes wider than their weights: the sender refuses its own input.
  Outcome wide = RunBoth(d, MaliciousParams(true, UnsignedWeights(4)),
                         MaliciousParams(true, UnsignedWeights(4)));
  EXPECT_EQ(wide.s.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SharedOutputPsiMaliciousTest, SecurityMismatchFailsBothSides) {
  const Data d = MakeData(100, 100, 30, kSeed + 96);
  Outcome o = RunBoth(d, MaliciousParams(false), Params(false));
  EXPECT_FALSE(o.r.ok());
  EXPECT_FALSE(o.s.ok());
}

// PutTargetInAllItsBins returns a deviation that fills every bin with a
// random key, then puts target's three keys (target ⊕ j) into their own
// bins h_j(target), plus (target ⊕ j) into `extra` other bins, where they
// must not match.
testing::InsecureDeviatingReceiver::BinKeysFn PutTargetInAllItsBins(const Block& target,
                                                                    int extra) {
  return [target, extra](const Block& seed, uint64_t num_bins, absl::Span<Block> bin_keys) {
    crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 97);
    for (Block& k : bin_keys) k = prng.NextBlock();
    uint32_t bins[3];
    internal::CuckooHasher(seed, num_bins).Bins(absl::MakeConstSpan(&target, 1), bins, 1);
    for (int e = 0; e < extra; ++e) {
      bin_keys[(bins[0] + 1 + e) % num_bins] = target ^ Block(0, e % 3);
    }
    for (uint64_t j = 0; j < 3; ++j) bin_keys[bins[j]] = target ^ Block(0, j);
  };
}

// Issue 11: one item of the simple-hashing side S sits in three bins, so a
// receiver that cheats can make it count three times — and no more: the
// OPRF gives it one key per bin, and a key only matches in its own bin.
// The malicious-mode noise is calibrated for this sensitivity of 3.
TEST(SharedOutputPsiDeviationTest, ATargetItemCountsInAtMostItsThreeBins) {
  for (bool malicious : {false, true}) {
    for (bool held : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "malicious=" << malicious << " held=" << held
                                        << " seed=" << kSeed);
      Data d = MakeData(500, 400, 0, kSeed + 98);
      const Block target = d.s_keys[7];
      if (!held) d.s_keys[7] = Block(1, 2);
      SharedOutputPsiParams p = malicious ? MaliciousParams(false) : Params(false);
      Outcome o = RunWithReceiver(
          d, testing::InsecureDeviatingReceiver::Make(p, PutTargetInAllItsBins(target, 40)), p);
      ASSERT_TRUE(o.r.ok()) << o.r.status();
      ASSERT_TRUE(o.s.ok()) << o.s.status();
      EXPECT_EQ(o.r->count.value() + o.s->count.value(), held ? 3u : 0u);
    }
  }
}

// LikelihoodRatio returns the largest ratio, over thresholds τ, of
// Pr[released ≥ τ | held] to Pr[released ≥ τ | not held] (and of the
// complements), estimated from `runs` noise draws added to each of the two
// exact counts; thresholds with fewer than 200 hits on the smaller side are
// skipped (too noisy to estimate).
double LikelihoodRatio(int64_t held, int64_t not_held, const dp::Mechanism& m, int runs) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 100);
  std::vector<int64_t> in(runs), out(runs);
  for (int i = 0; i < runs; ++i) {
    in[i] = held + dp::SampleNoise(m.noise, prng).value();
    out[i] = not_held + dp::SampleNoise(m.noise, prng).value();
  }
  double worst = 1;
  for (int64_t t = -30; t <= 33; ++t) {
    const double a = static_cast<double>(std::count_if(in.begin(), in.end(),
                                                       [t](int64_t v) { return v >= t; }));
    const double b = static_cast<double>(std::count_if(out.begin(), out.end(),
                                                       [t](int64_t v) { return v >= t; }));
    if (std::min(a, b) >= 200) worst = std::max(worst, a / b);
    if (std::min(runs - a, runs - b) >= 200) worst = std::max(worst, (runs - b) / (runs - a));
  }
  return worst;
}

// Issue 11, over many runs: the deviating receiver above reads
// 3·[target held] + S's noise. With the malicious calibration (noise for
// 3 bins per item) its best threshold test on the target's membership
// stays within the e^ε bound; with the semi-honest calibration (scale 1/ε)
// it would not. The exact counts come from real protocol runs with the
// cheating receiver; the noise is drawn as S draws it.
TEST(SharedOutputPsiDeviationTest, CheatingReceiversGuessStaysWithinTheEpsilonBound) {
  int64_t counts[2];
  for (bool held : {true, false}) {
    Data d = MakeData(300, 300, 0, kSeed + 101);
    const Block target = d.s_keys[3];
    if (!held) d.s_keys[3] = Block(3, 4);
    Outcome o = RunWithReceiver(
        d,
        testing::InsecureDeviatingReceiver::Make(MaliciousParams(false),
                                                 PutTargetInAllItsBins(target, 0)),
        MaliciousParams(false));
    ASSERT_TRUE(o.r.ok() && o.s.ok());
    counts[held ? 0 : 1] = static_cast<int64_t>(o.r->count.value() + o.s->count.value());
  }
  ASSERT_EQ(counts[0], 3);
  ASSERT_EQ(counts[1], 0);
  DpAggregateSpec spec;
  spec.epsilon = mpq_class(1, 2);
  spec.malicious = true;
  absl::StatusOr<AggregateMechanisms> mal = CalibrateAggregate(spec);
  spec.malicious = false;
  absl::StatusOr<AggregateMechanisms> semi = CalibrateAggregate(spec);
  ASSERT_TRUE(mal.ok() && semi.ok());
  const double bound = std::exp(0.5);
  constexpr int kRuns = 40000;
  EXPECT_LE(LikelihoodRatio(counts[0], counts[1], mal->main, kRuns), bound * 1.08)
      << "seed=" << kSeed;
  // The semi-honest scale lets the same cheat see e^{3ε} ≈ 4.5 at the tails.
  EXPECT_GT(LikelihoodRatio(counts[0], counts[1], semi->main, kRuns), bound * 1.5);
}

// Issue 11: in the semi-honest arithmetic sum a receiver that shifts its
// payload share by 2^40 shifts each matching bin's term by 2^40 and reads
// matches off the total; in malicious mode the value codes are bounded, so
// the same deviation moves a matching bin by at most W = 2^k − 1.
TEST(SharedOutputPsiDeviationTest, ShiftedPayloadMovesABoundedSumByAtMostTheCodeWidth) {
  const size_t common = 50;
  const std::vector<uint64_t> w = UnsignedWeights(10);
  const Data d = WithCodes(MakeData(300, 300, common, kSeed + 99), w, common);
  auto shift = [](absl::Span<uint64_t> payload) {
    for (uint64_t& v : payload) v = (v + (uint64_t{1} << 40)) ^ 0x2aa;
  };
  auto honest_bins = [](const Block&, uint64_t, absl::Span<Block>) {};
  // Semi-honest, arithmetic: the attack works — a documented limitation.
  Outcome semi = RunWithReceiver(
      d, testing::InsecureDeviatingReceiver::Make(Params(true), honest_bins, shift), Params(true));
  ASSERT_TRUE(semi.r.ok() && semi.s.ok());
  const uint64_t semi_sum = semi.r->sum.value() + semi.s->sum.value();
  EXPECT_GE(semi_sum, common * (uint64_t{1} << 40));  // 2^40 per match: matches readable
  // Malicious, bounded: every matching bin adds a value in [0, 1023].
  Outcome mal = RunWithReceiver(
      d, testing::InsecureDeviatingReceiver::Make(MaliciousParams(true, w), honest_bins, shift),
      MaliciousParams(true, w));
  ASSERT_TRUE(mal.r.ok()) << mal.r.status();
  ASSERT_TRUE(mal.s.ok()) << mal.s.status();
  const uint64_t got = mal.r->sum.value() + mal.s->sum.value();
  EXPECT_LE(got, common * 1023u);
  EXPECT_EQ(mal.r->count.value() + mal.s->count.value(), common);
}

// Membership: one placement of R's keys serves two senders; in each run
// the XOR of the two shares of bin b is 1 exactly when R's key in b is
// among that sender's keys (and 0 for empty bins).
TEST(SharedMembershipTest, OnePlacementGivesEachSendersMembershipPerBin) {
  const Data d = MakeData(3000, 2000, 700, kSeed + 11);
  crypto::Prng other = crypto::Prng::FromTestSeed(kSeed + 12);
  std::vector<Block> s2(d.r_keys.begin() + 100, d.r_keys.begin() + 1100);  // 1000 of R's keys
  for (int i = 0; i < 500; ++i) s2.push_back(other.NextBlock());
  const SharedOutputPsiParams p = Params(false);
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 13);
  absl::StatusOr<CuckooPlacement> placement = PlaceInBins(p, d.r_keys, prng);
  ASSERT_TRUE(placement.ok()) << placement.status();
  ASSERT_EQ(placement->num_bins, NumBins(p, d.r_keys.size()));
  for (const std::vector<Block>* sender : {&d.s_keys, static_cast<const std::vector<Block>*>(&s2)}) {
    auto [r, s] = testing::RunPair<mpc::SecretWords>(
        [&](net::Channel& ch) {
          return SharedMembershipReceiver(p).Run(ch, d.r_keys, *placement, sender->size(), prng);
        },
        [&](net::Channel& ch) {
          crypto::Prng sp = crypto::Prng::FromTestSeed(kSeed + 14);
          return SharedMembershipSender(p).Run(ch, *sender, d.r_keys.size(), sp);
        });
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(r->size(), mpc::NumWords(placement->num_bins));
    ASSERT_EQ(s->size(), r->size());
    std::vector<Block> sorted = *sender;
    std::sort(sorted.begin(), sorted.end());
    size_t members = 0, ones_in_r = 0;
    for (uint64_t b = 0; b < placement->num_bins; ++b) {
      const int64_t item = placement->ItemOfBin(b);
      const uint64_t want =
          item >= 0 && std::binary_search(sorted.begin(), sorted.end(), d.r_keys[item]);
      ASSERT_EQ(mpc::GetBit(r->span(), b) ^ mpc::GetBit(s->span(), b), want) << "bin " << b;
      members += want;
      ones_in_r += mpc::GetBit(r->span(), b);
    }
    EXPECT_EQ(members, sender == &s2 ? 1000u : 700u);
    // R's share alone is no indicator of membership.
    EXPECT_GT(ones_in_r, placement->num_bins / 3);
  }
}

TEST(SharedMembershipTest, EmptySidesGiveZeroSharesWithoutMessages) {
  const SharedOutputPsiParams p = Params(false);
  const Data d = MakeData(100, 0, 0, kSeed + 15);
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 16);
  absl::StatusOr<CuckooPlacement> placement = PlaceInBins(p, d.r_keys, prng);
  ASSERT_TRUE(placement.ok());
  auto [cr, cs] = net::LocalPair();
  absl::StatusOr<mpc::SecretWords> r =
      SharedMembershipReceiver(p).Run(*cr, d.r_keys, *placement, 0, prng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), mpc::NumWords(placement->num_bins));
  absl::StatusOr<mpc::SecretWords> s = SharedMembershipSender(p).Run(*cs, {}, 100, prng);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), mpc::NumWords(NumBins(p, 100)));
  EXPECT_EQ(cr->bytes_sent() + cs->bytes_sent(), 0u);
}

TEST(SharedMembershipTest, APlacementOfOtherKeysIsInvalidArgument) {
  const SharedOutputPsiParams p = Params(false);
  const Data d = MakeData(1000, 10, 0, kSeed + 17);
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 18);
  absl::StatusOr<CuckooPlacement> placement =
      PlaceInBins(p, absl::MakeConstSpan(d.r_keys).subspan(0, 10), prng);
  ASSERT_TRUE(placement.ok());
  auto [cr, cs] = net::LocalPair();
  EXPECT_EQ(SharedMembershipReceiver(p).Run(*cr, d.r_keys, *placement, 10, prng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SharedMembershipTest, DuplicateKeysCannotBePlaced) {
  const SharedOutputPsiParams p = Params(false);
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 19);
  const std::vector<Block> keys = {Block(1, 2), Block(3, 4), Block(1, 2)};
  EXPECT_EQ(PlaceInBins(p, keys, prng).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::psi
