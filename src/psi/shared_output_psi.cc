#include "psi/shared_output_psi.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "mpc/bit_product.h"
#include "mpc/equality.h"
#include "mpc/one_of_n_ot.h"
#include "mpc/ot_pair.h"
#include "okvs/okvs.h"
#include "crypto/secret_blocks.h"
#include "psi/internal/cuckoo.h"
#include "psi/bin_oprf.h"

namespace liaison::psi {
namespace {

using crypto::Block;
using mpc::SecretWords;

constexpr uint32_t kMagic = 0x49535043;  // "CPSI" little-endian
constexpr uint8_t kStatusOk = 0;
constexpr uint8_t kStatusFailed = 1;
constexpr size_t kCuckooMsgLen = 4 + 1 + 1 + 8 + 8 + 16;
constexpr size_t kHintHeaderLen = 8 + 16;
// kMaxEncodeTries: OkvsEncode fails with probability <= 2^-ssp per seed.
constexpr int kMaxEncodeTries = 4;
constexpr uint64_t kMaxKeys = UINT32_MAX - 1;

int Threads(const SharedOutputPsiParams& p) {
  return p.num_threads > 0 ? p.num_threads : DefaultThreads();
}

void Progress(const SharedOutputPsiParams& p, std::string_view phase, uint64_t done,
              uint64_t total) {
  if (p.progress) p.progress(phase, done, total);
}

absl::Status CheckParams(const SharedOutputPsiParams& p, const net::Channel& channel,
                         uint64_t num_keys, uint64_t num_peer_keys) {
  if (num_keys > kMaxKeys || num_peer_keys > kMaxKeys) {
    return absl::InvalidArgumentError("shared-output PSI takes at most 2^32 - 2 keys a side");
  }
  if (p.chunk_len == 0 || p.chunk_len * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::InvalidArgumentError("shared-output PSI chunk length does not fit the channel");
  }
  if (p.batch_bins == 0 || p.ssp < 1 || p.ssp > 60 || p.equality_chunk_bits < 1 ||
      p.equality_chunk_bits > mpc::kMaxOneOfNBits || p.softspoken_k < 1 || p.softspoken_k > 8 ||
      p.okvs_bin_items == 0) {
    return absl::InvalidArgumentError("shared-output PSI parameters out of range");
  }
  if (p.value_bit_weights.size() > 64 || (!p.with_sum && !p.value_bit_weights.empty())) {
    return absl::InvalidArgumentError("shared-output PSI: at most 64 value bit weights, sums only");
  }
  if (p.malicious && p.with_sum && p.value_bit_weights.empty()) {
    return absl::InvalidArgumentError(
        "shared-output PSI: malicious sums need bounded values (value_bit_weights)");
  }
  return absl::OkStatus();
}

// Bitwise reports whether sums travel as XOR-shared value codes.
bool Bitwise(const SharedOutputPsiParams& p) {
  return p.with_sum && !p.value_bit_weights.empty();
}

// Sigma returns σ = ssp + ⌈log2 B⌉, at most 64 (the equality test takes
// any σ: its last chunk may be shorter than q).
int Sigma(int ssp, uint64_t num_bins) {
  return std::min(ssp + static_cast<int>(std::bit_width(num_bins - 1)), 64);
}

uint64_t LowMask(int bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// BinKey is the OPPRF key of a key placed by hash j.
Block BinKey(const Block& key, uint64_t j) { return key ^ Block(0, j); }

mpc::EqualityParams EqParams(const SharedOutputPsiParams& p, int sigma) {
  mpc::EqualityParams e;
  e.sigma = sigma;
  e.q = p.equality_chunk_bits;
  e.num_threads = Threads(p);
  return e;
}

ot::OtExtensionParams OtParams(const SharedOutputPsiParams& p) {
  ot::OtExtensionParams o = mpc::DefaultOtParams(Threads(p));
  o.softspoken_k = p.softspoken_k;
  if (p.malicious) o.security = ot::Security::kMalicious;
  return o;
}

BinOprfParams OprfParams(const SharedOutputPsiParams& p) {
  BinOprfParams o;
  o.num_threads = Threads(p);
  o.chunk_len = p.chunk_len;
  o.malicious = p.malicious;
  return o;
}

okvs::OkvsParams HintParams(const SharedOutputPsiParams& p, uint64_t num_sender_keys) {
  return okvs::OkvsParams::ForItems(internal::kNumCuckooHashes * num_sender_keys, 3, p.ssp,
                                    p.okvs_bin_items);
}

uint64_t Sum(absl::Span<const uint64_t> v) {
  uint64_t s = 0;
  for (uint64_t x : v) s += x;
  return s;
}

// CompareAndAggregate runs steps 3 and 4 over all bins, batch by batch.
// `tags` are r_b (R) or t_b (S); `payload` R's decoded payload word or
// S's per-bin secret (s_b, or the mask of the value code; sums only).
// S (party 1) is the OT sender of every product whose weight shapes the
// share it reveals: the count's weight 1, its own s_b and the value
// code's bit weights; R only ever chooses OT choice bits for them.
absl::Status CompareAndAggregate(const SharedOutputPsiParams& p, int party,
                                 net::Channel& channel, const SecretWords& tags,
                                 const SecretWords& payload, int sigma, crypto::Prng& prng,
                                 SharedAggregates& out) {
  const int threads = Threads(p);
  mpc::OtPair ots(party, OtParams(p));
  LIAISON_RETURN_IF_ERROR(ots.SetUp(channel, prng));
  const size_t num_bins = tags.size();
  const mpc::EqualityParams eq = EqParams(p, sigma);
  const size_t k = p.value_bit_weights.size();
  const uint64_t code_mask = LowMask(static_cast<int>(k));
  uint64_t count = 0, sum = 0;
  for (size_t b0 = 0; b0 < num_bins; b0 += p.batch_bins) {
    Progress(p, "compare", b0, num_bins);
    const size_t n = std::min(p.batch_bins, num_bins - b0);
    LIAISON_ASSIGN_OR_RETURN(
        SecretWords e, mpc::PrivateEquality(ots, channel, tags.span().subspan(b0, n), eq, prng));
    if (!p.with_sum) {
      // B2A with S's weight 1.
      absl::StatusOr<SecretWords> c;
      if (party == 1) {
        const std::vector<uint64_t> ones(n, 1);
        c = mpc::BitTimesOwnValuesSend(ots, channel, e.span(), n, ones, prng, threads);
      } else {
        c = mpc::BitTimesOwnValuesReceive(ots, channel, e.span(), n, 1, prng, threads);
      }
      LIAISON_RETURN_IF_ERROR(c.status());
      count += Sum(c->span());
      continue;
    }
    if (!Bitwise(p)) {
      // Arithmetic shares of v (R's v − s_b, S's s_b): S sends lanes (1,
      // s_b), then R sends its share.
      if (party == 1) {
        SecretWords lanes(2 * n);
        for (size_t i = 0; i < n; ++i) {
          lanes[i] = 1;
          lanes[n + i] = payload[b0 + i];
        }
        LIAISON_ASSIGN_OR_RETURN(SecretWords mine,
                                 mpc::BitTimesOwnValuesSend(ots, channel, e.span(), n,
                                                            lanes.span(), prng, threads));
        LIAISON_ASSIGN_OR_RETURN(
            SecretWords theirs,
            mpc::BitTimesOwnValuesReceive(ots, channel, e.span(), n, 1, prng, threads));
        count += Sum(mine.span().subspan(0, n));
        sum += Sum(mine.span().subspan(n, n)) + Sum(theirs.span());
      } else {
        LIAISON_ASSIGN_OR_RETURN(
            SecretWords theirs,
            mpc::BitTimesOwnValuesReceive(ots, channel, e.span(), n, 2, prng, threads));
        LIAISON_ASSIGN_OR_RETURN(
            SecretWords mine, mpc::BitTimesOwnValuesSend(ots, channel, e.span(), n,
                                                         payload.span().subspan(b0, n), prng,
                                                         threads));
        count += Sum(theirs.span().subspan(0, n));
        sum += Sum(theirs.span().subspan(n, n)) + Sum(mine.span());
      }
      continue;
    }
    // Value codes, XOR-shared (R's decoded word, S's mask): u = e·code as
    // XOR shares, then one B2A for e and the k bits of u together, with
    // S's weights (1 for e, w_i for bit i of u). A bin adds at most
    // Σ_i |w_i| to the sum whatever R does.
    SecretWords words(n);
    for (size_t i = 0; i < n; ++i) words[i] = payload[b0 + i] & code_mask;
    LIAISON_ASSIGN_OR_RETURN(SecretWords u, mpc::BitAndSharedWords(ots, channel, e.span(), n,
                                                                   words.span(), prng, threads));
    const size_t slots = k + 1;
    SecretWords bits(mpc::NumWords(n * slots));
    for (size_t i = 0; i < n; ++i) {
      mpc::SetBit(bits.span(), i * slots, mpc::GetBit(e.span(), i));
      for (size_t j = 0; j < k; ++j) mpc::SetBit(bits.span(), i * slots + 1 + j, u[i] >> j);
    }
    absl::StatusOr<SecretWords> c;
    if (party == 1) {
      std::vector<uint64_t> weights(n * slots);
      for (size_t i = 0; i < n; ++i) {
        weights[i * slots] = 1;
        for (size_t j = 0; j < k; ++j) weights[i * slots + 1 + j] = p.value_bit_weights[j];
      }
      c = mpc::BitTimesOwnValuesSend(ots, channel, bits.span(), n * slots, weights, prng, threads);
    } else {
      c = mpc::BitTimesOwnValuesReceive(ots, channel, bits.span(), n * slots, 1, prng, threads);
    }
    LIAISON_RETURN_IF_ERROR(c.status());
    for (size_t i = 0; i < n; ++i) {
      count += (*c)[i * slots];
      for (size_t j = 0; j < k; ++j) sum += (*c)[i * slots + 1 + j];
    }
  }
  Progress(p, "compare", num_bins, num_bins);
  out.count = mpc::SecretU64(count);
  out.sum = mpc::SecretU64(sum);
  SecureWipe(&count, sizeof(count));
  SecureWipe(&sum, sizeof(sum));
  return absl::OkStatus();
}

Bytes CuckooMessage(uint8_t status, bool with_sum, uint64_t num_bins, uint64_t chunk_len,
                    const Block& seed) {
  ByteWriter w(kCuckooMsgLen);
  w.U32(kMagic);
  w.U8(status);
  w.U8(with_sum ? 1 : 0);
  w.U64(num_bins);
  w.U64(chunk_len);
  uint8_t s[16];
  seed.ToBytes(s);
  w.Raw(ByteSpan(s, 16));
  return w.Take();
}


// Tags are one side's per-bin equality-test inputs after the OPPRF: r_b
// (R) or t_b (S), and the payload words (R's decoded payload, S's per-bin
// secrets; sums only).
struct Tags {
  SecretWords tags, payload;
  int sigma = 0;
};

// ReceiverOpprf is R's steps 1 (the cuckoo message, from a placement made
// beforehand) and 2. `bin_keys_hook` and `payload_hook` are the test-only
// deviations (may be empty).
absl::StatusOr<Tags> ReceiverOpprf(
    const SharedOutputPsiParams& p, net::Channel& channel, absl::Span<const Block> keys,
    const CuckooPlacement& placement, uint64_t num_sender_keys, crypto::Prng& prng,
    const std::function<void(const Block&, uint64_t, absl::Span<Block>)>& bin_keys_hook,
    const std::function<void(absl::Span<uint64_t>)>& payload_hook) {
  const int threads = Threads(p);
  const uint64_t num_bins = placement.num_bins;
  LIAISON_RETURN_IF_ERROR(channel.Send(
      CuckooMessage(kStatusOk, p.with_sum, num_bins, p.chunk_len, placement.seed)));
  Progress(p, "cuckoo", keys.size(), keys.size());

  // 2. OPPRF: OPRF on one key per bin, then the sender's hint OKVS.
  Progress(p, "oprf", 0, num_bins);
  crypto::SecretBlocks bin_keys(num_bins);
  for (size_t b = 0; b < num_bins; ++b) {
    const uint64_t e = placement.table[b];
    // The table is our own placement; empty bins get a random key.
    bin_keys[b] = e == internal::kEmptyBin ? prng.NextBlock() : BinKey(keys[e >> 2], e & 3);
  }
  if (bin_keys_hook) bin_keys_hook(placement.seed, num_bins, bin_keys.span());
  crypto::UninitSecretBlocks f(num_bins);
  LIAISON_RETURN_IF_ERROR(
      BinOprfReceiver(OprfParams(p)).Run(channel, bin_keys.span(), f.span(), prng));
  Progress(p, "oprf", num_bins, num_bins);

  Progress(p, "hint", 0, num_sender_keys);
  const okvs::OkvsParams hint = HintParams(p, num_sender_keys);
  LIAISON_RETURN_IF_ERROR(hint.Validate());
  LIAISON_ASSIGN_OR_RETURN(Bytes header, channel.Recv());
  if (header.size() != kHintHeaderLen) {
    return absl::DataLossError(StrCat("peer's OKVS header is ", header.size(), " bytes, expected ",
                                      kHintHeaderLen));
  }
  ByteReader hr(header);
  LIAISON_ASSIGN_OR_RETURN(uint64_t peer_chunk, hr.U64("OKVS chunk length"));
  LIAISON_ASSIGN_OR_RETURN(ByteSpan seed_bytes, hr.Raw(16, "OKVS seed"));
  const Block hint_seed = Block::FromBytes(seed_bytes.data());
  if (peer_chunk == 0 || peer_chunk * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::DataLossError("peer's OKVS chunk length does not fit the channel");
  }
  const size_t m = hint.size();
  crypto::UninitSecretBlocks okvs(m);
  for (size_t got = 0; got < m;) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(peer_chunk, m - got));
    LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
    if (msg.size() != count * 16) {
      return absl::DataLossError(
          StrCat("peer's OKVS chunk is ", msg.size(), " bytes, expected ", count * 16));
    }
    std::memcpy(okvs.data() + got, msg.data(), msg.size());
    got += count;
  }
  crypto::UninitSecretBlocks decoded(num_bins);
  okvs::OkvsDecode(hint, hint_seed, okvs.span(), bin_keys.span(), decoded.span(), threads);
  okvs.Clear();
  bin_keys.Clear();
  Tags out;
  out.sigma = Sigma(p.ssp, num_bins);
  const uint64_t mask = LowMask(out.sigma);
  out.tags = SecretWords(num_bins);
  out.payload = SecretWords(p.with_sum ? num_bins : 0);
  for (size_t b = 0; b < num_bins; ++b) {
    const Block r = decoded[b] ^ f[b];
    out.tags[b] = r.lo & mask;
    if (p.with_sum) out.payload[b] = r.hi;
  }
  decoded.Clear();
  f.Clear();
  if (payload_hook) payload_hook(out.payload.span());
  Progress(p, "hint", num_sender_keys, num_sender_keys);
  return out;
}

// SenderOpprf is S's steps 1 (the receiver's cuckoo message, then simple
// hashing) and 2, for `num_bins` bins (computed from the receiver's key
// count, which both sides know).
absl::StatusOr<Tags> SenderOpprf(const SharedOutputPsiParams& p, net::Channel& channel,
                                 absl::Span<const Block> keys, absl::Span<const uint64_t> values,
                                 uint64_t num_bins, crypto::Prng& prng) {
  const int threads = Threads(p);
  const size_t n = keys.size();
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32("cuckoo message magic"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t status, r.U8("cuckoo status"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t with_sum, r.U8("sum flag"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t peer_bins, r.U64("cuckoo bins"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t peer_chunk, r.U64("OKVS chunk length"));
  LIAISON_ASSIGN_OR_RETURN(ByteSpan seed_bytes, r.Raw(16, "cuckoo seed"));
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("cuckoo message"));
  if (magic != kMagic || status > kStatusFailed || with_sum > 1) {
    return absl::DataLossError("peer's cuckoo message is malformed");
  }
  if (status == kStatusFailed) {
    return absl::FailedPreconditionError(
        "the peer could not place its items in the cuckoo table (a cuckoo failure or duplicate "
        "items on its side)");
  }
  if ((with_sum == 1) != p.with_sum || peer_bins != num_bins) {
    return absl::FailedPreconditionError(
        "the peer's shared-output PSI parameters (sums, cuckoo bins) differ from ours");
  }
  if (peer_chunk == 0 || peer_chunk * 16 + net::kFrameHeaderLen > channel.max_message_len()) {
    return absl::DataLossError("peer's OKVS chunk length does not fit the channel");
  }
  const Block cuckoo_seed = Block::FromBytes(seed_bytes.data());
  std::vector<uint32_t> cand(3 * n);
  internal::CuckooHasher(cuckoo_seed, num_bins).Bins(keys, absl::MakeSpan(cand), threads);

  // 2. OPPRF.
  Progress(p, "oprf", 0, num_bins);
  BinOprfSender oprf(OprfParams(p));
  LIAISON_RETURN_IF_ERROR(oprf.Run(channel, num_bins, peer_chunk, prng));
  const size_t num_hint = internal::kNumCuckooHashes * n;
  crypto::UninitSecretBlocks hint_keys(num_hint), hint_values(num_hint);
  ParallelFor(n, threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      for (uint64_t j = 0; j < internal::kNumCuckooHashes; ++j) {
        hint_keys[3 * i + j] = BinKey(keys[i], j);
      }
    }
  });
  // Key (x, j) is evaluated under the function of its bin h_j(x).
  oprf.Eval(cand, hint_keys.span(), hint_values.span());
  oprf.Clear();
  Progress(p, "oprf", num_bins, num_bins);

  Progress(p, "hint", 0, n);
  Tags out;
  out.sigma = Sigma(p.ssp, num_bins);
  const uint64_t mask = LowMask(out.sigma);
  out.tags = SecretWords(num_bins);
  out.payload = SecretWords(p.with_sum ? num_bins : 0);
  SecretWords& tags = out.tags;
  SecretWords& shares = out.payload;
  prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(tags.data()), num_bins * 8));
  for (size_t b = 0; b < num_bins; ++b) tags[b] &= mask;
  if (p.with_sum) {
    prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(shares.data()), num_bins * 8));
  }
  // Our own items' bins index the per-bin secrets.
  ParallelFor(n, threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      for (size_t j = 0; j < internal::kNumCuckooHashes; ++j) {
        const uint32_t b = cand[3 * i + j];
        const uint64_t hi = !p.with_sum  ? 0
                            : Bitwise(p) ? values[i] ^ shares[b]
                                         : values[i] - shares[b];
        hint_values[3 * i + j] ^= Block(hi, tags[b]);
      }
    }
  });
  cand = {};
  const okvs::OkvsParams hint = HintParams(p, n);
  LIAISON_RETURN_IF_ERROR(hint.Validate());
  crypto::UninitSecretBlocks okvs(hint.size());
  Block hint_seed;
  absl::Status encoded;
  for (int t = 0; t < kMaxEncodeTries; ++t) {
    hint_seed = prng.NextBlock();
    encoded = okvs::OkvsEncode(hint, hint_seed, hint_keys.span(), hint_values.span(),
                               okvs.span(), threads, &prng);
    if (encoded.code() != absl::StatusCode::kFailedPrecondition) break;
  }
  if (okvs::IsDuplicateKeysError(encoded)) {
    return okvs::DuplicateKeysError(StrCat("shared-output PSI keys must be distinct (",
                                           std::string(encoded.message()), ")"));
  }
  LIAISON_RETURN_IF_ERROR(encoded);
  hint_keys.Clear();
  hint_values.Clear();
  ByteWriter hw(kHintHeaderLen);
  hw.U64(p.chunk_len);
  uint8_t s[16];
  hint_seed.ToBytes(s);
  hw.Raw(ByteSpan(s, 16));
  LIAISON_RETURN_IF_ERROR(channel.Send(hw.Take()));
  for (size_t b = 0; b < okvs.size(); b += p.chunk_len) {
    const size_t e = std::min(okvs.size(), b + p.chunk_len);
    LIAISON_RETURN_IF_ERROR(channel.Send(crypto::AsByteSpan(okvs.span().subspan(b, e - b))));
  }
  okvs.Clear();
  Progress(p, "hint", n, n);
  return out;
}

