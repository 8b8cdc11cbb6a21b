// OT extension: millions of 1-out-of-2 OTs from 128 base OTs and symmetric
// cryptography. This is the correlated-OT (subfield VOLE over GF(2)) source
// of RR22 PSI and of any other OT-based protocol.
//
// Papers: Ishai, Kilian, Nissim, Petrank, "Extending Oblivious Transfers
// Efficiently" (Crypto 2003) — IKNP; Roy, "SoftSpokenOT: Quieter OT
// Extension from Small-Field Silent VOLE in the Minicrypt Model" (Crypto
// 2022) — SoftSpoken, of which IKNP is the case k = 1; Keller, Orsini,
// Scholl, "Actively Secure OT Extension with Optimal Overhead" (Crypto 2015,
// eprint 2015/546) — KOS, malicious, with the consistency check of its
// revised version (2022), which is SoftSpoken's: the original KOS check
// rested on a lemma that Roy showed false, and is not used. Hashes: Guo,
// Katz, Wang, Yu, "Efficient and Secure Multiparty Computation from
// Fixed-Key Block Ciphers" (S&P 2020) — TCCR hash.
//
// Roles are those of the extended OTs: the extension *sender* holds a
// secret Δ ∈ {0,1}^128 (its choice bits in 128 base OTs, where it is the
// base-OT receiver); the extension *receiver* holds choice bits b_i (and was
// the base-OT sender). The 128 base OTs are split into groups of k
// (softspoken_k; the last group may be smaller). For a group of k base OTs
// the receiver builds a GGM tree with 2^k leaves, of which the sender learns
// all but the leaf Δ_g (the group's k bits of Δ) — for k = 1 the two base-OT
// messages are the leaves and nothing is sent. Per 128 OTs and per group the
// receiver expands every leaf x (AES-128 keyed by the leaf, counter mode)
// into r_x, sets its k rows to V = Σ_x x·r_x and its choice column to
// u = Σ_x r_x, and sends u ⊕ b (b packed as 128-bit blocks: 16/k bytes per
// OT). The sender computes W = Σ_x (x ⊕ Δ_g)·r_x, in which the leaf it
// lacks has coefficient 0, so W = V ⊕ Δ_g·u, and adds Δ_g·(u ⊕ b): W = V ⊕
// Δ_g·b.
// Over the 128 rows, Q = T ⊕ Δ·b; transposing the 128×n bit matrices gives,
// for every OT i,
//
//   correlated OT (COT):  sender q_i,  receiver t_i = q_i ⊕ b_i·Δ,
//
// i.e. a subfield VOLE over GF(2) ⊂ GF(2^128). Random OT (ROT) hashes it:
// sender m0_i = H(q_i, τ_i), m1_i = H(q_i ⊕ Δ, τ_i), receiver m_{b_i} =
// H(t_i, τ_i), with H = crypto::TccrHash and τ_i a tweak unique to the OT
// over the life of the set-up. Chosen-message OT sends (x0_i ⊕ m0_i, x1_i ⊕
// m1_i) on top of a ROT.
//
// Malicious check (Security::kMalicious), the same for every k: the
// receiver extends one extra block of 128 OTs with random choice bits b*.
// The sender fixes a random seed χ before the receiver's columns arrive and,
// once they have all arrived, reveals it; χ expands to one GF(2^128) coefficient χ_k per block
// k. The receiver answers x = Σ χ_k·b_k ⊕ b* and, for every base OT j,
// t_j = Σ χ_k·T_{j,k} ⊕ T_{j,*}; the sender accepts iff t_j = Σ χ_k·Q_{j,k}
// ⊕ Q_{j,*} ⊕ Δ_j·x for all 128 rows j, comparing in constant time. For
// IKNP, a receiver that used different choice bits in the columns of a set
// S of base OTs passes only if Δ_j = 0 for all j ∈ S (probability 2^-|S|),
// plus 2^-128 for a lucky χ. x is one-time-padded by b*, so the check
// reveals nothing about the choice bits whatever χ the sender picks.
//
// Security model:
//  - kSemiHonest: IKNP / SoftSpoken, secure against semi-honest adversaries
//    if AES is a PRF (the PRGs), fixed-key AES is an ideal permutation (the
//    GGM tree's length-doubling PRG) and H is tweakable circular correlation
//    robust (GKWY20). A cheating receiver can make the correlation wrong
//    undetected; a cheating sender learns nothing.
//  - kMalicious: the check above, with the base OTs of ot/base_ot.h
//    (malicious, endemic). For k = 1 this is KOS as revised; for k > 1 it is
//    SoftSpoken's malicious protocol (its subspace-VOLE check, run on the
//    128 rows after correction), where a cheating receiver may also send an
//    inconsistent GGM tree; Roy's analysis bounds what that gains. In both,
//    a malicious receiver may learn a predicate of a few bits of Δ at the
//    price of being caught with probability 1 − 2^-(bits) (selective
//    failure). The ROT and chosen-message outputs stay secure under that
//    leakage (TCCR hash; GKWY20's analysis of malicious OT extension); the
//    COT outputs of a malicious run are the "leaky" correlation, so a
//    consumer that uses q_i directly must tolerate a receiver knowing a few
//    bits of Δ with matching probability.
//
// Rounds and bytes (n OTs per Extend, K = ⌈n/128⌉ blocks, K' = K + 1 in
// malicious mode, K otherwise; G = ⌈128/k⌉ groups; every message also has a
// 4-byte frame):
//  - SetUp (once): base OTs, one flight each way concurrently (receiver 32
//    bytes, sender 8,192 bytes); for k > 1 the receiver then sends the GGM
//    corrections, 32·(k_g − 1) bytes per group (k = 2: 2,048; 4: 3,072; 8:
//    3,584).
//  - Extend: receiver → sender: a 31-byte header, then 16·G·K' bytes of
//    columns (16 bytes per OT for k = 1, 8 for k = 2, 4 for k = 4, 2 for
//    k = 8) in messages of at most chunk_blocks blocks. Semi-honest: that is
//    all (one flight). Malicious: sender → receiver 16 bytes (χ seed),
//    receiver → sender 2,064 bytes (x, t_j): three flights.
//  - Chosen-message OT: in addition sender → receiver 32·n bytes.
// Work per OT: AES-128 counter-mode blocks, receiver 2^k·G/128 (k = 1: 2,
// 2: 2, 4: 4, 8: 32) and sender (2^k − 1)·G/128, plus 2^(k+1)·G/128 block
// XORs to combine the leaves; one 128×128 bit transpose per 128 OTs each;
// malicious mode adds one GF(2^128) product per OT on each side and makes
// the receiver expand its leaves x ≠ 0 once more for the check; ROT adds 2
// (receiver) or 4 (sender) fixed-key AES.
// Memory: the outputs (16 bytes per OT for COT; 32 per OT for the ROT
// sender) plus O(chunk_blocks) buffers per thread, about 2^k·G AES key
// schedules (176 bytes each; 720 KB for k = 8), and K χ blocks for the
// check (1 bit per OT). The receiver sends its columns without waiting for
// the sender, so the channel may hold up to all of them in flight.
//
// What each party learns: the receiver learns t_i (ROT: m_{b_i}) for its
// own choice bits and nothing about Δ or m_{1-b_i} (up to the malicious
// leakage above); the sender learns q_i (ROT: m0_i, m1_i), n, and nothing
// about the choice bits. Both learn n. Choice bits, Δ and seeds are handled
// by masks only: no branch or memory index depends on them.
//
// A failure on the sender's side (a failed check included) is not reported
// to the receiver by this protocol: the receiver's Extend returns once its
// messages are sent, and the failure shows as the channel closing
// (Unavailable) in whatever the receiver does next. After any error an
// object refuses further use (FailedPrecondition): the two sides' PRG
// positions may no longer agree; set up a new pair.
//
// Wire grammar of one Extend (integers little-endian):
//   (SetUp, k > 1)     receiver → sender: for each group g with k_g > 1,
//                      for levels 1..k_g − 1: two blocks, 32 bytes
//   receiver → sender  header: u32 magic "LOTE", u32 version (1), u8
//                      security (0 semi-honest, 1 malicious), u8 kind (0
//                      COT, 1 ROT, 2 chosen), u8 k, u64 num_ots, u32
//                      chunk_blocks, u64 first_block (PRG position)
//   receiver → sender  for each chunk of up to chunk_blocks blocks
//                      [k0, k0 + len): for g = 0..G-1, the blocks
//                      (u_g ⊕ b)_{k0..k0+len-1}: 16·G·len bytes
//   sender → receiver  (malicious) χ seed: 16 bytes
//   receiver → sender  (malicious) x ‖ t_0 ‖ ... ‖ t_127: 2,064 bytes
//   sender → receiver  (chosen) for each chunk of up to 64·chunk_blocks
//                      OTs: (x0_i ⊕ m0_i ‖ x1_i ⊕ m1_i), 32 bytes per OT
// A header that does not match the sender's own parameters (version,
// security, kind, k, num_ots, chunk_blocks, PRG position) is
// FailedPrecondition; a malformed or wrong-length message is DataLoss.
#ifndef LIAISON_OT_OT_EXTENSION_H_
#define LIAISON_OT_OT_EXTENSION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/aes.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "crypto/secret_blocks.h"

