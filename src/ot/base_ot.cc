#include "ot/base_ot.h"

#include <sodium.h>

#include <atomic>
#include <cstring>

#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"

namespace liaison::ot {
namespace {

constexpr size_t kPointLen = crypto_core_ristretto255_BYTES;       // 32
constexpr size_t kScalarLen = crypto_core_ristretto255_SCALARBYTES;  // 32
constexpr size_t kHashLen = crypto_core_ristretto255_HASHBYTES;    // 64
constexpr size_t kPairLen = 2 * kPointLen;

// Domain tags: every hash of this protocol starts with one, so its outputs
// cannot collide with any other use of SHA-512 or BLAKE2b in liaison.
constexpr char kHashToGroupTag[] = "liaison base-ot v1 H";
constexpr char kKdfTag[] = "liaison base-ot v1 KDF";

absl::Status SodiumReady() {
  static const int rc = sodium_init();  // thread-safe; 0 or 1 means ready
  if (rc < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

// ValidPeerPoint accepts exactly the canonical encodings of the non-identity
// elements. libsodium 1.0.18's is_valid_point ignores the top bit of the
// last byte, so a second encoding of each point would pass it; the encoding
// of the identity (32 zero bytes) passes it too.
bool ValidPeerPoint(const uint8_t* p) {
  if ((p[kPointLen - 1] & 0x80) != 0) return false;
  uint8_t any = 0;
  for (size_t k = 0; k < kPointLen; ++k) any |= p[k];
  if (any == 0) return false;
  return crypto_core_ristretto255_is_valid_point(p) == 1;
}

// HashToGroup sets out = H_i(r): SHA-512 of the tag, the OT index and r,
// mapped onto the group (Elligator, crypto_core_ristretto255_from_hash).
// Only public values pass through it.
void HashToGroup(uint64_t i, const uint8_t* r, uint8_t* out) {
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, reinterpret_cast<const uint8_t*>(kHashToGroupTag),
                            sizeof(kHashToGroupTag));
  uint8_t idx[8];
  for (int k = 0; k < 8; ++k) idx[k] = static_cast<uint8_t>(i >> (8 * k));
  crypto_hash_sha512_update(&st, idx, sizeof(idx));
  crypto_hash_sha512_update(&st, r, kPointLen);
  uint8_t h[kHashLen];
  crypto_hash_sha512_final(&st, h);
  crypto_core_ristretto255_from_hash(out, h);
}

// Kdf derives the 128-bit OT message from the shared point `key`, binding the
// index, the message's position j, and the whole transcript of OT i.
Block Kdf(uint64_t i, uint8_t j, const uint8_t* big_a, const uint8_t* pair,
          const uint8_t* key) {
  constexpr size_t kLen = sizeof(kKdfTag) + 8 + 1 + kPointLen + kPairLen + kPointLen;
  uint8_t buf[kLen];
  uint8_t* p = buf;
  std::memcpy(p, kKdfTag, sizeof(kKdfTag));
  p += sizeof(kKdfTag);
  for (int k = 0; k < 8; ++k) *p++ = static_cast<uint8_t>(i >> (8 * k));
  *p++ = j;
  std::memcpy(p, big_a, kPointLen);
  p += kPointLen;
  std::memcpy(p, pair, kPairLen);
  p += kPairLen;
  std::memcpy(p, key, kPointLen);
  uint8_t out[16];
  crypto_generichash(out, sizeof(out), buf, kLen, nullptr, 0);
  Block m = Block::FromBytes(out);
  SecureWipe(buf, sizeof(buf));
  SecureWipe(out, sizeof(out));
  return m;
}

// RandomScalarFrom reduces 64 uniform bytes to a scalar mod ℓ (bias about
// 2^-260).
void RandomScalarFrom(const uint8_t* wide, uint8_t* out) {
  uint8_t tmp[crypto_core_ristretto255_NONREDUCEDSCALARBYTES];
  std::memcpy(tmp, wide, sizeof(tmp));
  crypto_core_ristretto255_scalar_reduce(out, tmp);
  SecureWipe(tmp, sizeof(tmp));
}

size_t MaxOts(const net::Channel& channel) { return channel.max_message_len() / kPairLen; }

int Threads(const BaseOtParams& p) { return p.num_threads > 0 ? p.num_threads : DefaultThreads(); }

// kParallelGrain is the OTs per ParallelFor task: a few scalar
// multiplications, ~0.5 ms, so that threads pay for themselves.
constexpr size_t kParallelGrain = 4;

}  // namespace

absl::StatusOr<BaseOtSenderOutput> BaseOtSender::Run(net::Channel& channel, size_t num_ots,
                                                     crypto::Prng& prng) const {
  LIAISON_RETURN_IF_ERROR(SodiumReady());
  if (num_ots > MaxOts(channel)) {
    return absl::InvalidArgumentError(
        StrCat("base OT: ", num_ots, " OTs do not fit the channel's message limit"));
  }
  const size_t n = num_ots;

  SecretArray<kScalarLen> a;
  {
    SecretArray<64> wide;
    prng.Fill(wide.span());
    RandomScalarFrom(wide.data(), a.data());
  }
  uint8_t big_a[kPointLen];
  if (crypto_scalarmult_ristretto255_base(big_a, a.data()) != 0) {
    // a = 0: probability 2^-252.
    return absl::InternalError("base OT: drew a zero scalar");
  }
  LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(big_a, kPointLen)));

  LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
  if (msg.size() != n * kPairLen) {
    return absl::DataLossError(StrCat("base OT: the receiver's message is ", msg.size(),
                                      " bytes, expected ", n * kPairLen));
  }

