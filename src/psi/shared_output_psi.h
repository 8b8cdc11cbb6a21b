// PSI with secret-shared output ("circuit-PSI" style), on 128-bit item
// keys: the two parties end with additive shares (mod 2^64) of the size of
// the intersection and, optionally, of the sum of the sender's values over
// it — before anything is revealed, so that each side can add its own
// noise share (differential privacy) and then reveal only the agreed
// aggregate. rr22-psi's count mode is built on it (psi/rr22_psi.h).
//
// Papers: Chandran, Gupta, Shah, "Circuit-PSI with Linear Complexity via
// Relaxed Batch OPPRF" (PETS 2022) — cuckoo hashing, OPPRF with per-bin
// tags, private equality test; Rindal, Schoppmann, "VOLE-PSI" (Eurocrypt
// 2021) and Raghuraman, Rindal (CCS 2022), whose VOLE-based OPRF and OKVS
// make the OPPRF (volePSI's RsCpsi runs the RR22 OPRF over all bin keys;
// we run one OPRF instance per bin, psi/bin_oprf.h). Written from the
// papers.
//
// Roles. The receiver R (party 0) holds n_R keys y; the sender S (party 1)
// holds n_S keys x, each with an optional 64-bit value v_x.
//  1. R draws a cuckoo seed and places each y in one of its three
//     candidate bins (psi/internal/cuckoo.h; B ≈ 1.3·n_R bins, failure an
//     error), and sends the seed. S places each x in all three of its
//     candidate bins (simple hashing).
//  2. OPPRF. R runs the bin OPRF (psi/bin_oprf.h) as its receiver with one
//     key per bin: for bin b holding y by hash j the key (y, j) = y ⊕ j, for
//     an empty bin a fresh random key; it learns F_b at that key only. S
//     draws for every bin b a random σ-bit tag t_b and a random 64-bit
//     secret s_b, and encodes an OKVS (okvs/okvs.h, free cells random)
//     mapping (x, j) ↦ F_b(x, j) ⊕ (payload ‖ t_b) for each x and j,
//     b = h_j(x); it sends the OKVS. R decodes at its bin keys and removes
//     F_b: for a y ∈ X it gets exactly t_b and the payload; otherwise
//     pseudo-random values. The payload is v_x − s_b (arithmetic sums) or
//     c_x ⊕ s_b (bounded sums: c_x the k-bit code of v_x, below).
//  3. Private equality test (mpc/equality.h): XOR shares of e_b = [r_b =
//     t_b] for every bin, in batches of batch_bins bins.
//  4. Aggregates (mpc/bit_product.h), with S the OT sender of every
//     product whose weight shapes its own share: the count Σ_b e_b (S's
//     weight 1); arithmetic sums Σ_b e_b·(v − s_b) + e_b·s_b (S sends the
//     lanes 1 and s_b, R its payload); bounded sums (value_bit_weights):
//     u_b = e_b·c_b as XOR-shared k-bit words (mpc::BitAndSharedWords),
//     then one conversion of e_b and the k bits of u_b with S's weights 1
//     and w_0..w_{k−1}.
// σ = ssp + ⌈log2 B⌉ (at most 64; 61 at n_R = 2^20): a bin whose item is
// not in X matches by chance with probability 2^-σ, so the count is wrong
// with probability at most B·2^-σ ≤ 2^-ssp (for B ≤ 2^24; above that σ
// is capped at 64 and the bound is B·2^-64). Items in X ∩ Y
// always match (the OKVS decodes exactly). Keys are expected distinct and
// pseudo-random (psi/internal/item_hash.h).
//
// Security models. Semi-honest (the default): in the random permutation
// model for fixed-key AES, under LPN (the silent VOLE of the OPRF) and with
// the OT extension's assumptions (ot/ot_extension.h). Malicious
// (SharedOutputPsiParams::malicious): the OPRF's silent VOLE and the OT
// extension run in their malicious modes (checked; mpc/ot_pair.h), and
// sums must be bounded. What that buys, precisely:
//  - Privacy of each side's inputs against a deviating peer: every message
//    either side receives is masked by OT pads, the VOLE or the OPRF, so a
//    deviating peer learns nothing from the transcript; it can only make
//    the shares wrong (correctness is NOT guaranteed in either mode).
//  - What a deviating R can make S's share depend on (S is the side that
//    reveals its share to R in dp-aggregate's malicious mode): R learns
//    F_b at one key per bin, and a key only matches in its own bin, so one
//    item x of S can turn on at most the three comparisons of its bins
//    h_0(x), h_1(x), h_2(x), each a bit; S alone fixes the weights that
//    turn bits into its share (1 per count bit, w_i per code bit), so one
//    item of S moves S's share of the count by at most 3 and of a bounded
//    sum by at most 3·W, W = Σ|w_i|. (With the RR22 OPRF used before, R
//    could query two keys of one bin and see an item's membership from
//    equal tags; and R chose the conversion's weights, so that a weight of
//    2^40 on one bin read its bit off the revealed total.)
//  - A deviating S can make R's share anything; R's share is never revealed
//    to a deviating S in malicious mode (dp-aggregate refuses it).
// In semi-honest mode the arithmetic sum lets a deviating R scale or shift
// its payload and read matches from the total: semi-honest mode promises
// nothing against a deviating peer.
//
// What each party learns: n_R, n_S, B and the parameters; nothing else.
// The shares are uniformly random on their own. Revealing a share to the
// peer (RevealSum) reveals the aggregate and, by itself, nothing more.
//
// Rounds: R → S the cuckoo message; the bin OPRF's flights (silent VOLE,
// d); S → R the hint OKVS; the OT set-ups (two each way); then per batch
// of bins: the leaf OTs with the AND triples' OTs, then the tables (two
// flights, mpc/equality.h; in malicious mode each OT batch is a checked
// round trip and the batches run one direction at a time), ⌈log2(C/2)⌉
// AND layers (C = ⌈σ/q⌉ chunks; one flight each way; the first layer
// comes with the tables) and the products (two flights, four with sums).
// Bytes (q = 4, SoftSpoken k = 4, σ = 61, per bin unless said; B ≈
// 1.3·n_R): R: 38 + 16·B (the OPRF's d) + the VOLE's 0.15 MB, and per bin
// 244 (leaf OT columns) + 28 + 2 (triples for the 7 ANDs after the free
// first layer, AND openings) + 4 (B2A columns) ≈ 278 (+ 8 with arithmetic
// sums; + 16 + 4·k with bounded sums); S: the VOLE's 0.23 MB, 24 +
// 16·1.28·3·n_S (hint OKVS), and per bin 61 (two-bit tables) + 28 + 2 + 8
// (B2A corrections) ≈ 99 (+ 12 with arithmetic sums; + 16 + 8·k with
// bounded sums). Measured figures: docs/protocols/dp-aggregate.md.
// Time: bench/psi_bench.cc (BM_Rr22PsiCount, BM_SharedSum) and
// docs/protocols/rr22-psi.md; the equality test's OTs dominate.
// Memory: R about 16·4·B bytes at its peak (keys, OPRF outputs, decoded
// hint); S 16·(3·1.28 + 7)·n_S (hint keys, values, OKVS) + 16·B (the
// OPRF's K); each batch about 24·⌈σ/q⌉·batch_bins bytes (tables or pads,
// leaf bits) plus the OTs in flight, 64 KiB per thread (mpc/ot_pair.h; in
// malicious mode whole slices of at most 2^18 OTs): the messages are
// hashed piece by piece and not kept.
#ifndef LIAISON_PSI_SHARED_OUTPUT_PSI_H_
#define LIAISON_PSI_SHARED_OUTPUT_PSI_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/prng.h"
#include "mpc/ot_pair.h"
#include "mpc/shares.h"
#include "net/channel.h"
#include "okvs/okvs.h"
#include "psi/psi.h"