namespace liaison::ot {

using crypto::Block;

enum class Security { kSemiHonest, kMalicious };

struct OtExtensionParams {
  Security security = Security::kMalicious;
  // softspoken_k is SoftSpoken's k, 1 to 8: 1 is IKNP (16 bytes per OT on
  // the wire), larger k sends 16/k bytes per OT for about 2^k/k times the
  // PRG work. Both sides must use the same value.
  int softspoken_k = 1;
  // chunk_blocks is the number of 128-OT blocks per column message: 512
  // gives 65,536 OTs (1 MiB per message for k = 1). Both sides must use the
  // same value, and 2,048·chunk_blocks bytes must fit the channel's limit.
  size_t chunk_blocks = 512;
  // num_threads spreads each chunk over that many threads; 0 means all
  // hardware threads. The default suits two parties sharing one machine
  // (tests, benchmarks); a node whose peer is across the network should
  // pass 0.
  int num_threads = 1;
};

// CotSenderOutput is the sender's side of n correlated OTs.
struct CotSenderOutput {
  crypto::SecretBlock delta;  // Δ
  crypto::SecretBlocks q;     // q_i; the receiver holds t_i = q_i ⊕ b_i·Δ
};

// RotSenderOutput is the sender's side of n random OTs.
struct RotSenderOutput {
  crypto::SecretBlocks m0;
  crypto::SecretBlocks m1;
};

// CotPieceFn consumes correlated OTs [first, first + cots.size()) as an
// ExtendCotPieces call produces them: q_i (sender) or t_i (receiver).
// `cots` and `scratch` (of equal size) are the calling thread's buffers,
// free to overwrite and wiped by the OT extension afterwards; they live
// only during the call. Pieces hold at most 128·16 OTs (128·64 for k > 4),
// start at multiples of 128 and arrive concurrently on up to num_threads
// threads, in no particular order.
using CotPieceFn = std::function<void(size_t first, absl::Span<Block> cots,
                                      absl::Span<Block> scratch)>;

// OtExtensionSender is the extension sender (the base-OT receiver). One
// object serves any number of Extend calls after one SetUp, all over
// channels to the same OtExtensionReceiver. Not thread-safe.
class OtExtensionSender {
 public:
  explicit OtExtensionSender(OtExtensionParams params = {});
  ~OtExtensionSender();
  OtExtensionSender(OtExtensionSender&&) noexcept;
  OtExtensionSender& operator=(OtExtensionSender&&) noexcept;

