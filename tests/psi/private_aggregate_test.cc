#include "psi/private_aggregate.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/two_parties.h"
#include "base/status.h"
#include "base/strings.h"
#include "net/channel.h"
#include "testing/faulty_channel.h"
#include "testing/insecure_aggregate.h"
#include "testing/sets.h"

namespace liaison::psi {
namespace {

constexpr uint64_t kSeed = 0x6470616701;  // logged: all data and Prngs derive from it

// Job is one side's inputs.
struct Side {
  std::vector<std::string> items;
  std::vector<int64_t> values;  // values side only
  PrivateAggregateParams params;
  bool insecure = false;
  uint64_t prng_seed = 0;
};

struct Outcome {
  absl::StatusOr<PrivateAggregateResult> a;  // the first side (over a FaultyChannel)
  absl::StatusOr<PrivateAggregateResult> b;
  uint64_t a_bytes_sent = 0;
  uint64_t b_bytes_sent = 0;
  std::vector<std::string> a_log;  // the first side's progress reports
};

absl::StatusOr<PrivateAggregateResult> RunSide(net::Channel& ch, const Side& s,
                                               std::vector<std::string>* log) {
  PrivateAggregateParams p = s.params;
  p.num_threads = 1;
  p.chunk_len = 1000;
  if (log != nullptr) {
    p.progress = [log](std::string_view phase, uint64_t done, uint64_t total) {
      log->push_back(StrCat(phase, " ", done, "/", total));
    };
  }
  crypto::Prng prng = crypto::Prng::FromTestSeed(s.prng_seed);
  if (s.insecure) {
    return testing::InsecureNoiseFreeAggregate::Make(p).Run(ch, s.items, s.values, {}, prng);
  }
  LIAISON_ASSIGN_OR_RETURN(AggregateNoise noise, AggregateNoise::Draw(p.spec, prng));
  return PrivateAggregate(p).Run(ch, s.items, s.values, std::move(noise), prng);
}

Outcome RunBoth(const Side& a, const Side& b, testing::Fault fault = {}) {
  testing::PairOptions options;
  options.timeout = absl::Seconds(60);
  options.wrap_a = [fault](std::unique_ptr<net::Channel> ch) {
    return std::unique_ptr<net::Channel>(
        std::make_unique<testing::FaultyChannel>(std::move(ch), fault));
  };
  Outcome o;
  options.after = [&o](const net::Channel& ca, const net::Channel& cb) {
    o.a_bytes_sent = static_cast<const testing::FaultyChannel&>(ca).inner().bytes_sent();
    o.b_bytes_sent = cb.bytes_sent();
  };
  std::tie(o.a, o.b) = testing::RunPair<PrivateAggregateResult>(
      [&](net::Channel& ch) { return RunSide(ch, a, &o.a_log); },
      [&](net::Channel& ch) { return RunSide(ch, b, nullptr); }, options);
  return o;
}

DpAggregateSpec CountSpec(int64_t epsilon_num = 1, int64_t epsilon_den = 1) {
  DpAggregateSpec s;
  s.kind = AggregateKind::kCount;
  s.epsilon = mpq_class(epsilon_num, epsilon_den);
  return s;
}

DpAggregateSpec SumSpec(int64_t lo, int64_t hi) {
  DpAggregateSpec s;
  s.kind = AggregateKind::kSum;
  s.epsilon = 1;
  s.lo = lo;
  s.hi = hi;
  return s;
}

// CountSides makes a count job: `receiver` receives alone.
std::pair<Side, Side> CountSides(const testing::TwoSets& sets, const DpAggregateSpec& spec,
                                 bool insecure) {
  Side r, s;
  r.items = sets.a;
  s.items = sets.b;
  r.params.spec = s.params.spec = spec;
  r.params.i_receive = true;
  r.params.peer_receives = false;
  s.params.i_receive = false;
  s.params.peer_receives = true;
  r.insecure = s.insecure = insecure;
  r.prng_seed = kSeed + 1;
  s.prng_seed = kSeed + 2;
  return {r, s};
}

// SumSides makes a sum job: the first side receives, the second holds
// `values` (one per sets.b item).
std::pair<Side, Side> SumSides(const testing::TwoSets& sets, std::vector<int64_t> values,
                               const DpAggregateSpec& spec, bool insecure) {
  auto [r, s] = CountSides(sets, spec, insecure);
  s.params.has_values = true;
  s.values = std::move(values);
  return {r, s};
}

void ExpectExactCount(size_t n_a, size_t n_b, size_t common) {
  SCOPED_TRACE(StrCat("sizes ", n_a, " ", n_b, " common ", common));
  auto sets = testing::MakeSets(n_a, n_b, common, kSeed);
  auto [r, s] = CountSides(sets, CountSpec(), /*insecure=*/true);
  Outcome o = RunBoth(r, s);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  ASSERT_TRUE(o.a->count.has_value());
  EXPECT_EQ(o.a->count->estimate, static_cast<int64_t>(common));
  EXPECT_FALSE(o.a->sum.has_value());
  EXPECT_FALSE(o.b->received);
  EXPECT_FALSE(o.b->count.has_value());
}

TEST(PrivateAggregateTest, NoiseFreeCountIsExactAtAllSizes) {
  ExpectExactCount(0, 0, 0);
  ExpectExactCount(0, 10, 0);
  ExpectExactCount(1, 1, 1);
  ExpectExactCount(1, 1, 0);
  ExpectExactCount(1000, 1000, 0);
  ExpectExactCount(1000, 1000, 1000);
  ExpectExactCount(1000, 700, 313);
}

TEST(PrivateAggregateTest, NoiseFreeCountIsExactAtHundredThousand) {
  ExpectExactCount(100000, 100000, 37000);
}

// Values: at the bounds, beyond them (clamped), negative, zero.
TEST(PrivateAggregateTest, NoiseFreeSumClampsAndHandlesNegativeValues) {
  constexpr int64_t kLo = -500, kHi = 1000;
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{100000}}) {
    for (size_t common : {size_t{0}, n / 3, n}) {
      SCOPED_TRACE(StrCat("n ", n, " common ", common));
      auto sets = testing::MakeSets(n, n, common, kSeed + n + common);
      std::vector<int64_t> values(n);
      const int64_t edge[] = {kLo, kHi, kLo - 1, kHi + 1, INT64_MIN, INT64_MAX, 0, -7, 999};
      int64_t truth = 0;
      for (size_t i = 0; i < n; ++i) {
        values[i] = edge[i % 9] + (i % 9 >= 6 ? static_cast<int64_t>(i % 5) : 0);
        if (std::binary_search(sets.common.begin(), sets.common.end(), sets.b[i])) {
          truth += std::clamp(values[i], kLo, kHi);
        }
      }
      DpAggregateSpec spec = SumSpec(kLo, kHi);
      spec.count_epsilon = mpq_class(1, 2);
      auto [r, s] = SumSides(sets, values, spec, /*insecure=*/true);
      Outcome o = RunBoth(r, s);
      ASSERT_TRUE(o.a.ok()) << o.a.status();
      ASSERT_TRUE(o.b.ok()) << o.b.status();
      ASSERT_TRUE(o.a->sum.has_value());
      ASSERT_TRUE(o.a->count.has_value());
      EXPECT_EQ(o.a->sum->estimate, truth);
      EXPECT_EQ(o.a->count->estimate, static_cast<int64_t>(common));
      if (n >= 1000) break;  // all three overlaps at the small sizes only
    }
  }
}