namespace liaison::testing {
class InsecureDeviatingReceiver;  // tests/testing/insecure_deviating_receiver.h
}  // namespace liaison::testing

namespace liaison::psi {

// SharedOutputPsiParams: every field but num_threads, chunk_len and
// progress must be equal on both sides.
struct SharedOutputPsiParams {
  bool with_sum = false;  // also share Σ v_x over the intersection
  // malicious runs the OPRF's silent VOLE and the OT extension in their
  // malicious modes (the file comment says what that buys).
  bool malicious = false;
  // value_bit_weights, sums only: when set, S's values are codes
  // c < 2^k (k = value_bit_weights.size() ≤ 64) and the shared sum is
  // Σ over matches of Σ_i w_i·bit_i(c) (mod 2^64), each bin adding at most
  // Σ_i |w_i| in magnitude whatever R does. Required in malicious mode;
  // when empty, values are any 64-bit words (semi-honest only).
  std::vector<uint64_t> value_bit_weights;
  int ssp = 40;           // statistical security λ (cuckoo, OKVS, σ)
  // cuckoo_expansion > 0 replaces the bins-per-item factor e
  // (psi/internal/cuckoo.h), cuckoo_min_bins is the floor on B; tests use
  // tiny tables to exercise the failure path.
  double cuckoo_expansion = 0;
  uint64_t cuckoo_min_bins = 512;
  uint64_t okvs_bin_items = okvs::kDefaultBinItems;
  int equality_chunk_bits = 4;       // q of the equality test
  int softspoken_k = 4;              // of the OT extension (mpc/ot_pair.h)
  size_t batch_bins = size_t{1} << 15;  // bins per equality-test batch
  int num_threads = 0;               // 0: all hardware threads
  size_t chunk_len = size_t{1} << 16;  // blocks per OKVS message we send
  ProgressFn progress;  // optional; phases "cuckoo", "oprf", "hint", "compare"
};

// SharedAggregates is one party's shares: count = Σ over parties of the
// count shares is |X ∩ Y| (mod 2^64), likewise sum (when has_sum) is
// Σ_{x ∈ X ∩ Y} v_x mod 2^64.
struct SharedAggregates {
  mpc::SecretU64 count;
  mpc::SecretU64 sum;
  bool has_sum = false;
};

// SharedOutputPsiReceiver is R. Not thread-safe.
class SharedOutputPsiReceiver {
 public:
  explicit SharedOutputPsiReceiver(SharedOutputPsiParams params) : params_(std::move(params)) {}