  // SetUp draws Δ from `prng`, runs the 128 base OTs as their receiver and,
  // for k > 1, receives the GGM corrections. Errors: InvalidArgument if
  // softspoken_k is not in 1..8; FailedPrecondition if already set up;
  // DataLoss if the corrections have the wrong length; the base OT's
  // errors.
  absl::Status SetUp(net::Channel& channel, crypto::Prng& prng);
  bool is_set_up() const { return !leaves_.empty(); }

  // delta returns Δ; only after a successful SetUp. The reference lives as
  // long as this object.
  const Block& delta() const { return delta_.value(); }

  // ExtendCot produces `num_ots` correlated OTs: q_i such that the
  // receiver's t_i = q_i ⊕ b_i·Δ. Errors: FailedPrecondition before SetUp,
  // after an earlier error, or when the receiver's header disagrees with
  // our parameters; InvalidArgument if chunk_blocks is 0 or does not fit the
  // channel; DataLoss for a malformed or wrong-length message or a failed
  // malicious check (a possible attack); transport errors as the channel
  // gives them. On error nothing is returned and the object is spent.
  absl::StatusOr<crypto::SecretBlocks> ExtendCot(net::Channel& channel, size_t num_ots,
                                         crypto::Prng& prng);

  // ExtendCotPieces is ExtendCot for consumers that use each OT once,
  // right away: the q_i go to `consume` piece by piece while they are in
  // cache, and are never held for the whole batch. The wire is that of
  // ExtendCot; the receiver may call either ExtendCot or ExtendCotPieces.
  // Semi-honest only (FailedPrecondition in malicious mode, whose check
  // must pass before any OT is used). Errors as ExtendCot; on error some
  // pieces may already have been consumed.
  absl::Status ExtendCotPieces(net::Channel& channel, size_t num_ots, crypto::Prng& prng,
                               const CotPieceFn& consume);

