// OtPair is one party's end of random OT extension in both directions
// with one peer: an OT-extension sender and an OT-extension receiver
// (ot/ot_extension.h, SoftSpoken), set up once, from which the mpc/
// building blocks (1-out-of-N OT, AND triples, bit × value products) draw
// their random OTs. Two-party computations name the parties 0 and 1; the
// callers agree who is who (for PSI: the OPRF receiver is party 0).
//
// Security model: as the OT extension's parameters say. kSemiHonest (the
// default of DefaultOtParams): semi-honest, messages m_b = CrHash(q ⊕ b·Δ).
// kMalicious: the OT extension's malicious mode (its consistency check on
// every Extend: a cheating receiver learns at most a few bits of Δ at the
// price of being caught, ot/ot_extension.h), and messages hashed with the
// tweakable hash TccrHash(q ⊕ b·Δ, τ), τ a counter unique to each OT of
// this pair and direction, which is what a malicious receiver needs (GKWY20);
// the batches then always go through whole ExtendCot calls (slices of at
// most kPiecesPerSlice pieces), as the piece-wise extension is semi-honest
// only. The mpc/ blocks built on top keep their privacy against a deviating
// peer (its deviations become errors in the shares it helps compute), but
// not their correctness.
// Rounds and bytes: SetUp is two OT-extension set-ups, one per direction
// (base OTs: 32 + 8,192 bytes each way, plus 3,072 bytes of GGM
// corrections per direction for k = 4); each Extend is one flight of
// 16/k bytes per OT (plus a 31-byte header) from the OT receiver.
// What each party learns: nothing about the other's choice bits or the
// messages it did not choose (ot/ot_extension.h).
#ifndef LIAISON_MPC_OT_PAIR_H_
#define LIAISON_MPC_OT_PAIR_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "ot/ot_extension.h"
#include "mpc/shares.h"
#include "crypto/secret_blocks.h"

namespace liaison::mpc {

// kDefaultSoftSpokenK is the SoftSpoken k the mpc blocks use by default:
// 4 bytes per OT on the wire for about twice IKNP's AES work.
inline constexpr int kDefaultSoftSpokenK = 4;

// DefaultOtParams returns semi-honest OT-extension parameters with
// SoftSpoken k = kDefaultSoftSpokenK and `num_threads` threads.
ot::OtExtensionParams DefaultOtParams(int num_threads);

// OtPair holds both directions of OT extension. Not thread-safe; both
// parties must call the same methods in the same order with equal sizes.
class OtPair {
 public:
  // OtPair makes party `party` (0 or 1) with OT-extension parameters
  // `params` (both sides use equal values; see the file comment for the
  // two security modes).
  OtPair(int party, ot::OtExtensionParams params);

  int party() const { return party_; }
  // malicious reports the kMalicious mode: every Extend is then a round
  // trip (the extension's check), so callers must not interleave the two
  // directions' batches (each side's sender call must meet the peer's
  // receiver call).
  bool malicious() const { return malicious_; }
  bool is_set_up() const { return sender_.is_set_up() && receiver_.is_set_up(); }

  // SetUp sets up both directions: party 0's sender first. Errors: those
  // of the OT extension's SetUp (DataLoss, FailedPrecondition, transport
  // errors).
  absl::Status SetUp(net::Channel& channel, crypto::Prng& prng);

  // SendRot extends `num_ots` ≥ 1 random OTs as their sender:
  // m0_i = H(q_i), m1_i = H(q_i ⊕ Δ) from correlated OTs, with H the
  // correlation-robust hash crypto::CrHash (one fixed-key AES; enough
  // against a semi-honest receiver, which cannot choose its t_i — IKNP's
  // original assumption, proven for this H by Guo et al. 2020; the
  // tweakable hash of ExtendRot is what a malicious receiver needs). The
  // peer must call ReceiveRot with num_ots choice bits at the same point.
  // Errors as ot::OtExtensionSender::ExtendCot.
  absl::StatusOr<ot::RotSenderOutput> SendRot(net::Channel& channel, size_t num_ots,
                                              crypto::Prng& prng);

  // ReceiveRot extends choices.size() ≥ 1 random OTs as their receiver and
  // returns m_{b_i} = H(t_i) for choice bits b_i. Errors as
  // ot::OtExtensionReceiver::ExtendCot.
  absl::StatusOr<crypto::SecretBlocks> ReceiveRot(net::Channel& channel,
                                              const crypto::SecretBits& choices,
                                              crypto::Prng& prng);

  // SendRotWords and ReceiveRotWords are SendRot and ReceiveRot keeping
  // only the low 64 bits of each message, hashed in cache-sized pieces on
  // `num_threads` threads: for the consumers of a few bits per OT.
  struct RotWords {
    SecretWords m0, m1;
  };
  absl::StatusOr<RotWords> SendRotWords(net::Channel& channel, size_t num_ots,
                                        crypto::Prng& prng, int num_threads);
  absl::StatusOr<SecretWords> ReceiveRotWords(net::Channel& channel,
                                              const crypto::SecretBits& choices,
                                              crypto::Prng& prng, int num_threads);

