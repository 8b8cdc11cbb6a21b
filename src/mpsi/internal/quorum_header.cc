#include "mpsi/internal/quorum_header.h"

#include <algorithm>
#include <string>

#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "mpsi/internal/mesh.h"

namespace liaison::mpsi::internal {
namespace {

// The header every party sends every peer first (docs/protocols/quorum.md,
// "Wire", quorum): magic, version, n, from, to, t, count shown, ssp, output
// mode, reveal, noise kind, number of distinct items, chunk length, OKVS
// bin size, digest of the DP parameters.
constexpr uint32_t kMagic = 0x51504d4c;  // "LMPQ" as little-endian bytes
constexpr uint8_t kVersion = 2;
constexpr size_t kDpDigestLen = 32;
constexpr size_t kHeaderLen = 4 + 10 * 1 + 3 * 8 + kDpDigestLen;

// NoiseKind is the header's noise byte: 0 none, 1 discrete Laplace, 2
// discrete Gaussian.
uint8_t NoiseKind(const QuorumParams& p) {
  if (!p.count_only || !p.dp) return 0;
  return p.dp->delta ? 2 : 1;
}

// DpDigest is SHA-256 of the DP parameters in canonical form (zero when
// there are none): a party with another ε or δ is refused.
crypto::Digest256 DpDigest(const QuorumParams& p) {
  crypto::Digest256 d{};
  if (NoiseKind(p) == 0) return d;
  mpq_class eps = p.dp->epsilon;
  eps.canonicalize();
  std::string text = StrCat("liaison quorum dp v1;epsilon=", eps.get_str());
  if (p.dp->delta) {
    mpq_class delta = *p.dp->delta;
    delta.canonicalize();
    text += StrCat(";delta=", delta.get_str());
  }
  return crypto::Sha256(AsBytes(text));
}

}  // namespace

Bytes EncodeHeader(int n, int from, int to, uint64_t num_items, int t, const QuorumParams& p) {
  ByteWriter w(kHeaderLen);
  w.U32(kMagic);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(n));
  w.U8(static_cast<uint8_t>(from));
  w.U8(static_cast<uint8_t>(to));
  w.U8(static_cast<uint8_t>(t));
  w.U8(p.show_count ? 1 : 0);
  w.U8(static_cast<uint8_t>(p.ssp));
  w.U8(p.count_only ? 1 : 0);
  w.U8(p.reveal == QuorumReveal::kAll ? 1 : 0);
  w.U8(NoiseKind(p));
  w.U64(num_items);
  w.U64(p.chunk_len);
  w.U64(p.okvs_bin_items);
  const crypto::Digest256 dp = DpDigest(p);
  w.Raw(ByteSpan(dp.data(), dp.size()));
  return w.Take();
}

absl::StatusOr<PeerInfo> RecvHeader(net::Channel& channel, int n, int me, int peer, int t,
                                    const QuorumParams& p) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, RecvExact(channel, kHeaderLen, "quorum", "header"));
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32("quorum magic"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t version, r.U8("quorum version"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t peer_n, r.U8("quorum n"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t from, r.U8("quorum sender index"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t to, r.U8("quorum receiver index"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t peer_t, r.U8("quorum threshold"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t show, r.U8("quorum count flag"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t ssp, r.U8("quorum ssp"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t count_only, r.U8("quorum output mode"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t reveal, r.U8("quorum reveal"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t noise, r.U8("quorum noise kind"));
  PeerInfo info;
  LIAISON_ASSIGN_OR_RETURN(info.num_items, r.U64("quorum item count"));
  LIAISON_ASSIGN_OR_RETURN(info.chunk_len, r.U64("quorum chunk length"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t bin_items, r.U64("quorum OKVS bin size"));
  LIAISON_ASSIGN_OR_RETURN(ByteSpan dp, r.Raw(kDpDigestLen, "quorum DP digest"));
  if (magic != kMagic || version != kVersion || show > 1 || count_only > 1 || reveal > 1 ||
      noise > 2) {
    return absl::DataLossError("quorum: not a quorum header (magic, version or flags)");
  }
  if (peer_n != n || from != peer || to != me) {
    return absl::DataLossError("quorum: the header names other parties than this channel's");
  }
  if (info.num_items > kMaxItems) {
    return absl::DataLossError("quorum: peer item count too large");
  }
  if (info.chunk_len == 0 || info.chunk_len > UINT32_MAX ||
      info.chunk_len * sizeof(crypto::Block) > channel.max_message_len()) {
    return absl::DataLossError("quorum: peer chunk length out of range");
  }
  if (peer_t != t) {
    return absl::FailedPreconditionError(StrCat("quorum: party ", peer, " runs threshold ",
                                                int{peer_t}, ", we run ", t));
  }
  if ((show == 1) != p.show_count) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, " disagrees on whether counts are shown"));
  }
  if ((count_only == 1) != p.count_only) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, " disagrees on whether only the count is opened"));
  }
  if ((reveal == 1) != (p.reveal == QuorumReveal::kAll)) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, " disagrees on who learns the qualifying items"));
  }
  const crypto::Digest256 our_dp = DpDigest(p);
  if (noise != NoiseKind(p) || !std::equal(dp.begin(), dp.end(), our_dp.begin())) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, "'s DP parameters differ from ours"));
  }
  if (ssp != p.ssp || bin_items != p.okvs_bin_items) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, "'s statistical parameters differ from ours"));
  }
  if (info.num_items > p.max_peer_items) {
    return absl::FailedPreconditionError(
        StrCat("quorum: party ", peer, "'s set is larger than this party accepts"));
  }
  return info;
}

}  // namespace liaison::mpsi::internal