TEST(PrivateAggregateTest, NoiseFreeSumIsExactWhenBothReceive) {
  auto sets = testing::MakeSets(50, 40, 20, kSeed);
  std::vector<int64_t> values(40, -3);
  auto [r, s] = SumSides(sets, values, SumSpec(-5, 5), /*insecure=*/true);
  r.params.peer_receives = s.params.i_receive = true;
  Outcome o = RunBoth(r, s);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_EQ(o.a->sum->estimate, -60);
  EXPECT_EQ(o.b->sum->estimate, -60);
}

// --- Malicious mode (issue 11) ----------------------------------------------

// The value codes: bits, weights and width for each shape of bounds, and
// the code of every value in range decodes back to it.
TEST(SumValueCodeTest, CodesDecodeToTheirValuesAndBoundTheWidth) {
  struct Case {
    int64_t lo, hi;
    int bits;
  };
  for (const Case c : {Case{0, 1000, 10}, Case{0, 1023, 10}, Case{0, 1024, 11}, Case{5, 5, 3},
                       Case{0, 0, 1}, Case{-1000, -1, 10}, Case{-1000, 1000, 11},
                       Case{-1024, 1023, 11}, Case{-1, 1, 2}}) {
    SCOPED_TRACE(StrCat("[", c.lo, ", ", c.hi, "]"));
    absl::StatusOr<SumValueCode> code = MakeSumValueCode(c.lo, c.hi);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(code->bits, c.bits);
    EXPECT_EQ(code->width, (uint64_t{1} << c.bits) - 1);
    EXPECT_GE(code->width, static_cast<uint64_t>(std::max(std::abs(c.lo), std::abs(c.hi))));
    for (int64_t v = c.lo; v <= c.hi; v += std::max<int64_t>(1, (c.hi - c.lo) / 97)) {
      const uint64_t x = code->Encode(v);
      ASSERT_EQ(x & ~code->width, 0u);
      uint64_t decoded = 0;
      for (int j = 0; j < code->bits; ++j) decoded += ((x >> j) & 1) * code->weights[j];
      ASSERT_EQ(static_cast<int64_t>(decoded), v);
    }
  }
  EXPECT_EQ(MakeSumValueCode(3, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSumValueCode(INT64_MIN, INT64_MAX).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Malicious calibration: 3 bins per item for a count, 3·W for a sum.
TEST(PrivateAggregateTest, MaliciousNoiseCoversThreeBinsPerItemAndTheCodeWidth) {
  DpAggregateSpec count = CountSpec(1, 2);
  absl::StatusOr<AggregateMechanisms> semi = CalibrateAggregate(count);
  count.malicious = true;
  absl::StatusOr<AggregateMechanisms> mal = CalibrateAggregate(count);
  ASSERT_TRUE(semi.ok() && mal.ok());
  EXPECT_EQ(dp::Describe(semi->main).noise_scale, 2);
  EXPECT_EQ(dp::Describe(mal->main).noise_scale, 6);
  EXPECT_EQ(semi->total.value, mal->total.value);  // the same privacy cost
  DpAggregateSpec sum = SumSpec(0, 1000);
  sum.malicious = true;
  absl::StatusOr<AggregateMechanisms> s = CalibrateAggregate(sum);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(dp::Describe(s->main).noise_scale, 3 * 1023);
}

TEST(PrivateAggregateTest, MaliciousNoiseFreeCountAndSumAreExact) {
  auto sets = testing::MakeSets(1000, 700, 313, kSeed + 7);
  DpAggregateSpec count = CountSpec();
  count.malicious = true;
  auto [r, s] = CountSides(sets, count, /*insecure=*/true);
  Outcome o = RunBoth(r, s);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  ASSERT_TRUE(o.b.ok()) << o.b.status();
  EXPECT_EQ(o.a->count->estimate, 313);
  std::vector<int64_t> values(700);
  int64_t truth = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<int64_t>(i % 41) * 50 - 1100;  // some clamped at both ends
    if (std::binary_search(sets.common.begin(), sets.common.end(), sets.b[i])) {
      truth += std::clamp<int64_t>(values[i], -1000, 500);
    }
  }
  DpAggregateSpec sum = SumSpec(-1000, 500);
  sum.malicious = true;
  sum.count_epsilon = mpq_class(1, 2);
  auto [r2, s2] = SumSides(sets, values, sum, /*insecure=*/true);
  Outcome o2 = RunBoth(r2, s2);
  ASSERT_TRUE(o2.a.ok()) << o2.a.status();
  ASSERT_TRUE(o2.b.ok()) << o2.b.status();
  EXPECT_EQ(o2.a->sum->estimate, truth);
  EXPECT_EQ(o2.a->count->estimate, 313);
}

TEST(PrivateAggregateTest, MaliciousModeGivesTheResultToOneSideOnly) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed + 8);
  DpAggregateSpec count = CountSpec();
  count.malicious = true;
  auto [r, s] = CountSides(sets, count, /*insecure=*/false);
  r.params.peer_receives = s.params.i_receive = true;
  Outcome o = RunBoth(r, s);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.a_bytes_sent + o.b_bytes_sent, 0u);
}