// CompareAll runs step 3 alone over all bins, batch by batch, and returns
// this party's packed XOR shares of e_b.
absl::StatusOr<SecretWords> CompareAll(const SharedOutputPsiParams& p, int party,
                                       net::Channel& channel, const Tags& t,
                                       mpc::OtPair* given_ots, crypto::Prng& prng) {
  std::unique_ptr<mpc::OtPair> own;
  if (given_ots == nullptr) {
    own = std::make_unique<mpc::OtPair>(party, OtParams(p));
    LIAISON_RETURN_IF_ERROR(own->SetUp(channel, prng));
  }
  mpc::OtPair& ots = given_ots != nullptr ? *given_ots : *own;
  const size_t num_bins = t.tags.size();
  const mpc::EqualityParams eq = EqParams(p, t.sigma);
  SecretWords out(mpc::NumWords(num_bins));
  for (size_t b0 = 0; b0 < num_bins; b0 += p.batch_bins) {
    Progress(p, "compare", b0, num_bins);
    const size_t n = std::min(p.batch_bins, num_bins - b0);
    LIAISON_ASSIGN_OR_RETURN(
        SecretWords e, mpc::PrivateEquality(ots, channel, t.tags.span().subspan(b0, n), eq, prng));
    for (size_t i = 0; i < n; ++i) mpc::SetBit(out.span(), b0 + i, mpc::GetBit(e.span(), i));
  }
  Progress(p, "compare", num_bins, num_bins);
  return out;
}

