// Fuzz target: the agreement of a quorum job (session/quorum_job.h,
// AgreeOnQuorumJob) between two members, against a peer whose terms and
// verdict come from the fuzz input. The first byte picks our member index
// (0 or 1), whether counts are shown, and whether the job is a noised
// count (count-only with ε and δ, so that the DP strings are parsed too),
// so that the peer's index, the flags and every other field are both
// parsed and compared.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "session/parties.h"
#include "session/quorum_job.h"

namespace {

using liaison::session::Party;
using liaison::session::QuorumJobParams;

constexpr uint8_t kNumConfigs = 8;

std::vector<Party> TwoParties() {
  std::vector<Party> parties(2);
  parties[0].name = "alpha";
  parties[0].address = "127.0.0.1:7401";
  parties[0].host_port = {"127.0.0.1", 7401};
  parties[0].fingerprint = "sha256:" + std::string(64, 'a');
  parties[1].name = "bravo";
  parties[1].address = "127.0.0.1:7402";
  parties[1].host_port = {"127.0.0.1", 7402};
  parties[1].fingerprint = "sha256:" + std::string(64, 'b');
  return parties;
}

// Agree runs the agreement as member `me` (config bit 0) with counts shown
// or not (bit 1), a noised count or not (bit 2), over `channel` to the
// other member.
absl::Status Agree(liaison::net::Channel& channel, uint8_t config, bool as_peer) {
  config %= kNumConfigs;
  const int me = (config & 1) ^ (as_peer ? 1 : 0);
  QuorumJobParams params;
  params.show_count = (config & 2) == 0;
  if ((config & 4) != 0) {
    params.count_only = true;
    params.dp.emplace();
    params.dp->epsilon = mpq_class(1, 3);
    params.dp->delta = mpq_class(1, 1000000);
  }
  params.max_peer_set_size = 1 << 20;
  std::vector<liaison::net::Channel*> channels(2, nullptr);
  channels[1 - me] = &channel;
  return liaison::session::AgreeOnQuorumJob(channels, me, TwoParties(), params, 1000).status();
}

absl::Status RunSide(liaison::net::Channel& ch, uint8_t config) {
  return Agree(ch, config, /*as_peer=*/false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, RunSide);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  std::vector<uint8_t> configs;
  for (uint8_t c = 0; c < kNumConfigs; ++c) configs.push_back(c);
  std::vector<std::string> seeds = liaison::fuzz::RecordSeeds(
      configs, RunSide,
      [](liaison::net::Channel& ch, uint8_t config) { (void)Agree(ch, config, true); });
  // A peer that differs (counts shown against hidden), so that the
  // refusal and its verdict are reached as well.
  std::string seed(1, static_cast<char>(0));
  seed += liaison::fuzz::RecordScript([](liaison::net::Channel& ch) { (void)RunSide(ch, 0); },
                                      [](liaison::net::Channel& ch) { (void)Agree(ch, 2, true); });
  seeds.push_back(std::move(seed));
  return seeds;
}