TEST(PrivateAggregateTest, SecurityModelMismatchIsFailedPreconditionBeforeThePsi) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed + 9);
  auto [r, s] = CountSides(sets, CountSpec(), /*insecure=*/false);
  r.params.spec.malicious = true;
  Outcome o = RunBoth(r, s);
  EXPECT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(o.a.status().message()), ::testing::HasSubstr("security model"));
  EXPECT_LT(o.a_bytes_sent, 200u);  // the header alone
}

TEST(PrivateAggregateTest, NoiseDrawnForOtherParametersIsInvalidArgument) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed + 10);
  auto [ca, cb] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  absl::StatusOr<AggregateNoise> noise = AggregateNoise::Draw(CountSpec(1, 2), prng);
  ASSERT_TRUE(noise.ok());
  PrivateAggregateParams p;
  p.spec = CountSpec(1, 1);
  auto r = PrivateAggregate(p).Run(*ca, sets.a, {}, *std::move(noise), prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = PrivateAggregate(p).Run(*ca, sets.a, {}, AggregateNoise(), prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ca->bytes_sent(), 0u);
}

// Mean and spread over many noised runs on small sets: the estimate is
// unbiased and its spread is that of ONE noise (the peer's).
struct Moments {
  double mean = 0, sd = 0;
};
Moments NoisedRuns(const Side& r0, const Side& s0, int runs, bool sum) {
  double total = 0, total2 = 0;
  for (int i = 0; i < runs; ++i) {
    Side r = r0, s = s0;
    r.prng_seed = kSeed + 1000 + 2 * i;
    s.prng_seed = kSeed + 1001 + 2 * i;
    Outcome o = RunBoth(r, s);
    EXPECT_TRUE(o.a.ok()) << o.a.status();
    EXPECT_TRUE(o.b.ok()) << o.b.status();
    if (!o.a.ok()) return {};
    const double x = static_cast<double>(sum ? o.a->sum->estimate : o.a->count->estimate);
    total += x;
    total2 += x * x;
  }
  Moments m;
  m.mean = total / runs;
  m.sd = std::sqrt(total2 / runs - m.mean * m.mean);
  return m;
}

