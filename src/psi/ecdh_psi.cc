#include "psi/ecdh_psi.h"

#include <algorithm>
#include <cstring>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/x25519.h"
#include "psi/internal/wire_header.h"

namespace liaison::psi {
namespace {

using crypto::MontPoint;
using crypto::kMontPointLen;

constexpr internal::WireProtocol kWire{EcdhPsi::kProtocolName, 0x48434445,  // "EDCH"
                                       EcdhPsi::kProtocolVersion};
// kHashDst separates this protocol's hash-to-curve from any other use.
constexpr std::string_view kHashDst = "liaison-ecdh-psi-v1";
// kBatch bounds the points a worker handles per call, so a worker's scratch
// stays in cache.
constexpr size_t kBatch = 256;

struct Header {
  uint32_t version = 0;
  PsiOutput output = PsiOutput::kIntersection;
  bool sender_receives = false;
  bool other_receives = false;
  uint64_t set_size = 0;
};

Bytes EncodeHeader(const Header& h) {
  ByteWriter w;
  internal::WriteHeaderStart(w, kWire);
  w.U8(h.output == PsiOutput::kIntersection ? 0 : 1);
  w.U8(h.sender_receives ? 1 : 0);
  w.U8(h.other_receives ? 1 : 0);
  w.U64(h.set_size);
  return w.Take();
}

absl::StatusOr<Header> DecodeHeader(ByteSpan msg) {
  ByteReader r(msg);
  LIAISON_RETURN_IF_ERROR(internal::ReadHeaderStart(r, kWire));
  Header h;
  h.version = kWire.version;
  LIAISON_ASSIGN_OR_RETURN(uint8_t output, internal::ReadFlag(r, kWire, "output"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t sender_receives, internal::ReadFlag(r, kWire, "recipients"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t other_receives, internal::ReadFlag(r, kWire, "recipients"));
  h.output = output == 0 ? PsiOutput::kIntersection : PsiOutput::kCardinality;
  h.sender_receives = sender_receives == 1;
  h.other_receives = other_receives == 1;
  LIAISON_ASSIGN_OR_RETURN(h.set_size, r.U64("ecdh-psi set size"));
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("ecdh-psi header"));
  return h;
}

bool PointLess(const MontPoint& a, const MontPoint& b) {
  return std::memcmp(a.data(), b.data(), kMontPointLen) < 0;
}

// Blinder multiplies batches of points by one secret scalar on all threads.
class Blinder {
 public:
  Blinder(crypto::X25519Scalar scalar, int num_threads)
      : scalar_(std::move(scalar)), num_threads_(num_threads) {}

  // HashAndBlind sets out[i] = [k]H(items[i]).
  void HashAndBlind(absl::Span<const std::string> items, absl::Span<MontPoint> out) const {
    ParallelFor(items.size(), num_threads_, kBatch, [&](size_t begin, size_t end) {
      std::vector<ByteSpan> msgs;
      msgs.reserve(kBatch);
      for (size_t b = begin; b < end; b += kBatch) {
        size_t e = std::min(end, b + kBatch);
        msgs.clear();
        for (size_t i = b; i < e; ++i) msgs.push_back(AsBytes(items[i]));
        auto dst = out.subspan(b, e - b);
        crypto::HashToCurve25519Batch(msgs, AsBytes(kHashDst), dst);
        crypto::X25519Batch(scalar_, dst, dst);
      }
    });
  }

  // Blind sets points[i] = [k]points[i].
  void Blind(absl::Span<MontPoint> points) const {
    ParallelFor(points.size(), num_threads_, kBatch, [&](size_t begin, size_t end) {
      for (size_t b = begin; b < end; b += kBatch) {
        auto s = points.subspan(b, std::min(end, b + kBatch) - b);
        crypto::X25519Batch(scalar_, s, s);
      }
    });
  }

 private:
  crypto::X25519Scalar scalar_;
  int num_threads_;
};

absl::Status SendPoints(net::Channel& channel, absl::Span<const MontPoint> points,
                        size_t chunk_len) {
  for (size_t b = 0; b < points.size(); b += chunk_len) {
    size_t e = std::min(points.size(), b + chunk_len);
    ByteSpan bytes(points[b].data(), (e - b) * kMontPointLen);
    LIAISON_RETURN_IF_ERROR(channel.Send(bytes));
  }
  return absl::OkStatus();
}

// RecvPointChunk receives the next chunk of `count` points and appends them
// to `out`, checking the length and that each is a canonical field element.
absl::Status RecvPointChunk(net::Channel& channel, size_t count, std::string_view what,
                            std::vector<MontPoint>& out) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != count * kMontPointLen) {
    return absl::DataLossError(StrCat("peer's ", what, " chunk is ", msg.size(),
                                      " bytes, expected ", count * kMontPointLen));
  }
  size_t base = out.size();
  out.resize(base + count);
  std::memcpy(out[base].data(), msg.data(), msg.size());
  for (size_t i = base; i < out.size(); ++i) {
    if (!crypto::IsCanonicalPoint(out[i])) {
      return absl::DataLossError(StrCat("peer's ", what, " holds a point that is not a ",
                                        "canonical Curve25519 u-coordinate"));
    }
  }
  return absl::OkStatus();
}

// MaxReserve bounds what we allocate on the peer's word alone; the rest
// grows as the peer's data really arrives.
constexpr size_t kMaxReserve = size_t{1} << 20;

}  // namespace