  // Run executes R's side with distinct keys `keys` against a sender with
  // `num_sender_keys` keys (sizes agreed beforehand, e.g. in a protocol
  // header). If either is zero both sides return zero shares without a
  // message. Errors: InvalidArgument for duplicate keys (after telling the
  // peer), more than 2^32 - 2 keys or a chunk length that does not fit the
  // channel; FailedPrecondition if cuckoo hashing fails (the peer is told
  // and fails likewise) or the peer's parameters differ; DataLoss for
  // malformed peer messages; the OPRF's, the OT extension's and the
  // channel's errors (Unavailable, DeadlineExceeded) as they return them.
  absl::StatusOr<SharedAggregates> Run(net::Channel& channel,
                                       absl::Span<const crypto::Block> keys,
                                       uint64_t num_sender_keys, crypto::Prng& prng) const;

 private:
  friend class liaison::testing::InsecureDeviatingReceiver;
  // Deviation lets tests play a receiver that cheats: `bin_keys` rewrites
  // its OPRF key of every bin after the honest placement (given the cuckoo
  // seed and the bin count), `payload` its decoded payload words. Only
  // tests/testing/ can set it.
  struct Deviation {
    std::function<void(const crypto::Block& cuckoo_seed, uint64_t num_bins,
                       absl::Span<crypto::Block> bin_keys)>
        bin_keys;
    std::function<void(absl::Span<uint64_t> payload)> payload;
  };
  SharedOutputPsiReceiver(SharedOutputPsiParams params, Deviation deviation)
      : params_(std::move(params)), deviation_(std::move(deviation)) {}

  SharedOutputPsiParams params_;
  Deviation deviation_;
};

// SharedOutputPsiSender is S. Not thread-safe.
class SharedOutputPsiSender {
 public:
  explicit SharedOutputPsiSender(SharedOutputPsiParams params) : params_(std::move(params)) {}

  // Run executes S's side with distinct keys `keys` and, when with_sum,
  // one value per key (`values`; ignored otherwise), against a receiver
  // with `num_receiver_keys` keys. Errors as the receiver's;
  // FailedPrecondition when the receiver reports a cuckoo failure or
  // duplicate keys, or its parameters differ; InvalidArgument for
  // duplicate keys or values of the wrong count.
  absl::StatusOr<SharedAggregates> Run(net::Channel& channel,
                                       absl::Span<const crypto::Block> keys,
                                       absl::Span<const uint64_t> values,
                                       uint64_t num_receiver_keys, crypto::Prng& prng) const;