// LaplaceSd is the standard deviation of the discrete Laplace with scale b:
// variance 2q/(1-q)² with q = exp(-1/b).
double LaplaceSd(double b) {
  const double q = std::exp(-1 / b);
  return std::sqrt(2 * q) / (1 - q);
}

TEST(PrivateAggregateTest, NoisedCountIsUnbiasedWithTheLaplaceSpread) {
  constexpr int kRuns = 200;
  auto sets = testing::MakeSets(20, 20, 12, kSeed);
  auto [r, s] = CountSides(sets, CountSpec(1, 2), /*insecure=*/false);  // ε = 1/2: scale 2
  Moments m = NoisedRuns(r, s, kRuns, /*sum=*/false);
  const double sd = LaplaceSd(2);  // 2.73
  // Five standard errors; the spread within ±35% (its standard error is
  // about 9% for Laplace tails at 200 runs).
  EXPECT_NEAR(m.mean, 12, 5 * sd / std::sqrt(kRuns));
  EXPECT_GT(m.sd, 0.65 * sd);
  EXPECT_LT(m.sd, 1.35 * sd);
}

TEST(PrivateAggregateTest, NoisedGaussianSumIsUnbiasedWithTheGaussianSpread) {
  constexpr int kRuns = 150;
  auto sets = testing::MakeSets(20, 20, 10, kSeed);
  std::vector<int64_t> values(20);
  int64_t truth = 0;
  for (size_t i = 0; i < 20; ++i) {
    values[i] = static_cast<int64_t>(i) * 7 - 50;
    if (std::binary_search(sets.common.begin(), sets.common.end(), sets.b[i])) {
      truth += std::clamp<int64_t>(values[i], -10, 10);
    }
  }
  DpAggregateSpec spec = SumSpec(-10, 10);
  spec.delta = mpq_class(1, 1000000);
  auto [r, s] = SumSides(sets, values, spec, /*insecure=*/false);
  Moments m = NoisedRuns(r, s, kRuns, /*sum=*/true);
  // σ from the calibration: Δ = 10, ρ ≈ 0.01747 → σ = Δ/sqrt(2ρ) ≈ 53.5.
  auto mech = CalibrateAggregate(spec);
  ASSERT_TRUE(mech.ok());
  const double sigma = std::sqrt(mech->main.noise.parameter().get_d());
  EXPECT_NEAR(sigma, 53.5, 0.5);
  EXPECT_NEAR(m.mean, static_cast<double>(truth), 5 * sigma / std::sqrt(kRuns));
  EXPECT_GT(m.sd, 0.75 * sigma);
  EXPECT_LT(m.sd, 1.25 * sigma);
}