  // ExtendRot produces `num_ots` random OTs (m0_i, m1_i); errors as
  // ExtendCot.
  absl::StatusOr<RotSenderOutput> ExtendRot(net::Channel& channel, size_t num_ots,
                                            crypto::Prng& prng);

  // SendChosen transfers x0[i] or x1[i] to the receiver, which gets
  // x_{b_i}[i]; x0 and x1 have equal sizes (InvalidArgument otherwise).
  // Errors as ExtendCot.
  absl::Status SendChosen(net::Channel& channel, absl::Span<const Block> x0,
                          absl::Span<const Block> x1, crypto::Prng& prng);

  // Run is SetUp (unless already done) followed by ExtendCot, returning Δ
  // with the q_i.
  absl::StatusOr<CotSenderOutput> Run(net::Channel& channel, size_t num_ots,
                                      crypto::Prng& prng);

 private:
  enum class Kind : uint8_t { kCot = 0, kRot = 1, kChosen = 2 };
  // Extend returns the q_i, or with a `sink` hands them to it piece by
  // piece and returns an empty array.
  absl::StatusOr<crypto::SecretBlocks> Extend(net::Channel& channel, size_t num_ots, Kind kind,
                                      crypto::Prng& prng, const CotPieceFn* sink = nullptr);
  absl::StatusOr<RotSenderOutput> ExtendRotKind(net::Channel& channel, size_t num_ots,
                                                Kind kind, crypto::Prng& prng);

