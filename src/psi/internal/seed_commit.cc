#include "psi/internal/seed_commit.h"

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"

namespace liaison::psi::internal {

crypto::Digest256 CommitSeed(const crypto::Block& seed) {
  return crypto::Sha256Labelled("liaison-seed-commit-v1", seed);
}

absl::StatusOr<crypto::Block> OpenSeeds(net::Channel& channel, const crypto::Block& mine,
                                        const crypto::Digest256& peer_commitment,
                                        std::string_view protocol) {
  uint8_t raw[16];
  mine.ToBytes(raw);
  LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(raw, 16)));
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != 16) {
    return absl::DataLossError(
        StrCat("peer's ", protocol, " seed opening is ", msg.size(), " bytes, expected 16"));
  }
  const crypto::Block theirs = crypto::Block::FromBytes(msg.data());
  if (CommitSeed(theirs) != peer_commitment) {
    return absl::DataLossError(
        StrCat("peer's ", protocol, " seed does not match the commitment in its header"));
  }
  return theirs;
}

}  // namespace liaison::psi::internal
