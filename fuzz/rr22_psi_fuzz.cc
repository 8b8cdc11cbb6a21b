// Fuzz target: one side of RR22 PSI (psi/rr22_psi.h) — its header, the
// silent VOLE and OT-extension messages, the OKVS and the F list — against a
// peer whose messages come from the fuzz input. The first byte picks the
// role, who receives and the security model.
#include <string>
#include <vector>

#include "crypto/prng.h"
#include "fuzz_support.h"
#include "psi/rr22_psi.h"

namespace {

using liaison::psi::Rr22Psi;
using liaison::psi::Rr22PsiParams;
using liaison::psi::Rr22Role;

constexpr uint64_t kSeed = 0x72723232f022;

Rr22PsiParams Params(uint8_t config, bool mirrored) {
  Rr22PsiParams p;
  bool i_receive = true, peer_receives = true;
  if (config % 3 == 1) peer_receives = false;
  if (config % 3 == 2) i_receive = false;
  Rr22Role role = Rr22Role::kAuto;
  if (i_receive && peer_receives) {
    role = ((config / 3) & 1) ? Rr22Role::kOprfSender : Rr22Role::kOprfReceiver;
  }
  if (mirrored) {
    std::swap(i_receive, peer_receives);
    if (role != Rr22Role::kAuto) {
      role = role == Rr22Role::kOprfSender ? Rr22Role::kOprfReceiver
                                           : Rr22Role::kOprfSender;
    }
  }
  p.malicious = ((config / 6) & 1) != 0;
  p.i_receive = i_receive;
  p.peer_receives = peer_receives;
  p.role = role;
  p.num_threads = 1;
  p.chunk_len = 16;
  // A deployment bounds the peer's set (liaison psi --max-peer-items); so
  // does the target, or a mutated size would only measure the allocator.
  p.max_peer_items = 4096;
  return p;
}

absl::Status RunSide(liaison::net::Channel& ch, uint8_t config) {
  liaison::crypto::Prng prng = liaison::crypto::Prng::FromTestSeed(kSeed);
  return Rr22Psi(Params(config, false)).Run(ch, liaison::fuzz::TestItems(40), prng)
      .status();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, RunSide);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return liaison::fuzz::RecordSeeds(
      {0, 1, 2, 3, 6, 7, 9}, RunSide, [](liaison::net::Channel& ch, uint8_t config) {
        liaison::crypto::Prng prng =
            liaison::crypto::Prng::FromTestSeed(kSeed + 1);
        (void)Rr22Psi(Params(config, true))
            .Run(ch, liaison::fuzz::TestItems(30, 25), prng);
      });
}