absl::StatusOr<PsiResult> EcdhPsi::Run(net::Channel& channel,
                                       absl::Span<const std::string> items,
                                       crypto::Prng& prng) const {
  const EcdhPsiParams& p = params_;
  if (p.chunk_len == 0 ||
      p.chunk_len * kMontPointLen + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::InvalidArgumentError("ecdh-psi chunk length does not fit the channel");
  }
  if (items.size() > UINT32_MAX) {
    return absl::InvalidArgumentError("ecdh-psi takes at most 2^32 - 1 items per side");
  }
  const int threads = p.num_threads > 0 ? p.num_threads : DefaultThreads();
  auto progress = [&](std::string_view phase, uint64_t done, uint64_t total) {
    if (p.progress) p.progress(phase, done, total);
  };

  Header mine{kProtocolVersion, p.output, p.i_receive, p.peer_receives, items.size()};
  LIAISON_RETURN_IF_ERROR(channel.Send(EncodeHeader(mine)));
  LIAISON_ASSIGN_OR_RETURN(Bytes header_msg, channel.Recv());
  LIAISON_ASSIGN_OR_RETURN(Header peer, DecodeHeader(header_msg));
  if (peer.version != kProtocolVersion || peer.output != p.output ||
      peer.sender_receives != p.peer_receives || peer.other_receives != p.i_receive) {
    return absl::FailedPreconditionError(
        "the peer's ecdh-psi parameters (version, output or recipients) differ from ours");
  }
  const size_t n = items.size();
  const uint64_t m = peer.set_size;

  Blinder blinder(crypto::X25519Scalar::Random(prng), threads);

  // Our blinded set, sent sorted by value: a permutation nobody can link to
  // our input order.
  progress("blinding", 0, n);
  std::vector<MontPoint> blinded(n);
  blinder.HashAndBlind(items, absl::MakeSpan(blinded));
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return PointLess(blinded[x], blinded[y]); });
  std::vector<MontPoint> sorted(n);
  for (size_t k = 0; k < n; ++k) sorted[k] = blinded[order[k]];
  blinded.clear();
  blinded.shrink_to_fit();
  for (size_t k = 1; k < n; ++k) {
    if (sorted[k] == sorted[k - 1]) {
      return absl::InvalidArgumentError("ecdh-psi items must be distinct");
    }
  }
  progress("blinding", n, n);
  LIAISON_RETURN_IF_ERROR(SendPoints(channel, sorted, p.chunk_len));

  // The peer's blinded set. In match mode we return each chunk re-blinded as
  // soon as it arrives; in count mode all of it, sorted, at the end.
  std::vector<MontPoint> peer_points;
  peer_points.reserve(std::min<uint64_t>(m, kMaxReserve));
  for (uint64_t got = 0; got < m;) {
    size_t count = static_cast<size_t>(std::min<uint64_t>(p.chunk_len, m - got));
    size_t base = peer_points.size();
    LIAISON_RETURN_IF_ERROR(RecvPointChunk(channel, count, "blinded set", peer_points));
    auto chunk = absl::MakeSpan(peer_points).subspan(base, count);
    blinder.Blind(chunk);
    if (p.peer_receives && p.output == PsiOutput::kIntersection) {
      LIAISON_RETURN_IF_ERROR(channel.Send(
          ByteSpan(chunk[0].data(), chunk.size() * kMontPointLen)));
    }
    got += count;
    progress("re-blinding", got, m);
  }
  std::sort(peer_points.begin(), peer_points.end(), PointLess);
  if (p.peer_receives && p.output == PsiOutput::kCardinality) {
    LIAISON_RETURN_IF_ERROR(SendPoints(channel, peer_points, p.chunk_len));
  }

  PsiResult result;
  result.peer_set_size = m;
  if (!p.i_receive) return result;

  // Our set, re-blinded by the peer: in our sorted order (match mode) or
  // sorted by the new value (count mode).
  std::vector<MontPoint> doubled;
  doubled.reserve(n);
  for (size_t got = 0; got < n;) {
    size_t count = std::min(p.chunk_len, n - got);
    LIAISON_RETURN_IF_ERROR(RecvPointChunk(channel, count, "re-blinded set", doubled));
    got += count;
    progress("matching", got, n);
  }
  result.received = true;
  for (size_t k = 0; k < n; ++k) {
    bool hit = std::binary_search(peer_points.begin(), peer_points.end(), doubled[k], PointLess);
    if (!hit) continue;
    ++result.intersection_size;
    if (p.output == PsiOutput::kIntersection) result.matched.push_back(order[k]);
  }
  std::sort(result.matched.begin(), result.matched.end());
  return result;
}

std::optional<uint64_t> EcdhPsi::AnnouncedSetSize(ByteSpan header) {
  absl::StatusOr<Header> h = DecodeHeader(header);
  return h.ok() ? std::optional<uint64_t>(h->set_size) : std::nullopt;
}

}  // namespace liaison::psi