TEST(PrivateAggregateTest, ReleaseCarriesMechanismAndOneNoiseInterval) {
  auto sets = testing::MakeSets(30, 30, 10, kSeed);
  auto [r, s] = CountSides(sets, CountSpec(), /*insecure=*/false);
  Outcome o = RunBoth(r, s);
  ASSERT_TRUE(o.a.ok()) << o.a.status();
  const Release& c = *o.a->count;
  EXPECT_EQ(c.report.mechanism, "discrete_laplace");
  EXPECT_EQ(c.report.cost, "epsilon=1");
  EXPECT_EQ(c.report.noise_scale, 1);
  // The estimate holds the peer's noise only: the one-noise half-width.
  EXPECT_EQ(c.ci95_lo, c.estimate - c.report.half_width_95);
  EXPECT_EQ(c.ci95_hi, c.estimate + c.report.half_width_95);
  EXPECT_LT(c.report.half_width_95, c.report.half_width_95_two_noises);
  EXPECT_EQ(dp::DescribeCost(o.a->total_cost), "epsilon=1");
}

TEST(PrivateAggregateTest, SumWithCountComposesTheCosts) {
  DpAggregateSpec spec = SumSpec(0, 100);
  spec.count_epsilon = mpq_class(1, 4);
  auto m = CalibrateAggregate(spec);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(dp::DescribeCost(m->total), "epsilon=5/4");
  spec.delta = mpq_class(1, 1000000);
  m = CalibrateAggregate(spec);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->total.model, dp::PrivacyModel::kZcdp);
  EXPECT_EQ(m->total.value, m->main.cost.value + m->count->cost.value);
}

