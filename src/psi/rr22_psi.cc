#include "psi/rr22_psi.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"
#include "okvs/okvs.h"
#include "crypto/secret_blocks.h"
#include "psi/internal/item_hash.h"
#include "psi/internal/seed_commit.h"
#include "psi/internal/wire_header.h"
#include "psi/rr22_oprf.h"
#include "psi/shared_output_psi.h"

namespace liaison::psi {
namespace {

using crypto::Block;
using crypto::SecretBlock;
using crypto::SecretBlocks;

constexpr internal::WireProtocol kWire{Rr22Psi::kProtocolName, 0x32325252,  // "RR22"
                                       Rr22Psi::kProtocolVersion};
// kBatch bounds the items a worker handles per call, so its scratch stays
// in cache.
constexpr size_t kBatch = 1024;
// kMaxReserve bounds what we allocate on the peer's word alone for lists
// that grow as data arrives.
constexpr size_t kMaxReserve = size_t{1} << 20;

enum WireRole : uint8_t { kWireAuto = 0, kWireReceiver = 1, kWireSender = 2 };

// kTagLabel and kProofLabel separate, in malicious mode, the value S sends
// for each item (T = CrHash(F ⊕ kTagLabel)) from the proof R returns for a
// match (CrHash(F ⊕ kProofLabel)): R knows the proof only for F values it
// computed itself. The ASCII of "rr22/tag" and "rr22/proof".
constexpr Block kTagLabel{0, 0x6761742f32327272};
constexpr Block kProofLabel{0x666f, 0x6f72702f32327272};
// kProofEntryLen: u32 position ‖ 16-byte proof.
constexpr size_t kProofEntryLen = 20;

struct Header {
  uint32_t version = 0;
  PsiOutput output = PsiOutput::kIntersection;
  bool sender_receives = false;
  bool other_receives = false;
  uint8_t role = kWireAuto;
  bool malicious = false;
  uint64_t set_size = 0;
  uint64_t chunk_len = 0;
  uint64_t okvs_bin_items = 0;
  // seed is ours (never sent before the opening) or the peer's once opened;
  // the header carries the commitment (psi/internal/seed_commit.h).
  Block seed;
  crypto::Digest256 commitment{};
};

Bytes EncodeHeader(const Header& h) {
  ByteWriter w;
  internal::WriteHeaderStart(w, kWire);
  w.U8(h.output == PsiOutput::kIntersection ? 0 : 1);
  w.U8(h.sender_receives ? 1 : 0);
  w.U8(h.other_receives ? 1 : 0);
  w.U8(h.role);
  w.U8(h.malicious ? 1 : 0);
  w.U64(h.set_size);
  w.U64(h.chunk_len);
  w.U64(h.okvs_bin_items);
  w.Raw(ByteSpan(h.commitment.data(), h.commitment.size()));
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
  LIAISON_ASSIGN_OR_RETURN(h.role, internal::ReadFlag(r, kWire, "role", kWireSender));
  LIAISON_ASSIGN_OR_RETURN(uint8_t security, internal::ReadFlag(r, kWire, "security"));
  h.output = output == 0 ? PsiOutput::kIntersection : PsiOutput::kCardinality;
  h.sender_receives = sender_receives == 1;
  h.other_receives = other_receives == 1;
  h.malicious = security == 1;
  LIAISON_ASSIGN_OR_RETURN(h.set_size, r.U64("rr22-psi set size"));
  LIAISON_ASSIGN_OR_RETURN(h.chunk_len, r.U64("rr22-psi chunk length"));
  LIAISON_ASSIGN_OR_RETURN(h.okvs_bin_items, r.U64("rr22-psi okvs bin items"));
  LIAISON_ASSIGN_OR_RETURN(ByteSpan commitment,
                           r.Raw(internal::kSeedCommitmentLen, "rr22-psi seed commitment"));
  std::copy(commitment.begin(), commitment.end(), h.commitment.begin());
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("rr22-psi header"));
  return h;
}

uint8_t ToWire(Rr22Role role) {
  switch (role) {
    case Rr22Role::kOprfReceiver:
      return kWireReceiver;
    case Rr22Role::kOprfSender:
      return kWireSender;
    case Rr22Role::kAuto:
      break;
  }
  return kWireAuto;
}

// ResolveRole returns whether this side is the OPRF receiver. Both sides
// reach mirrored answers from the two headers (checked to be mirrored).
absl::StatusOr<bool> ResolveRole(const Header& mine, const Header& peer) {
  const bool i_receive = mine.sender_receives;
  const bool peer_receives = mine.other_receives;
  auto contradicts = [](uint8_t role, bool is_receiver) {
    return (role == kWireReceiver && !is_receiver) ||
           (role == kWireSender && is_receiver);
  };
  bool me_r;
  if (i_receive != peer_receives) {
    me_r = i_receive;
  } else if (mine.role != kWireAuto) {
    me_r = mine.role == kWireReceiver;
  } else if (peer.role != kWireAuto) {
    me_r = peer.role == kWireSender;
  } else if (mine.set_size != peer.set_size) {
    me_r = mine.set_size < peer.set_size;
  } else if (mine.seed != peer.seed) {
    me_r = mine.seed < peer.seed;
  } else {
    return absl::FailedPreconditionError(
        "rr22-psi cannot break the role tie: equal seeds");
  }
  if (contradicts(mine.role, me_r) || contradicts(peer.role, !me_r)) {
    return absl::FailedPreconditionError(
        "the peer's rr22-psi role contradicts ours or the recipients");
  }
  return me_r;
}


// TagLen returns L = ⌈σ/8⌉ bytes, σ = 40 + ⌈log2(n_r·n_s)⌉, at most 16;
// 16 in malicious mode, where each value must name the one query that made
// it (psi/rr22_oprf.h).
size_t TagLen(uint64_t n_r, uint64_t n_s, bool malicious) {
  if (malicious) return 16;
  const uint64_t prod = n_r * n_s;  // both < 2^32
  const size_t sigma = 40 + static_cast<size_t>(std::bit_width(prod - 1));
  return std::min<size_t>(16, (sigma + 7) / 8);
}

// SortEntry is a truncated F value as a pair of big-endian words (so that
// integer order is the byte order of the wire) and the item it came from.
struct SortEntry {
  uint64_t k1 = 0;
  uint64_t k2 = 0;
  uint32_t idx = 0;
  bool SameTag(const SortEntry& o) const { return k1 == o.k1 && k2 == o.k2; }
  bool TagLess(const SortEntry& o) const {
    return k1 != o.k1 ? k1 < o.k1 : k2 < o.k2;
  }
};

uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

SortEntry TagFromBytes(const uint8_t* p, size_t len, uint32_t idx) {
  uint8_t buf[16] = {};
  std::memcpy(buf, p, len);
  return SortEntry{LoadBe64(buf), LoadBe64(buf + 8), idx};
}

// MakeSortedTags returns (tag of f[i], i) for all i, sorted by tag (then
// index): a bucket pass on the top bits, then the buckets in parallel.
std::vector<SortEntry> MakeSortedTags(const crypto::UninitSecretBlocks& f, size_t tag_len,
                                      int threads) {
  const size_t n = f.size();
  std::vector<SortEntry> v(n);
  ParallelFor(n, threads, kBatch, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      uint8_t b[16];
      f[i].ToBytes(b);
      v[i] = TagFromBytes(b, tag_len, static_cast<uint32_t>(i));
    }
  });
  if (n < 2) return v;
  const int bits = std::min(16, static_cast<int>(std::bit_width(n / 64)));
  const size_t num_buckets = size_t{1} << bits;
  auto bucket = [&](const SortEntry& e) -> size_t {
    return bits == 0 ? 0 : static_cast<size_t>(e.k1 >> (64 - bits));
  };
  std::vector<size_t> start(num_buckets + 1, 0);
  for (const SortEntry& e : v) ++start[bucket(e) + 1];
  for (size_t b = 0; b < num_buckets; ++b) start[b + 1] += start[b];
  std::vector<SortEntry> out(n);
  {
    std::vector<size_t> pos(start.begin(), start.end() - 1);
    for (const SortEntry& e : v) out[pos[bucket(e)]++] = e;
  }
  ParallelFor(num_buckets, threads, 16, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      std::sort(out.begin() + start[b], out.begin() + start[b + 1],
                [](const SortEntry& x, const SortEntry& y) {
                  return x.TagLess(y) || (x.SameTag(y) && x.idx < y.idx);
                });
    }
  });
  return out;
}