 private:
  SharedOutputPsiParams params_;
};

// NumBins returns the number of cuckoo bins B for a receiver with
// `num_receiver_keys` keys under `params` (both sides compute it).
uint64_t NumBins(const SharedOutputPsiParams& params, uint64_t num_receiver_keys);

// CuckooPlacement is R's placement of its keys in B bins (step 1): the
// public seed of the hash functions and, per bin, 4·i + j when key i sits
// there by hash j, or ~0 when the bin is empty. The placement depends on
// R's keys and its randomness only, so one placement can serve runs with
// several senders (multi-party protocols query every peer on the same bins).
struct CuckooPlacement {
  crypto::Block seed;
  uint64_t num_bins = 0;
  std::vector<uint64_t> table;

  // ItemOfBin returns the index of the key in `bin`, or −1 for an empty bin.
  int64_t ItemOfBin(uint64_t bin) const;
};

// PlaceInBins cuckoo-hashes distinct `keys` into NumBins(params,
// keys.size()) bins with a fresh seed from `prng`. Errors: InvalidArgument
// for duplicate keys (okvs::DuplicateKeysError) or more than 2^32 − 2 keys;
// FailedPrecondition when the keys do not fit (probability ≤ 2^-ssp).
absl::StatusOr<CuckooPlacement> PlaceInBins(const SharedOutputPsiParams& params,
                                            absl::Span<const crypto::Block> keys,
                                            crypto::Prng& prng);

// SharedMembershipReceiver and SharedMembershipSender run steps 1–3 only:
// both sides end with packed XOR shares (one bit per bin of R, B bits) of
// e_b = [the key R placed in bin b is among S's keys] (0 for R's empty
// bins, up to the 2^-σ false match). Nothing is summed or revealed: the
// shares feed a further computation (mpsi/quorum.h's threshold test).
// with_sum and value_bit_weights are ignored. Same messages, security,
// rounds and bytes as a count run without the final B2A (the file
// comment); what each side learns: n_R, n_S, B, nothing else.
class SharedMembershipReceiver {
 public:
  explicit SharedMembershipReceiver(SharedOutputPsiParams params) : params_(std::move(params)) {}

  // Run plays R with distinct `keys` placed by `placement` (from
  // PlaceInBins with these keys and params). With no keys, or a sender
  // without keys, it returns zero shares without a message (B bits, or
  // none when `keys` is empty). Errors as SharedOutputPsiReceiver::Run;
  // InvalidArgument for a placement of another size. `ots`, when given,
  // is an OtPair with the peer, already set up, which the equality test
  // draws from (either party index: the test is symmetric; the sender must
  // pass the other end); otherwise the run sets up its own.
  absl::StatusOr<mpc::SecretWords> Run(net::Channel& channel,
                                       absl::Span<const crypto::Block> keys,
                                       const CuckooPlacement& placement,
                                       uint64_t num_sender_keys, crypto::Prng& prng,
                                       mpc::OtPair* ots = nullptr) const;

 private:
  SharedOutputPsiParams params_;
};

class SharedMembershipSender {
 public:
  explicit SharedMembershipSender(SharedOutputPsiParams params) : params_(std::move(params)) {}

  // Run plays S with distinct `keys` against a receiver with
  // `num_receiver_keys` keys; returns S's shares over R's B =
  // NumBins(params, num_receiver_keys) bins (none when the receiver has no
  // keys; zeros without a message when we have none). Errors as
  // SharedOutputPsiSender::Run. `ots` as for the receiver.
  absl::StatusOr<mpc::SecretWords> Run(net::Channel& channel,
                                       absl::Span<const crypto::Block> keys,
                                       uint64_t num_receiver_keys, crypto::Prng& prng,
                                       mpc::OtPair* ots = nullptr) const;

 private:
  SharedOutputPsiParams params_;
};

// RevealSum opens a shared value to the side(s) that receive: it sends
// `mine` (8 bytes) if the peer receives and, if this side receives,
// returns mine + the peer's share (mod 2^64); otherwise 0. Both sides
// send before receiving (one flight each way). Errors: DataLoss for a
// share of the wrong length; transport errors.
absl::StatusOr<uint64_t> RevealSum(net::Channel& channel, const mpc::SecretU64& mine,
                                   bool i_receive, bool peer_receives);

}  // namespace liaison::psi

#endif  // LIAISON_PSI_SHARED_OUTPUT_PSI_H_