// Leakage. The receiver's result depends on the inputs only through the
// aggregate: two input pairs with the same sizes and the same count but
// DIFFERENT intersections, run with the same seeds, give the receiver
// byte-identical results and progress logs. (The peer's noise, drawn first
// from its seeded Prng, is the same in both runs, so equal outputs show
// that nothing but the count reached the output; a result that carried
// any function of which items matched would differ.) The noise is real:
// other seeds give other estimates.
TEST(PrivateAggregateTest, ReceiverOutputDependsOnlyOnTheAggregate) {
  auto sets1 = testing::MakeSets(200, 200, 60, kSeed + 11);
  auto sets2 = testing::MakeSets(200, 200, 60, kSeed + 12);
  // Same receiver set; the peer holds different members of it.
  sets2.a = sets1.a;
  sets2.b.clear();
  for (size_t i = 0; i < 60; ++i) sets2.b.push_back(sets1.a[199 - i]);
  for (size_t i = 0; i < 140; ++i) sets2.b.push_back(StrCat("other:", i));
  std::vector<int64_t> values(200, 3);  // sum 180 over either intersection

  for (bool sum : {false, true}) {
    SCOPED_TRACE(sum ? "sum" : "count");
    DpAggregateSpec spec = sum ? SumSpec(0, 10) : CountSpec();
    auto [r1, s1] = sum ? SumSides(sets1, values, spec, false) : CountSides(sets1, spec, false);
    auto [r2, s2] = sum ? SumSides(sets2, values, spec, false) : CountSides(sets2, spec, false);
    Outcome o1 = RunBoth(r1, s1), o2 = RunBoth(r2, s2);
    ASSERT_TRUE(o1.a.ok() && o2.a.ok()) << o1.a.status() << o2.a.status();
    const Release& x1 = sum ? *o1.a->sum : *o1.a->count;
    const Release& x2 = sum ? *o2.a->sum : *o2.a->count;
    EXPECT_EQ(x1.estimate, x2.estimate);
    EXPECT_EQ(x1.ci95_lo, x2.ci95_lo);
    EXPECT_EQ(x1.report.noise_parameter, x2.report.noise_parameter);
    EXPECT_EQ(o1.a->peer_set_size, o2.a->peer_set_size);
    EXPECT_EQ(o1.a_log, o2.a_log);
    EXPECT_EQ(o1.a_bytes_sent, o2.a_bytes_sent);
    // Real noise: another peer seed moves the estimate.
    int moved = 0;
    for (uint64_t k = 0; k < 5; ++k) {
      Side s3 = s1;
      s3.prng_seed = kSeed + 50 + k;
      Outcome o3 = RunBoth(r1, s3);
      ASSERT_TRUE(o3.a.ok()) << o3.a.status();
      moved += (sum ? o3.a->sum->estimate : o3.a->count->estimate) != x1.estimate;
    }
    EXPECT_GE(moved, 2);
  }
}

// Parameter mismatches stop both sides before any PSI message: each sends
// only its header.
TEST(PrivateAggregateTest, ParameterMismatchIsFailedPreconditionBeforePsiTraffic) {
  auto sets = testing::MakeSets(100, 100, 30, kSeed);
  std::vector<int64_t> values(100, 1);
  struct Case {
    const char* name;
    std::function<void(Side&)> change;  // applied to the receiver
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"epsilon", [](Side& r) { r.params.spec.epsilon = 2; }, "epsilon differs"},
      {"delta", [](Side& r) { r.params.spec.delta = mpq_class(1, 1000); }, "mechanism differs"},
      {"bounds", [](Side& r) { r.params.spec.hi = 11; }, "bounds differ"},
      {"count epsilon", [](Side& r) { r.params.spec.count_epsilon = 1; }, "count epsilon"},
      {"kind", [](Side& r) { r.params.spec.kind = AggregateKind::kCount; }, "aggregate differs"},
      {"peer announces no noise", [](Side& r) { r.insecure = true; }, "no noise"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto [r, s] = SumSides(sets, values, SumSpec(0, 10), /*insecure=*/false);
    c.change(r);
    if (r.params.spec.kind == AggregateKind::kCount) r.params.spec.lo = r.params.spec.hi = 0;
    Outcome o = RunBoth(r, s);
    ASSERT_EQ(o.b.status().code(), absl::StatusCode::kFailedPrecondition) << o.b.status();
    ASSERT_EQ(o.a.status().code(), absl::StatusCode::kFailedPrecondition) << o.a.status();
    EXPECT_THAT(std::string(o.a.status().message() ) + std::string(o.b.status().message()),
                ::testing::HasSubstr(c.expect));
    EXPECT_LT(o.a_bytes_sent, 150u);  // the header alone
    EXPECT_LT(o.b_bytes_sent, 150u);
  }
}

TEST(PrivateAggregateTest, ValuesSideReceivingAloneIsRefused) {
  auto sets = testing::MakeSets(10, 10, 5, kSeed);
  auto [r, s] = SumSides(sets, std::vector<int64_t>(10, 1), SumSpec(0, 10), false);
  s.params.i_receive = true;
  s.params.peer_receives = false;
  auto [ca, cb] = net::LocalPair();
  auto got = RunSide(*cb, s, nullptr);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  EXPECT_EQ(cb->bytes_sent(), 0u);
}