// LabelledHash sets out[i] = CrHash(in[i] ⊕ label), on `threads` threads.
void LabelledHash(absl::Span<const Block> in, const Block& label,
                  absl::Span<Block> out, int threads) {
  ParallelFor(in.size(), threads, kBatch, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) out[i] = in[i] ^ label;
    crypto::CrHash(out.subspan(begin, end - begin), out.subspan(begin, end - begin));
  });
}

// SortedValues returns the sorted tags S sends for the OPRF values `f`:
// their first tag_len bytes (semi-honest) or T = CrHash(F ⊕ kTagLabel)
// (malicious).
std::vector<SortEntry> SortedValues(const crypto::UninitSecretBlocks& f,
                                    bool malicious, size_t tag_len,
                                    int threads) {
  if (!malicious) return MakeSortedTags(f, tag_len, threads);
  crypto::UninitSecretBlocks tags(f.size());
  LabelledHash(f.span(), kTagLabel, tags.span(), threads);
  return MakeSortedTags(tags, tag_len, threads);
}

// ProofChunk is the number of (position, proof) entries per message for a
// side whose chunk length is `chunk_len`: 20 bytes each, so that a message
// stays within the 16·chunk_len bytes the chunk length was checked for.
uint64_t ProofChunk(uint64_t chunk_len) { return std::max<uint64_t>(1, chunk_len / 2); }