  // SendRotPieces is SendRotWords for consumers that use the messages
  // once, right away: instead of returning arrays of 8·num_ots bytes per
  // message it hashes the OTs piece by piece and calls consume(first, m0,
  // m1) with the low 64 bits of the messages of OTs [first, first +
  // m0.size()). Every piece starts at a multiple of `group` (1 ≤ group ≤
  // kRotPiece) and all but the last are a multiple of group long. When
  // group divides 128 the pieces are the OT extension's own
  // (ot::CotPieceFn: at most 2,048 OTs for k ≤ 4, hashed while in cache,
  // one Extend for the whole batch); otherwise at most kRotPiece OTs cut
  // from slices of kPiecesPerSlice pieces. Pieces are consumed concurrently
  // on up to `num_threads` threads; the spans live only during the call
  // (their buffers are wiped afterwards). The wire and the messages are
  // those of SendRotWords (but for the slices' extra Extend headers).
  // Errors: InvalidArgument for a bad group; as SendRotWords otherwise.
  using SendPieceFn = std::function<void(size_t first, absl::Span<const uint64_t> m0,
                                         absl::Span<const uint64_t> m1)>;
  absl::Status SendRotPieces(net::Channel& channel, size_t num_ots, size_t group,
                             crypto::Prng& prng, int num_threads,
                             const SendPieceFn& consume);

  // ReceiveRotPieces is ReceiveRotWords in pieces, as SendRotPieces:
  // consume(first, mc) gets the chosen messages of OTs [first, first +
  // mc.size()), pieces cut as there.
  using ReceivePieceFn = std::function<void(size_t first, absl::Span<const uint64_t> mc)>;
  absl::Status ReceiveRotPieces(net::Channel& channel, const crypto::SecretBits& choices,
                                size_t group, crypto::Prng& prng, int num_threads,
                                const ReceivePieceFn& consume);

  // SendRotBlockPieces and ReceiveRotBlockPieces are SendRotPieces and
  // ReceiveRotPieces with the whole 128-bit messages, for consumers that
  // need more than 64 bits per OT. The spans are scratch: the consumer may
  // overwrite them.
  using SendBlockPieceFn = std::function<void(size_t first, absl::Span<crypto::Block> m0,
                                              absl::Span<crypto::Block> m1)>;
  absl::Status SendRotBlockPieces(net::Channel& channel, size_t num_ots, size_t group,
                                  crypto::Prng& prng, int num_threads,
                                  const SendBlockPieceFn& consume);
  using ReceiveBlockPieceFn = std::function<void(size_t first, absl::Span<crypto::Block> mc)>;
  absl::Status ReceiveRotBlockPieces(net::Channel& channel, const crypto::SecretBits& choices,
                                     size_t group, crypto::Prng& prng, int num_threads,
                                     const ReceiveBlockPieceFn& consume);

  // kRotPiece bounds the OTs per piece: 2,048 hashed blocks (32 KiB) stay
  // in L1/L2 between hashing and use.
  static constexpr size_t kRotPiece = 2048;
  // kPiecesPerSlice: when `group` does not divide 128, SendRotPieces and
  // ReceiveRotPieces extend the OTs in slices of kPiecesPerSlice pieces (at
  // most 2^18 OTs, 4 MiB of correlations), one OT-extension Extend each (a
  // 31-byte header more per slice on the wire), so that the buffers stay
  // small enough for the allocator to reuse.
  static constexpr size_t kPiecesPerSlice = 128;

 private:
  // Hash hashes OTs [first, first + in.size()) of the batch starting at
  // tweak `tweak0` into `out` (CrHash, or TccrHash in malicious mode).
  void Hash(absl::Span<const crypto::Block> in, uint64_t tweak0, size_t first,
            absl::Span<crypto::Block> out) const;

  int party_;
  bool malicious_;
  ot::OtExtensionSender sender_;
  ot::OtExtensionReceiver receiver_;
  // The next TCCR tweak of each direction (malicious mode): the peer's
  // receiver counter equals our sender counter, and the other way round.
  uint64_t send_tweak_ = 0;
  uint64_t receive_tweak_ = 0;
};

// BothRot is a batch of random OTs in each direction: this party receives
// `mine` (for its choice bits) and sends `theirs` (the peer's messages).
struct BothRot {
  crypto::SecretBlocks mine;
  ot::RotSenderOutput theirs;
};

// BothRotWords is BothRot with 64-bit messages (OtPair::SendRotWords).
struct BothRotWords {
  SecretWords mine;
  OtPair::RotWords theirs;
};

// RunBothWays runs this party's OT-sender batch (`send`) and its
// OT-receiver batch (`receive`) in the order of ExtendBothWays: party 0
// sends first. Returns the first error.
absl::Status RunBothWays(const OtPair& ots, const std::function<absl::Status()>& send,
                         const std::function<absl::Status()>& receive);

// ExtendBothWaysWords is ExtendBothWays with 64-bit messages.
absl::StatusOr<BothRotWords> ExtendBothWaysWords(OtPair& ots, net::Channel& channel,
                                                 const crypto::SecretBits& my_choices,
                                                 size_t num_peer_ots, crypto::Prng& prng,
                                                 int num_threads);

// ExtendBothWays runs two ROT batches: party 0 is the sender of the first
// and the receiver of the second, so that one party computes while the
// other's columns arrive. `my_choices` are this party's choice bits (its
// receiver batch); `num_peer_ots` is the size of the peer's batch. Errors
// as SendRot / ReceiveRot.
absl::StatusOr<BothRot> ExtendBothWays(OtPair& ots, net::Channel& channel,
                                       const crypto::SecretBits& my_choices,
                                       size_t num_peer_ots, crypto::Prng& prng);

}  // namespace liaison::mpc

#endif  // LIAISON_MPC_OT_PAIR_H_