TEST(PrivateAggregateTest, SumThatCouldOverflowIsRefused) {
  auto sets = testing::MakeSets(10, 4, 2, kSeed);
  DpAggregateSpec spec = SumSpec(-(int64_t{1} << 60), int64_t{1} << 60);
  spec.epsilon = 1024;  // scale 2^50, within the sampler's cap
  auto [r, s] = SumSides(sets, std::vector<int64_t>(4, 1), spec, false);
  auto [ca, cb] = net::LocalPair();
  auto got = RunSide(*cb, s, nullptr);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr("2^62"));
  EXPECT_EQ(CheckSumRange(3, -(int64_t{1} << 60), int64_t{1} << 60).code(),
            absl::StatusCode::kOk);
}

TEST(PrivateAggregateTest, BadParametersAreInvalidArgument) {
  DpAggregateSpec spec = CountSpec();
  spec.epsilon = 0;
  EXPECT_EQ(CalibrateAggregate(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec = CountSpec();
  spec.delta = 1;
  EXPECT_EQ(CalibrateAggregate(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec = CountSpec();
  spec.count_epsilon = 1;
  EXPECT_EQ(CalibrateAggregate(spec).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CalibrateAggregate(SumSpec(0, 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CalibrateAggregate(SumSpec(5, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Faults on the first side's messages (header, the PSI's first, middle
// and last flights, the reveal) end both sides with a transport or
// malformed-message error, never a crash or a hang. A flipped byte inside
// a pseudo-random PSI message cannot be detected by a semi-honest protocol
// (TLS guarantees integrity), so flips are not in the list.
TEST(PrivateAggregateTest, FaultsEndWithDataLossOrUnavailable) {
  auto sets = testing::MakeSets(300, 300, 100, kSeed);
  std::vector<int64_t> values(300, 2);
  Side r0, s0;
  std::tie(r0, s0) = SumSides(sets, values, SumSpec(0, 10), false);
  r0.params.peer_receives = s0.params.i_receive = true;  // the reveal flows both ways
  Outcome clean = RunBoth(r0, s0);
  ASSERT_TRUE(clean.a.ok()) << clean.a.status();
  // Count the first side's messages with a never-firing fault.
  testing::Fault probe;
  probe.kind = testing::Fault::kTruncate;
  probe.message_index = UINT64_MAX;
  uint64_t num_messages = 0;
  {
    testing::PairOptions options;
    options.timeout = absl::Seconds(60);
    options.after = [&num_messages](const net::Channel& ca, const net::Channel&) {
      num_messages = ca.messages_sent();
    };
    auto [ra, rb] = testing::RunPair<PrivateAggregateResult>(
        [&](net::Channel& ch) { return RunSide(ch, r0, nullptr); },
        [&](net::Channel& ch) { return RunSide(ch, s0, nullptr); }, options);
    ASSERT_TRUE(ra.ok()) << ra.status();
    ASSERT_TRUE(rb.ok()) << rb.status();
  }
  ASSERT_GT(num_messages, 5u);
  for (testing::Fault::Kind kind :
       {testing::Fault::kTruncate, testing::Fault::kGarbage, testing::Fault::kDropAndClose,
        testing::Fault::kCloseBefore}) {
    for (uint64_t index : {uint64_t{0}, uint64_t{1}, num_messages / 2, num_messages - 1}) {
      testing::Fault fault;
      fault.kind = kind;
      fault.message_index = index;
      if (kind == testing::Fault::kGarbage) fault.garbage_len = 5;
      SCOPED_TRACE(fault.DebugString());
      Outcome o = RunBoth(r0, s0, fault);
      EXPECT_THAT(o.b.status().code(),
                  ::testing::AnyOf(absl::StatusCode::kDataLoss, absl::StatusCode::kUnavailable))
          << o.b.status();
      // The damaged side's own last message is its reveal: it has already
      // received the peer's, so its result may stand while the peer fails.
      if (!(index == num_messages - 1 && o.a.ok())) {
        EXPECT_THAT(o.a.status().code(), ::testing::AnyOf(absl::StatusCode::kDataLoss,
                                                          absl::StatusCode::kUnavailable))
            << o.a.status();
      }
    }
  }
}

}  // namespace
}  // namespace liaison::psi