// RecvExact receives one message of exactly `len` bytes.
absl::StatusOr<Bytes> RecvExact(net::Channel& channel, size_t len,
                                std::string_view what) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != len) {
    return absl::DataLossError(
        StrCat("peer's ", what, " is ", msg.size(), " bytes, expected ", len));
  }
  return msg;
}

// Context is what both roles share after the headers.
struct Context {
  const Rr22PsiParams& p;
  int threads;
  uint64_t n_r;  // OPRF receiver's set size
  uint64_t n_s;  // OPRF sender's set size
  size_t tag_len;
  uint64_t peer_chunk_len;
  crypto::Aes128 item_aes;
  void Progress(std::string_view phase, uint64_t done, uint64_t total) const {
    if (p.progress) p.progress(phase, done, total);
  }
};

Rr22OprfParams OprfParams(const Context& ctx) {
  Rr22OprfParams o;
  o.num_threads = ctx.threads;
  o.chunk_len = ctx.p.chunk_len;
  o.okvs_bin_items = ctx.p.okvs_bin_items;
  o.malicious = ctx.p.malicious;
  o.progress = ctx.p.progress;
  return o;
}

// RunOprfReceiver is R's side: VOLE, OKVS, P ⊕ C out, F list in, match.
absl::StatusOr<PsiResult> RunOprfReceiver(const Context& ctx,
                                          net::Channel& channel,
                                          absl::Span<const std::string> items,
                                          crypto::Prng& prng) {
  const Rr22PsiParams& p = ctx.p;
  const size_t n = items.size();

  ctx.Progress("hashing", 0, n);
  std::vector<Block> keys(n);
  internal::HashItems(ctx.item_aes, items, absl::MakeSpan(keys), ctx.threads);
  ctx.Progress("hashing", n, n);

  // Our OPRF values F(y), as sorted tags.
  crypto::UninitSecretBlocks f(n);  // every value is written by the OPRF
  absl::Status oprf =
      Rr22OprfReceiver(OprfParams(ctx)).Run(channel, keys, f.span(), prng);
  if (okvs::IsDuplicateKeysError(oprf)) {
    return okvs::DuplicateKeysError(StrCat(
        "rr22-psi items must be distinct (", std::string(oprf.message()), ")"));
  }
  LIAISON_RETURN_IF_ERROR(oprf);
  // Malicious: S sends T = CrHash(F ⊕ kTagLabel), and a match we report is
  // backed by CrHash(F ⊕ kProofLabel), so we keep F until then.
  const bool prove = p.malicious && p.peer_receives;
  std::vector<SortEntry> mine =
      SortedValues(f, p.malicious, ctx.tag_len, ctx.threads);
  if (!prove) f.Clear();

  // The peer's sorted list, merged with ours as it arrives.
  PsiResult result;
  result.peer_set_size = ctx.n_s;
  result.received = p.i_receive;
  std::vector<uint32_t> positions;
  std::vector<uint32_t> position_items;  // one of our items per position
  size_t j = 0;
  SortEntry prev;
  for (uint64_t got = 0; got < ctx.n_s;) {
    const size_t count = static_cast<size_t>(
        std::min<uint64_t>(ctx.peer_chunk_len, ctx.n_s - got));
    LIAISON_ASSIGN_OR_RETURN(
        Bytes msg, RecvExact(channel, count * ctx.tag_len, "F-list chunk"));
    for (size_t i = 0; i < count; ++i) {
      const uint64_t k = got + i;
      SortEntry t = TagFromBytes(msg.data() + i * ctx.tag_len, ctx.tag_len, 0);
      if (k > 0 && t.TagLess(prev)) {
        return absl::DataLossError("peer's F list is not sorted");
      }
      prev = t;
      while (j < mine.size() && mine[j].TagLess(t)) ++j;
      for (size_t jj = j; jj < mine.size() && mine[jj].SameTag(t); ++jj) {
        result.matched.push_back(mine[jj].idx);
        if (positions.empty() || positions.back() != k) {
          positions.push_back(static_cast<uint32_t>(k));
          position_items.push_back(mine[jj].idx);
        }
      }
    }
    got += count;
    ctx.Progress("matching", got, ctx.n_s);
  }
  std::sort(result.matched.begin(), result.matched.end());
  result.matched.erase(
      std::unique(result.matched.begin(), result.matched.end()),
      result.matched.end());
  result.intersection_size = result.matched.size();

  if (prove) {
    // (position, CrHash(F ⊕ kProofLabel)) per match.
    ByteWriter w;
    w.U64(positions.size());
    LIAISON_RETURN_IF_ERROR(channel.Send(w.Take()));
    const size_t per_msg = static_cast<size_t>(ProofChunk(p.chunk_len));
    crypto::SecretBlocks proofs(std::min(per_msg, positions.size()));
    for (size_t b = 0; b < positions.size(); b += per_msg) {
      const size_t e = std::min(positions.size(), b + per_msg);
      for (size_t i = b; i < e; ++i) proofs[i - b] = f[position_items[i]] ^ kProofLabel;
      auto pr = proofs.span().subspan(0, e - b);
      crypto::CrHash(pr, pr);
      ByteWriter cw((e - b) * kProofEntryLen);
      for (size_t i = b; i < e; ++i) {
        cw.U32(positions[i]);
        uint8_t bytes[16];
        pr[i - b].ToBytes(bytes);
        cw.Raw(ByteSpan(bytes, 16));
      }
      LIAISON_RETURN_IF_ERROR(channel.Send(cw.Take()));
    }
  } else if (p.peer_receives) {
    ByteWriter w;
    w.U64(positions.size());
    LIAISON_RETURN_IF_ERROR(channel.Send(w.Take()));
    for (size_t b = 0; b < positions.size(); b += p.chunk_len) {
      const size_t e = std::min(positions.size(), b + p.chunk_len);
      ByteWriter cw((e - b) * 4);
      for (size_t i = b; i < e; ++i) cw.U32(positions[i]);
      LIAISON_RETURN_IF_ERROR(channel.Send(cw.Take()));
    }
  }
  return result;
}

