// Coin tossing for the header seeds of the VOLE-based protocols: each side
// commits to its 16-byte seed in its header and opens it only after it has
// the peer's commitment, so that the agreed value (the XOR of both seeds,
// which keys the item hash and breaks role ties) is uniform as long as one
// side is honest: the side that speaks second can no longer choose it.
//
// Commitment: SHA-256("liaison-seed-commit-v1" ‖ seed), a random oracle on a
// uniform 128-bit seed (hiding by its entropy, binding by collision
// resistance). Rounds: one flight each way (both send before receiving).
// Bytes: 32 in the header, 16 for the opening.
#ifndef LIAISON_PSI_INTERNAL_SEED_COMMIT_H_
#define LIAISON_PSI_INTERNAL_SEED_COMMIT_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/block.h"
#include "crypto/hash.h"
#include "net/channel.h"

namespace liaison::psi::internal {

inline constexpr size_t kSeedCommitmentLen = 32;

// CommitSeed returns the commitment to `seed`.
crypto::Digest256 CommitSeed(const crypto::Block& seed);

// OpenSeeds sends our seed, receives the peer's and checks it against the
// peer's commitment from its header. Returns the peer's seed. Errors:
// DataLoss naming `protocol` for an opening of the wrong length or one that
// does not match the commitment (a peer that tried to choose its seed
// late); the channel's errors.
absl::StatusOr<crypto::Block> OpenSeeds(net::Channel& channel, const crypto::Block& mine,
                                        const crypto::Digest256& peer_commitment,
                                        std::string_view protocol);

}  // namespace liaison::psi::internal

#endif  // LIAISON_PSI_INTERNAL_SEED_COMMIT_H_