absl::Status CheckSenderValues(const SharedOutputPsiParams& p, absl::Span<const Block> keys,
                               absl::Span<const uint64_t> values) {
  if (p.with_sum && values.size() != keys.size()) {
    return absl::InvalidArgumentError("shared-output PSI sums need one value per key");
  }
  if (Bitwise(p)) {
    const uint64_t code_mask = LowMask(static_cast<int>(p.value_bit_weights.size()));
    for (uint64_t v : values) {
      if ((v & ~code_mask) != 0) {
        return absl::InvalidArgumentError("shared-output PSI: a value code exceeds its bits");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t NumBins(const SharedOutputPsiParams& params, uint64_t num_receiver_keys) {
  return internal::CuckooParams::ForItems(num_receiver_keys, params.ssp, params.cuckoo_expansion,
                                          params.cuckoo_min_bins)
      .num_bins;
}

int64_t CuckooPlacement::ItemOfBin(uint64_t bin) const {
  const uint64_t e = table[bin];
  return e == internal::kEmptyBin ? -1 : static_cast<int64_t>(e >> 2);
}

absl::StatusOr<CuckooPlacement> PlaceInBins(const SharedOutputPsiParams& params,
                                            absl::Span<const Block> keys, crypto::Prng& prng) {
  const size_t n = keys.size();
  if (n > kMaxKeys) {
    return absl::InvalidArgumentError("shared-output PSI takes at most 2^32 - 2 keys a side");
  }
  Progress(params, "cuckoo", 0, n);
  CuckooPlacement out;
  out.num_bins = NumBins(params, n);
  if (out.num_bins > kMaxKeys) {
    return absl::InvalidArgumentError("shared-output PSI: too many cuckoo bins");
  }
  out.seed = prng.NextBlock();
  std::vector<uint32_t> cand(3 * n);
  internal::CuckooHasher(out.seed, out.num_bins).Bins(keys, absl::MakeSpan(cand),
                                                      Threads(params));
  LIAISON_ASSIGN_OR_RETURN(out.table,
                           internal::CuckooInsert(keys, cand, out.num_bins, prng.NextU64()));
  return out;
}

absl::StatusOr<SharedAggregates> SharedOutputPsiReceiver::Run(net::Channel& channel,
                                                              absl::Span<const Block> keys,
                                                              uint64_t num_sender_keys,
                                                              crypto::Prng& prng) const {
  const SharedOutputPsiParams& p = params_;
  SharedAggregates out;
  out.has_sum = p.with_sum;
  LIAISON_RETURN_IF_ERROR(CheckParams(p, channel, keys.size(), num_sender_keys));
  if (keys.empty() || num_sender_keys == 0) return out;
  absl::StatusOr<CuckooPlacement> placement = PlaceInBins(p, keys, prng);
  if (!placement.ok()) {
    if (absl::IsInvalidArgument(placement.status()) &&
        !okvs::IsDuplicateKeysError(placement.status())) {
      return placement.status();
    }
    LIAISON_RETURN_IF_ERROR(channel.Send(
        CuckooMessage(kStatusFailed, p.with_sum, NumBins(p, keys.size()), p.chunk_len, Block())));
    return placement.status();
  }
  LIAISON_ASSIGN_OR_RETURN(Tags t, ReceiverOpprf(p, channel, keys, *placement, num_sender_keys,
                                                 prng, deviation_.bin_keys, deviation_.payload));
  placement->table = {};
  LIAISON_RETURN_IF_ERROR(
      CompareAndAggregate(p, 0, channel, t.tags, t.payload, t.sigma, prng, out));
  return out;
}

absl::StatusOr<SharedAggregates> SharedOutputPsiSender::Run(net::Channel& channel,
                                                            absl::Span<const Block> keys,
                                                            absl::Span<const uint64_t> values,
                                                            uint64_t num_receiver_keys,
                                                            crypto::Prng& prng) const {
  const SharedOutputPsiParams& p = params_;
  SharedAggregates out;
  out.has_sum = p.with_sum;
  LIAISON_RETURN_IF_ERROR(CheckParams(p, channel, keys.size(), num_receiver_keys));
  LIAISON_RETURN_IF_ERROR(CheckSenderValues(p, keys, values));
  if (keys.empty() || num_receiver_keys == 0) return out;
  LIAISON_ASSIGN_OR_RETURN(
      Tags t, SenderOpprf(p, channel, keys, values, NumBins(p, num_receiver_keys), prng));
  LIAISON_RETURN_IF_ERROR(
      CompareAndAggregate(p, 1, channel, t.tags, t.payload, t.sigma, prng, out));
  return out;
}

absl::StatusOr<mpc::SecretWords> SharedMembershipReceiver::Run(
    net::Channel& channel, absl::Span<const Block> keys, const CuckooPlacement& placement,
    uint64_t num_sender_keys, crypto::Prng& prng, mpc::OtPair* ots) const {
  SharedOutputPsiParams p = params_;
  p.with_sum = false;
  p.value_bit_weights.clear();
  LIAISON_RETURN_IF_ERROR(CheckParams(p, channel, keys.size(), num_sender_keys));
  if (placement.num_bins != NumBins(p, keys.size()) ||
      placement.table.size() != placement.num_bins) {
    return absl::InvalidArgumentError("shared membership: the placement is not of these keys");
  }
  if (keys.empty() || num_sender_keys == 0) {
    return mpc::SecretWords(mpc::NumWords(keys.empty() ? 0 : placement.num_bins));
  }
  LIAISON_ASSIGN_OR_RETURN(
      Tags t, ReceiverOpprf(p, channel, keys, placement, num_sender_keys, prng, {}, {}));
  return CompareAll(p, 0, channel, t, ots, prng);
}

absl::StatusOr<mpc::SecretWords> SharedMembershipSender::Run(net::Channel& channel,
                                                             absl::Span<const Block> keys,
                                                             uint64_t num_receiver_keys,
                                                             crypto::Prng& prng,
                                                             mpc::OtPair* ots) const {
  SharedOutputPsiParams p = params_;
  p.with_sum = false;
  p.value_bit_weights.clear();
  LIAISON_RETURN_IF_ERROR(CheckParams(p, channel, keys.size(), num_receiver_keys));
  if (num_receiver_keys == 0) return mpc::SecretWords();
  const uint64_t num_bins = NumBins(p, num_receiver_keys);
  if (keys.empty()) return mpc::SecretWords(mpc::NumWords(num_bins));
  LIAISON_ASSIGN_OR_RETURN(Tags t, SenderOpprf(p, channel, keys, {}, num_bins, prng));
  return CompareAll(p, 1, channel, t, ots, prng);
}

absl::StatusOr<uint64_t> RevealSum(net::Channel& channel, const mpc::SecretU64& mine,
                                   bool i_receive, bool peer_receives) {
  if (peer_receives) {
    ByteWriter w(8);
    w.U64(mine.value());
    LIAISON_RETURN_IF_ERROR(channel.Send(w.Take()));
  }
  if (!i_receive) return uint64_t{0};
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != 8) {
    return absl::DataLossError(StrCat("peer's share is ", msg.size(), " bytes, expected 8"));
  }
  ByteReader r(msg);
  LIAISON_ASSIGN_OR_RETURN(uint64_t theirs, r.U64("share"));
  return mine.value() + theirs;
}

}  // namespace liaison::psi