// RunOprfSender is S's side: VOLE, P ⊕ C in, F list out, positions in.
absl::StatusOr<PsiResult> RunOprfSender(const Context& ctx,
                                        net::Channel& channel,
                                        absl::Span<const std::string> items,
                                        crypto::Prng& prng) {
  const Rr22PsiParams& p = ctx.p;
  const size_t n = items.size();

  ctx.Progress("hashing", 0, n);
  std::vector<Block> keys(n);
  internal::HashItems(ctx.item_aes, items, absl::MakeSpan(keys), ctx.threads);
  ctx.Progress("hashing", n, n);

  Rr22OprfSender oprf(OprfParams(ctx));
  LIAISON_RETURN_IF_ERROR(
      oprf.Run(channel, ctx.n_r, ctx.peer_chunk_len, prng));
  ctx.Progress("evaluating", 0, n);
  crypto::UninitSecretBlocks f(n);  // every value is written by Eval
  oprf.Eval(keys, f.span());
  oprf.Clear();
  std::vector<SortEntry> sorted =
      SortedValues(f, p.malicious, ctx.tag_len, ctx.threads);
  // Equal items give equal F; equal tags of distinct items (probability
  // <= n_s²·2^-σ) are told apart by the full value.
  for (size_t a = 0; a + 1 < n;) {
    size_t e = a + 1;
    while (e < n && sorted[e].SameTag(sorted[a])) ++e;
    for (size_t x = a; x < e; ++x) {
      for (size_t y = x + 1; y < e; ++y) {
        if (f[sorted[x].idx] == f[sorted[y].idx]) {
          return okvs::DuplicateKeysError("rr22-psi items must be distinct");
        }
      }
    }
    a = e;
  }
  const bool check_proofs = p.malicious && p.i_receive;
  if (!check_proofs) f.Clear();
  ctx.Progress("evaluating", n, n);

  for (size_t b = 0; b < n; b += p.chunk_len) {
    const size_t e = std::min(n, b + p.chunk_len);
    Bytes msg((e - b) * ctx.tag_len);
    for (size_t i = b; i < e; ++i) {
      uint8_t* out = msg.data() + (i - b) * ctx.tag_len;
      uint8_t buf[16];
      for (int k = 0; k < 8; ++k) {
        buf[k] = static_cast<uint8_t>(sorted[i].k1 >> (56 - 8 * k));
        buf[8 + k] = static_cast<uint8_t>(sorted[i].k2 >> (56 - 8 * k));
      }
      std::memcpy(out, buf, ctx.tag_len);
    }
    LIAISON_RETURN_IF_ERROR(channel.Send(msg));
  }

  PsiResult result;
  result.peer_set_size = ctx.n_r;
  if (!p.i_receive) return result;

  LIAISON_ASSIGN_OR_RETURN(Bytes count_msg,
                           RecvExact(channel, 8, "match count"));
  ByteReader cr(count_msg);
  LIAISON_ASSIGN_OR_RETURN(uint64_t num_matched, cr.U64("match count"));
  if (num_matched > n) {
    return absl::DataLossError(StrCat("peer reports ", num_matched,
                                      " matches among our ", n, " items"));
  }
  result.matched.reserve(
      static_cast<size_t>(std::min<uint64_t>(num_matched, kMaxReserve)));
  uint64_t prev = 0;
  const uint64_t per_msg =
      check_proofs ? ProofChunk(ctx.peer_chunk_len) : ctx.peer_chunk_len;
  const size_t entry_len = check_proofs ? kProofEntryLen : 4;
  for (uint64_t got = 0; got < num_matched;) {
    const size_t count = static_cast<size_t>(
        std::min<uint64_t>(per_msg, num_matched - got));
    LIAISON_ASSIGN_OR_RETURN(
        Bytes msg, RecvExact(channel, count * entry_len, "positions chunk"));
    ByteReader r(msg);
    for (size_t i = 0; i < count; ++i) {
      LIAISON_ASSIGN_OR_RETURN(uint32_t pos, r.U32("position"));
      if (pos >= n || (got + i > 0 && pos <= prev)) {
        return absl::DataLossError(
            "peer's matched positions are out of range or not increasing");
      }
      prev = pos;
      if (check_proofs) {
        // The peer must know F of the item it claims: compare its proof
        // with ours in constant time.
        LIAISON_ASSIGN_OR_RETURN(ByteSpan proof, r.Raw(16, "match proof"));
        Block expected = f[sorted[pos].idx] ^ kProofLabel;
        crypto::CrHash(absl::MakeConstSpan(&expected, 1), absl::MakeSpan(&expected, 1));
        uint8_t bytes[16];
        expected.ToBytes(bytes);
        const bool valid = ConstantTimeEqual(ByteSpan(bytes, 16), proof);
        SecureWipe(bytes, sizeof(bytes));
        if (!valid) {
          return absl::DataLossError(
              "peer reported a match it cannot prove (a possible attack)");
        }
      }
      result.matched.push_back(sorted[pos].idx);
    }
    got += count;
    ctx.Progress("matching", got, num_matched);
  }
  std::sort(result.matched.begin(), result.matched.end());
  result.intersection_size = result.matched.size();
  result.received = true;
  return result;
}

