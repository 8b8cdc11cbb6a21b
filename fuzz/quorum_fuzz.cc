// Fuzz target: one party of the n-party protocols of mpsi/ (mpsi/quorum.h,
// and through it the intersection of mpsi/mpsi.h) with n = 2, against a
// peer whose messages come from the fuzz input: the header, the shared
// membership runs (bin OPRF, hint OKVS, OT extension, equality test), the
// bit-to-arithmetic conversion, the one-hot rotations, the output shares
// and the confirmation; in count-only mode the n-party fold and the total
// share, with reveal = all the lists of qualifying items. The
// configuration byte picks our index, the threshold (1: over-threshold,
// 2: the intersection), whether counts are shown, count-only (bit 3) and
// reveal = all (bit 4).
#include <string>
#include <vector>

#include "crypto/block.h"
#include "crypto/prng.h"
#include "fuzz_support.h"
#include "mpsi/quorum.h"

namespace {

using liaison::crypto::Block;

constexpr uint64_t kSeed = 0x71756f72f022;

liaison::mpsi::QuorumParams Params(uint8_t config) {
  liaison::mpsi::QuorumParams p;
  p.threshold = (config & 2) != 0 ? 2 : 1;
  p.show_count = (config & 4) == 0;
  p.count_only = (config & 8) != 0;
  if ((config & 16) != 0 && !p.count_only && p.show_count) {
    p.reveal = liaison::mpsi::QuorumReveal::kAll;
  }
  p.num_threads = 1;
  p.chunk_len = 16;
  // The session bounds a peer's set (the alliance's set-size bound); so
  // does the target, or a mutated size would only measure the allocator.
  p.max_peer_items = 4096;
  return p;
}

// Items returns items first … first + n − 1 of one pseudo-random list (the
// protocols take hashed, pseudo-random keys).
std::vector<Block> Items(size_t n, size_t first) {
  liaison::crypto::Prng prng = liaison::crypto::Prng::FromTestSeed(kSeed + 7);
  std::vector<Block> all(first + n);
  for (Block& b : all) b = prng.NextBlock();
  return std::vector<Block>(all.begin() + first, all.end());
}

absl::Status Run(liaison::net::Channel& ch, uint8_t config, bool mirrored, uint64_t seed) {
  const int me = ((config & 1) != 0) != mirrored ? 1 : 0;
  std::vector<liaison::net::Channel*> channels(2, nullptr);
  channels[1 - me] = &ch;
  liaison::crypto::Prng prng = liaison::crypto::Prng::FromTestSeed(seed);
  const std::vector<Block> items = mirrored ? Items(30, 10) : Items(40, 0);
  const liaison::mpsi::QuorumParams p = Params(config);
  if (p.count_only) {
    return liaison::mpsi::Quorum(p)
        .Count(me, channels, items, liaison::mpsi::QuorumNoise(), prng)
        .status();
  }
  return liaison::mpsi::Quorum(p).Run(me, channels, items, prng).status();
}

absl::Status RunSide(liaison::net::Channel& ch, uint8_t config) {
  return Run(ch, config, false, kSeed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, RunSide);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return liaison::fuzz::RecordSeeds(
      {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 16, 17}, RunSide, [](liaison::net::Channel& ch, uint8_t config) {
        (void)Run(ch, config, true, kSeed + 1);
      });
}
