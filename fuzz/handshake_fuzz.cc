// Fuzz target: the session handshake (session/handshake.h) against a peer
// whose Offer and Verdict come from the fuzz input. The first byte picks our
// own offer (MyOffer): a match, or a differentially private count or sum
// whose offer carries a DP block (mechanism, ε, δ, count ε, bounds, value
// side), so that the peer's DP block is both parsed and compared with ours.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "session/handshake.h"

namespace {

using liaison::session::DpOffer;
using liaison::session::Offer;
using liaison::session::ResultTo;

// kNumConfigs is how many offers MyOffer knows; other bytes wrap around.
constexpr uint8_t kNumConfigs = 5;

// MyOffer is this side's offer for `config`: 0 a match; 1 a count with the
// discrete Laplace; 2 a count with the discrete Gaussian; 3 a sum with a
// noised count where this side brings the values and the peer receives;
// 4 the same sum where the peer brings the values and this side receives.
// With `mirrored`, it is the honest peer's matching offer instead.
Offer MyOffer(uint8_t config, bool mirrored = false) {
  config %= kNumConfigs;
  Offer o;
  o.protocol = "rr22-psi";
  o.protocol_version = 1;
  o.mode = "match";
  o.profile_name = "liaison-indicators";
  o.profile_version = 1;
  o.profile_digest = std::string(64, 'a');
  o.set_size = 1000;
  o.software_version = "0.1.0";
  o.max_peer_set_size = 1 << 20;
  // Both sides announce one build and require it, so the peer's build
  // digest is parsed and compared too.
  o.build = "sha256:" + std::string(64, 'b');
  o.require_build = {o.build};
  if (config == 0) return o;
  o.protocol = "dp-aggregate";
  DpOffer dp;
  dp.epsilon = "1/2";
  if (config <= 2) {
    o.mode = "count";
    dp.mechanism = config == 1 ? "discrete_laplace" : "discrete_gaussian";
    if (config == 2) dp.delta = "1/1000000";
  } else {
    o.mode = "sum";
    dp.mechanism = "discrete_laplace";
    dp.count_epsilon = "1/4";
    dp.lo = -1000;
    dp.hi = 5000;
    const bool mine_has_values = config == 3;
    dp.has_values = mirrored ? !mine_has_values : mine_has_values;
    // The side without values receives.
    o.result_to = dp.has_values ? ResultTo::kPeer : ResultTo::kMe;
  }
  o.dp = dp;
  return o;
}

absl::Status RunSide(liaison::net::Channel& ch, uint8_t config) {
  return liaison::session::Handshake(ch, MyOffer(config)).status();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, RunSide);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  std::vector<uint8_t> configs;
  for (uint8_t c = 0; c < kNumConfigs; ++c) configs.push_back(c);
  // Peers that agree: each seed runs the handshake to the end.
  std::vector<std::string> seeds = liaison::fuzz::RecordSeeds(
      configs, RunSide,
      [](liaison::net::Channel& ch, uint8_t config) {
        (void)liaison::session::Handshake(ch, MyOffer(config, /*mirrored=*/true));
      });
  // Peers that differ: in the profile, in the DP parameters, and in the
  // value side of a sum (both bring values), so that the refusals are
  // reached as well.
  auto disagreeing = [&](uint8_t config, void (*change)(Offer&)) {
    Offer theirs = MyOffer(config, /*mirrored=*/true);
    change(theirs);
    std::string seed(1, static_cast<char>(config));
    seed += liaison::fuzz::RecordScript(
        [&](liaison::net::Channel& ch) { (void)RunSide(ch, config); },
        [&](liaison::net::Channel& ch) { (void)liaison::session::Handshake(ch, theirs); });
    seeds.push_back(std::move(seed));
  };
  disagreeing(0, [](Offer& o) { o.profile_version = 2; });
  disagreeing(1, [](Offer& o) { o.dp->epsilon = "1/3"; });
  disagreeing(2, [](Offer& o) { o.dp->delta = ""; });
  disagreeing(3, [](Offer& o) { o.dp->has_values = true; });
  disagreeing(4, [](Offer& o) { o.dp->hi = 4999; });
  return seeds;
}