// RunCount is count mode: shared-output PSI (psi/shared_output_psi.h)
// with the OPRF receiver as its receiver, then the count shares are
// revealed to the receiving side(s).
absl::StatusOr<PsiResult> RunCount(const Context& ctx, net::Channel& channel,
                                   absl::Span<const std::string> items,
                                   bool i_am_r, crypto::Prng& prng) {
  const Rr22PsiParams& p = ctx.p;
  const size_t n = items.size();
  ctx.Progress("hashing", 0, n);
  std::vector<Block> keys(n);
  internal::HashItems(ctx.item_aes, items, absl::MakeSpan(keys), ctx.threads);
  ctx.Progress("hashing", n, n);
  SharedOutputPsiParams sp;
  sp.num_threads = ctx.threads;
  sp.chunk_len = p.chunk_len;
  sp.okvs_bin_items = p.okvs_bin_items;
  sp.progress = p.progress;
  absl::StatusOr<SharedAggregates> shares =
      i_am_r ? SharedOutputPsiReceiver(sp).Run(channel, keys, ctx.n_s, prng)
             : SharedOutputPsiSender(sp).Run(channel, keys, {}, ctx.n_r, prng);
  if (okvs::IsDuplicateKeysError(shares.status())) {
    return okvs::DuplicateKeysError(
        StrCat("rr22-psi items must be distinct (",
               std::string(shares.status().message()), ")"));
  }
  LIAISON_RETURN_IF_ERROR(shares.status());
  LIAISON_ASSIGN_OR_RETURN(
      uint64_t count,
      RevealSum(channel, shares->count, p.i_receive, p.peer_receives));
  PsiResult result;
  result.peer_set_size = i_am_r ? ctx.n_s : ctx.n_r;
  result.received = p.i_receive;
  if (count > std::min(ctx.n_r, ctx.n_s)) {
    return absl::DataLossError(
        "the peer's count share gives more matches than items");
  }
  result.intersection_size = count;
  return result;
}

}  // namespace

