// The header of the quorum protocol (mpsi/quorum.h), which every party
// sends every peer first: docs/protocols/quorum.md, section 5, version 2.
#ifndef LIAISON_MPSI_INTERNAL_QUORUM_HEADER_H_
#define LIAISON_MPSI_INTERNAL_QUORUM_HEADER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "mpsi/quorum.h"
#include "net/channel.h"

namespace liaison::mpsi::internal {

// PeerInfo is what a peer's header announces.
struct PeerInfo {
  uint64_t num_items = 0;
  uint64_t chunk_len = 0;
};

// EncodeHeader is party `from`'s header to party `to` among n, with its
// number of distinct items and the resolved threshold t.
Bytes EncodeHeader(int n, int from, int to, uint64_t num_items, int t, const QuorumParams& p);

// RecvHeader receives and checks party `peer`'s header: DataLoss for a
// malformed one (length, magic, version, flags, the channel's indices,
// item count or chunk length out of range), FailedPrecondition for one
// whose parameters differ from ours (t, count flag, output, reveal, DP
// parameters, ssp, OKVS bin size) or whose set exceeds p.max_peer_items.
absl::StatusOr<PeerInfo> RecvHeader(net::Channel& channel, int n, int me, int peer, int t,
                                    const QuorumParams& p);

}  // namespace liaison::mpsi::internal

#endif  // LIAISON_MPSI_INTERNAL_QUORUM_HEADER_H_
