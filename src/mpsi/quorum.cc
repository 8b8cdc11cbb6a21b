#include "mpsi/quorum.h"

namespace liaison::mpsi {

absl::StatusOr<QuorumOutput> Quorum::Run(int me, absl::Span<net::Channel* const> channels,
                                         absl::Span<const crypto::Block> items,
                                         crypto::Prng& prng) const {
  const int n = static_cast<int>(channels.size());
  const int t = params_.threshold == 0 ? n : params_.threshold;
  if (t < 1 || t > n) return absl::InvalidArgumentError("quorum: threshold outside [1, n]");
  if (t != n) return absl::UnimplementedError("quorum: thresholds below n are not built yet");
  MpsiParams p;
  p.num_threads = params_.num_threads;
  p.chunk_len = params_.chunk_len;
  p.okvs_bin_items = params_.okvs_bin_items;
  p.ssp = params_.ssp;
  p.max_peer_items = params_.max_peer_items;
  auto got = MultipartyIntersection(p).Run(me, channels, items, prng);
  if (!got.ok()) return got.status();
  QuorumOutput out;
  out.indices = std::move(*got);
  out.holders.assign(out.indices.size(), params_.show_count ? static_cast<uint32_t>(n) : 0);
  return out;
}

}  // namespace liaison::mpsi