absl::StatusOr<PsiResult> Rr22Psi::Run(net::Channel& channel,
                                       absl::Span<const std::string> items,
                                       crypto::Prng& prng) const {
  const Rr22PsiParams& p = params_;
  if (!p.i_receive && !p.peer_receives) {
    return absl::InvalidArgumentError(
        "rr22-psi needs at least one side to receive the result");
  }
  if (p.output == PsiOutput::kCardinality && p.malicious) {
    return absl::InvalidArgumentError(
        "rr22-psi count mode is semi-honest only");
  }
  if ((p.i_receive && !p.peer_receives && p.role == Rr22Role::kOprfSender) ||
      (!p.i_receive && p.peer_receives && p.role == Rr22Role::kOprfReceiver)) {
    return absl::InvalidArgumentError(
        "rr22-psi: the side that alone receives must be the OPRF receiver");
  }
  if (p.chunk_len == 0 || p.chunk_len > UINT32_MAX ||
      p.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::InvalidArgumentError(
        "rr22-psi chunk length does not fit the channel");
  }
  if (items.size() > UINT32_MAX - 1) {
    return absl::InvalidArgumentError(
        "rr22-psi takes at most 2^32 - 2 items per side");
  }
  if (p.okvs_bin_items == 0) {
    return absl::InvalidArgumentError(
        "rr22-psi okvs_bin_items must be positive");
  }
  const int threads = p.num_threads > 0 ? p.num_threads : DefaultThreads();

  Header mine{kProtocolVersion, p.output,         p.i_receive,
              p.peer_receives,  ToWire(p.role),   p.malicious,
              items.size(),     p.chunk_len,      p.okvs_bin_items,
              prng.NextBlock()};
  mine.commitment = internal::CommitSeed(mine.seed);
  LIAISON_RETURN_IF_ERROR(channel.Send(EncodeHeader(mine)));
  LIAISON_ASSIGN_OR_RETURN(Bytes header_msg, channel.Recv());
  LIAISON_ASSIGN_OR_RETURN(Header peer, DecodeHeader(header_msg));
  if (peer.malicious != p.malicious) {
    return absl::FailedPreconditionError(StrCat(
        "the peer's rr22-psi security model differs: we run ",
        p.malicious ? "malicious" : "semi-honest", ", the peer ",
        peer.malicious ? "malicious" : "semi-honest"));
  }
  if (peer.version != kProtocolVersion || peer.output != p.output ||
      peer.sender_receives != p.peer_receives ||
      peer.other_receives != p.i_receive ||
      peer.okvs_bin_items != p.okvs_bin_items) {
    return absl::FailedPreconditionError(
        "the peer's rr22-psi parameters (version, output, recipients or OKVS "
        "bins) differ "
        "from ours");
  }
  if (peer.set_size > p.max_peer_items || peer.set_size > UINT32_MAX - 1) {
    return absl::FailedPreconditionError(StrCat(
        "the peer's set of ", peer.set_size, " items exceeds our limit of ",
        std::min<uint64_t>(p.max_peer_items, UINT32_MAX - 1)));
  }
  if (peer.chunk_len == 0 || peer.chunk_len > UINT32_MAX ||
      peer.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::FailedPreconditionError(
        "the peer's rr22-psi chunk length does not fit our channel");
  }
  // Both seeds are fixed (committed) before either is seen.
  LIAISON_ASSIGN_OR_RETURN(peer.seed,
                           internal::OpenSeeds(channel, mine.seed, peer.commitment, "rr22-psi"));
  LIAISON_ASSIGN_OR_RETURN(bool i_am_r, ResolveRole(mine, peer));

  if (items.empty() || peer.set_size == 0) {
    PsiResult result;
    result.peer_set_size = peer.set_size;
    result.received = p.i_receive;
    return result;
  }
  const uint64_t n_r = i_am_r ? items.size() : peer.set_size;
  const uint64_t n_s = i_am_r ? peer.set_size : items.size();
  // Refuse bad OKVS parameters before the OPRF starts.
  LIAISON_RETURN_IF_ERROR(
      okvs::OkvsParams::ForItems(n_r, 3, 40, p.okvs_bin_items).Validate());
  const Block s = mine.seed ^ peer.seed;
  Context ctx{p,
              threads,
              n_r,
              n_s,
              TagLen(n_r, n_s, p.malicious),
              peer.chunk_len,
              internal::ItemHashKey(s)};
  if (p.output == PsiOutput::kCardinality) {
    return RunCount(ctx, channel, items, i_am_r, prng);
  }
  if (i_am_r) return RunOprfReceiver(ctx, channel, items, prng);
  return RunOprfSender(ctx, channel, items, prng);
}

std::optional<uint64_t> Rr22Psi::AnnouncedSetSize(ByteSpan header) {
  absl::StatusOr<Header> h = DecodeHeader(header);
  return h.ok() ? std::optional<uint64_t>(h->set_size) : std::nullopt;
}

}  // namespace liaison::psi
