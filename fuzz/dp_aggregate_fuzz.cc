// Fuzz target: one side of the differentially private count and sum
// (psi/private_aggregate.h) — its header with the DP parameters, the
// shared-output PSI's messages and the reveal — against a peer whose
// messages come from the fuzz input. The first byte picks count or sum,
// who receives and which side holds the values.
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/prng.h"
#include "fuzz_support.h"
#include "psi/private_aggregate.h"

namespace {

using liaison::psi::AggregateKind;
using liaison::psi::PrivateAggregate;
using liaison::psi::PrivateAggregateParams;

constexpr uint64_t kSeed = 0xd9a66f022;

// Params: bit 0 sum (else count); bit 1 this side holds the values (sum);
// bit 2 both receive (else only the side without values, or this side for
// a count).
PrivateAggregateParams Params(uint8_t config, bool mirrored) {
  PrivateAggregateParams p;
  const bool sum = (config & 1) != 0;
  const bool mine_has_values = sum && (config & 2) != 0;
  const bool both = (config & 4) != 0;
  bool has_values = mirrored ? (sum && !mine_has_values) : mine_has_values;
  // The side without values receives; with a count, the non-mirrored side.
  bool i_receive = sum ? !has_values : !mirrored;
  bool peer_receives = sum ? has_values : mirrored;
  if (both) i_receive = peer_receives = true;
  p.spec.kind = sum ? AggregateKind::kSum : AggregateKind::kCount;
  p.spec.epsilon = mpq_class(1, 2);
  if (sum) {
    p.spec.lo = -1000;
    p.spec.hi = 1000;
    p.spec.count_epsilon = mpq_class(1, 4);
  }
  p.i_receive = i_receive;
  p.peer_receives = peer_receives;
  p.has_values = has_values;
  p.num_threads = 1;
  p.chunk_len = 16;
  p.max_peer_items = 4096;
  return p;
}

std::vector<int64_t> Values(const PrivateAggregateParams& p, size_t n) {
  std::vector<int64_t> v;
  if (!p.has_values) return v;
  for (size_t i = 0; i < n; ++i) v.push_back(static_cast<int64_t>(i * 37 % 2001) - 1000);
  return v;
}

absl::Status RunSide(liaison::net::Channel& ch, uint8_t config) {
  const PrivateAggregateParams p = Params(config, false);
  const std::vector<std::string> items = liaison::fuzz::TestItems(30);
  liaison::crypto::Prng prng = liaison::crypto::Prng::FromTestSeed(kSeed);
  absl::StatusOr<liaison::psi::AggregateNoise> noise =
      liaison::psi::AggregateNoise::Draw(p.spec, prng);
  if (!noise.ok()) return noise.status();
  return PrivateAggregate(p).Run(ch, items, Values(p, items.size()), *std::move(noise), prng)
      .status();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, RunSide);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return liaison::fuzz::RecordSeeds(
      {0, 4, 1, 3, 5}, RunSide, [](liaison::net::Channel& ch, uint8_t config) {
        const PrivateAggregateParams p = Params(config, true);
        const std::vector<std::string> items = liaison::fuzz::TestItems(25, 20);
        liaison::crypto::Prng prng = liaison::crypto::Prng::FromTestSeed(kSeed + 1);
        auto noise = liaison::psi::AggregateNoise::Draw(p.spec, prng);
        if (noise.ok()) {
          (void)PrivateAggregate(p).Run(ch, items, Values(p, items.size()), *std::move(noise),
                                        prng);
        }
      });
}