  BaseOtSenderOutput out{crypto::SecretBlocks(n), crypto::SecretBlocks(n)};
  std::atomic<bool> bad_point{false};
  std::atomic<bool> bad_key{false};
  ParallelFor(n, Threads(params_), kParallelGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint8_t* pair = msg.data() + i * kPairLen;
      if (!ValidPeerPoint(pair) || !ValidPeerPoint(pair + kPointLen)) {
        bad_point.store(true, std::memory_order_relaxed);
        return;
      }
      for (uint8_t j = 0; j < 2; ++j) {
        const uint8_t* rj = pair + j * kPointLen;
        const uint8_t* rother = pair + (1 - j) * kPointLen;
        uint8_t h[kPointLen], pk[kPointLen];
        HashToGroup(i, rother, h);
        crypto_core_ristretto255_add(pk, rj, h);
        SecretArray<kPointLen> key;
        // Fails only if the product is the identity: pk_j = 0, which a
        // cheating receiver can arrange (r_j = −H_i(r_{1−j})); refuse it.
        if (crypto_scalarmult_ristretto255(key.data(), a.data(), pk) != 0) {
          bad_key.store(true, std::memory_order_relaxed);
          return;
        }
        (j == 0 ? out.m0 : out.m1)[i] = Kdf(i, j, big_a, pair, key.data());
      }
    }
  });
  if (bad_point.load()) {
    return absl::DataLossError(
        "base OT: the receiver sent a point that is not a canonical non-identity "
        "ristretto255 encoding");
  }
  if (bad_key.load()) {
    return absl::DataLossError("base OT: the receiver's points give an identity key");
  }
  return out;
}

absl::StatusOr<crypto::SecretBlocks> BaseOtReceiver::Run(net::Channel& channel,
                                                 const crypto::SecretBits& choices,
                                                 crypto::Prng& prng) const {
  LIAISON_RETURN_IF_ERROR(SodiumReady());
  const size_t n = choices.size();
  if (n > MaxOts(channel)) {
    return absl::InvalidArgumentError(
        StrCat("base OT: ", n, " OTs do not fit the channel's message limit"));
  }

  // All randomness is drawn here, in order, so that the result depends on
  // the seed only and not on how threads share the work: per OT, 64 bytes
  // for the secret scalar x and 64 for the random point r_{1-b}.
  constexpr size_t kRandLen = 128;
  SecretBytes rand(n * kRandLen);
  if (n > 0) prng.Fill(rand.span());

  SecretBytes scalars(n * kScalarLen);
  Bytes pairs(n * kPairLen);
  std::atomic<bool> zero_scalar{false};
  ParallelFor(n, Threads(params_), kParallelGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      uint8_t* x = scalars.data() + i * kScalarLen;
      const uint8_t* ri = rand.data() + i * kRandLen;
      RandomScalarFrom(ri, x);
      uint8_t big_b[kPointLen];
      if (crypto_scalarmult_ristretto255_base(big_b, x) != 0) {
        zero_scalar.store(true, std::memory_order_relaxed);
        return;
      }
      // other = r_{1-b} (uniform), mine = r_b = B − H_i(r_{1-b}).
      uint8_t other[kPointLen], h[kPointLen], mine[kPointLen];
      crypto_core_ristretto255_from_hash(other, ri + 64);
      HashToGroup(i, other, h);
      crypto_core_ristretto255_sub(mine, big_b, h);
      // (r_0, r_1) = b ? (other, mine) : (mine, other), by mask.
      const uint8_t mask = static_cast<uint8_t>(0 - choices.Get(i));
      uint8_t* r0 = pairs.data() + i * kPairLen;
      uint8_t* r1 = r0 + kPointLen;
      for (size_t k = 0; k < kPointLen; ++k) {
        const uint8_t d = (mine[k] ^ other[k]) & mask;
        r0[k] = mine[k] ^ d;
        r1[k] = other[k] ^ d;
      }
      SecureWipe(big_b, sizeof(big_b));
    }
  });
  rand = SecretBytes();
  if (zero_scalar.load()) return absl::InternalError("base OT: drew a zero scalar");
  LIAISON_RETURN_IF_ERROR(channel.Send(pairs));

  LIAISON_ASSIGN_OR_RETURN(Bytes a_msg, channel.Recv());
  if (a_msg.size() != kPointLen) {
    return absl::DataLossError(StrCat("base OT: the sender's message is ", a_msg.size(),
                                      " bytes, expected ", kPointLen));
  }
  const uint8_t* big_a = a_msg.data();
  if (!ValidPeerPoint(big_a)) {
    return absl::DataLossError(
        "base OT: the sender's point is not a canonical non-identity ristretto255 encoding");
  }

  crypto::SecretBlocks out(n);
  std::atomic<bool> bad_key{false};
  ParallelFor(n, Threads(params_), kParallelGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      SecretArray<kPointLen> key;
      // A is a valid non-identity point of prime order and x ≠ 0, so this
      // cannot fail; checked all the same.
      if (crypto_scalarmult_ristretto255(key.data(), scalars.data() + i * kScalarLen,
                                         big_a) != 0) {
        bad_key.store(true, std::memory_order_relaxed);
        return;
      }
      out[i] = Kdf(i, choices.Get(i), big_a, pairs.data() + i * kPairLen, key.data());
    }
  });
  if (bad_key.load()) {
    return absl::DataLossError("base OT: the sender's point gives an identity key");
  }
  return out;
}

}  // namespace liaison::ot
