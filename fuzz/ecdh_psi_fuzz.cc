// Fuzz target: one side of ECDH PSI (psi/ecdh_psi.h) against a peer whose
// messages come from the fuzz input. The first byte picks the mode and who
// receives.
#include <string>
#include <vector>

#include "crypto/prng.h"
#include "fuzz_support.h"
#include "psi/ecdh_psi.h"

namespace {

using liaison::psi::EcdhPsi;
using liaison::psi::EcdhPsiParams;
using liaison::psi::PsiOutput;

constexpr uint64_t kSeed = 0xecd4f022;

EcdhPsiParams Params(uint8_t config, bool mirrored) {
  EcdhPsiParams p;
  p.output = (config & 1) ? PsiOutput::kCardinality : PsiOutput::kIntersection;
  bool i_receive = true, peer_receives = true;
  if ((config >> 1) % 3 == 1) peer_receives = false;
  if ((config >> 1) % 3 == 2) i_receive = false;
  if (p.output == PsiOutput::kCardinality && !i_receive) i_receive = true;
  p.i_receive = mirrored ? peer_receives : i_receive;
  p.peer_receives = mirrored ? i_receive : peer_receives;
  p.num_threads = 1;
  p.chunk_len = 7;  // several chunks on a few items
  return p;
}

absl::Status RunSide(liaison::net::Channel& ch, uint8_t config) {
  liaison::crypto::Prng prng = liaison::crypto::Prng::FromTestSeed(kSeed);
  return EcdhPsi(Params(config, false)).Run(ch, liaison::fuzz::TestItems(20), prng)
      .status();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, RunSide);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return liaison::fuzz::RecordSeeds(
      {0, 1, 2, 3, 4}, RunSide, [](liaison::net::Channel& ch, uint8_t config) {
        liaison::crypto::Prng prng =
            liaison::crypto::Prng::FromTestSeed(kSeed + 1);
        (void)EcdhPsi(Params(config, true))
            .Run(ch, liaison::fuzz::TestItems(25, 10), prng);
      });
}