  OtExtensionParams params_;
  crypto::SecretBlock delta_;
  // leaves_ holds, group after group, the PRGs of the leaves y ⊕ Δ_g for
  // y = 1..2^k_g − 1 (the leaves the sender knows, relabelled so that no
  // index depends on Δ).
  std::vector<crypto::Aes128> leaves_;
  uint64_t next_block_ = 0;          // PRG position (in blocks) of the next Extend
  uint64_t last_first_block_ = 0;    // position of the last Extend (ROT tweaks)
  bool broken_ = false;
};

// OtExtensionReceiver is the extension receiver (the base-OT sender). One
// object serves any number of Extend calls after one SetUp. Not
// thread-safe.
class OtExtensionReceiver {
 public:
  explicit OtExtensionReceiver(OtExtensionParams params = {});
  ~OtExtensionReceiver();
  OtExtensionReceiver(OtExtensionReceiver&&) noexcept;
  OtExtensionReceiver& operator=(OtExtensionReceiver&&) noexcept;

  // SetUp runs the 128 base OTs as their sender and, for k > 1, sends the
  // GGM corrections. Errors: InvalidArgument if softspoken_k is not in 1..8;
  // FailedPrecondition if already set up; the base OT's errors.
  absl::Status SetUp(net::Channel& channel, crypto::Prng& prng);
  bool is_set_up() const { return !leaves_.empty(); }

  // ExtendCot produces choices.size() correlated OTs with the given choice
  // bits: t_i = q_i ⊕ b_i·Δ. For random choice bits pass
  // crypto::SecretBits::Random(n, prng). Errors: FailedPrecondition before SetUp or
  // after an earlier error; InvalidArgument if chunk_blocks is 0 or does not
  // fit the channel; DataLoss for a malformed or wrong-length message;
  // transport errors as the channel gives them. Success does not mean the
  // sender accepted (see the file comment).
  absl::StatusOr<crypto::SecretBlocks> ExtendCot(net::Channel& channel, const crypto::SecretBits& choices,
                                         crypto::Prng& prng);

  // ExtendCotPieces is ExtendCot handing the t_i to `consume` piece by
  // piece (see CotPieceFn and OtExtensionSender::ExtendCotPieces). The
  // wire is that of ExtendCot. Semi-honest only (FailedPrecondition
  // otherwise); errors as ExtendCot.
  absl::Status ExtendCotPieces(net::Channel& channel, const crypto::SecretBits& choices,
                               crypto::Prng& prng, const CotPieceFn& consume);

  // ExtendRot produces choices.size() random OTs: element i is
  // m_{b_i}[i]. Errors as ExtendCot.
  absl::StatusOr<crypto::SecretBlocks> ExtendRot(net::Channel& channel, const crypto::SecretBits& choices,
                                         crypto::Prng& prng);

  // ReceiveChosen receives x_{b_i}[i] of the sender's SendChosen. Errors as
  // ExtendCot.
  absl::StatusOr<crypto::SecretBlocks> ReceiveChosen(net::Channel& channel, const crypto::SecretBits& choices,
                                             crypto::Prng& prng);

  // Run is SetUp (unless already done) followed by ExtendCot.
  absl::StatusOr<crypto::SecretBlocks> Run(net::Channel& channel, const crypto::SecretBits& choices,
                                   crypto::Prng& prng);

 private:
  enum class Kind : uint8_t { kCot = 0, kRot = 1, kChosen = 2 };
  absl::StatusOr<crypto::SecretBlocks> Extend(net::Channel& channel, const crypto::SecretBits& choices,
                                      Kind kind, crypto::Prng& prng,
                                      const CotPieceFn* sink = nullptr);
  absl::StatusOr<crypto::SecretBlocks> ExtendRotKind(net::Channel& channel, const crypto::SecretBits& choices,
                                             Kind kind, crypto::Prng& prng);

  OtExtensionParams params_;
  // leaves_ holds, group after group, the PRGs of all 2^k_g GGM leaves.
  std::vector<crypto::Aes128> leaves_;
  uint64_t next_block_ = 0;
  uint64_t last_first_block_ = 0;
  bool broken_ = false;
};

}  // namespace liaison::ot

#endif  // LIAISON_OT_OT_EXTENSION_H_
