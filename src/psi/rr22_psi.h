// RR22 PSI: the VOLE-based PSI of Raghuraman and Rindal, "Blazing Fast PSI
// from Improved OKVS and Subfield VOLE" (CCS 2022, ePrint 2022/320), in its
// semi-honest and malicious forms, with the structure of volePSI's RsOprf /
// RsPsi (written from the paper and that description, not copied).
//
// Roles. One side is the OPRF receiver R (set Y, |Y| = n_R) and learns the
// intersection; the other is the OPRF sender S (set X, |X| = n_S).
//  0. Both send a header with a commitment to a 16-byte random seed, then
//     both open their seeds (psi/internal/seed_commit.h; a seed that does
//     not match its commitment is DataLoss): s = seed_R ⊕ seed_S, uniform
//     if either side is honest, keys an AES-128 CBC-MAC that maps each item (a byte string) to a
//     128-bit key k(x) over the prefix-free encoding LE64(len) ‖ x ‖ 0-pad.
//     For inputs fixed before the seeds (semi-honest), two distinct items
//     of at most ℓ blocks collide with probability about ℓ²/2^128, so any
//     collision among the n_R + n_S items has probability below
//     (n_R + n_S)²·ℓ²/2^129 (2^-59 for 2^24 items a side of up to 16 KiB).
//     Let h(x) = CrHash(k(x)) (fixed-key AES, crypto/aes.h).
//  1. A silent VOLE of length m = okvs size for n_R items
//     (ot/silent_vole.h): R gets (A, C), S gets (Δ, B), A = B ⊕ C·Δ.
//  2. R encodes P = OKVS(k(y) ↦ h(y)) under a fresh public seed
//     (okvs/okvs.h) and sends the seed and P ⊕ C. Its OPRF values are
//     F(y) = CrHash(Decode(A, k(y))).
//  3. S sets B' = B ⊕ Δ·(P ⊕ C) = A ⊕ Δ·P, so for every x,
//     F(x) = CrHash(Decode(B', k(x)) ⊕ Δ·h(x)), which equals R's F(y) when
//     x = y and is pseudo-random to R otherwise (Δ is hidden by the VOLE).
//     S sends its F values truncated to L = ⌈σ/8⌉ bytes, σ = 40 +
//     ⌈log2(n_R·n_S)⌉ (capped at 16 bytes), sorted by value: a set, so the
//     order tells R nothing about S's input order. A false match needs two
//     truncated pseudo-random values to agree: probability ≤ n_R·n_S·2^-σ
//     ≤ 2^-40.
//  4. R matches its own truncated F values against the list (a merge of
//     two sorted lists). If S receives too, R returns the positions (in
//     the sorted list) that matched, and S maps them back to its items.
// Who is R: the side that receives when only one does. When both receive,
// `role` decides; if both sides leave it at kAuto, the side with the
// smaller set is R (less traffic: R sends 16·m ≈ 20·n_R bytes, S ⌈σ/8⌉·n_S),
// ties broken by the header seeds.
//
// Security models (Rr22PsiParams::malicious, in the header: both sides
// must agree, or both stop with FailedPrecondition before any VOLE
// message).
//  - Semi-honest (the default): in the random permutation model for
//    fixed-key AES, under the LPN assumption of the silent VOLE. Not
//    secure against a malicious peer: it can make the result wrong, and in
//    the both-receive mode R could report any subset of S's list as the
//    intersection.
//  - Malicious (RR22's malicious variant; the OPRF of psi/rr22_oprf.h in
//    its malicious mode, whose header states the argument and its
//    assumptions: ideal cipher for AES, random permutation for fixed-key
//    AES, SHA-256 as a random oracle, LPN under selective-failure
//    leakage). Here in addition: S sends T = CrHash(F ⊕ "rr22/tag") in
//    full (16 bytes, not ⌈σ/8⌉), so that every value names the one OPRF
//    query that produced it and a malicious S cannot make one value stand
//    for many items. What a malicious peer can do: choose its set (a
//    malicious R effectively up to m ≈ 1.28·n_R keys, as RR22's
//    functionality allows), abort at any point, and, through the silent
//    VOLE, learn one selective-failure predicate of its choice about the
//    other's noise positions (or bits of Δ) at the price of being caught
//    with matching probability. What it cannot do undetected: deviate in
//    the VOLE or the commit-and-open of w (DataLoss on the honest side,
//    up to the selective failure just stated), or learn anything else
//    about the honest side's items. A changed P ⊕ C or F list is not an
//    attack but a change of the sender's own input (only matches go
//    missing), and is not detected.
//    Both-receive mode: R still learns first and reports to S, but every
//    reported position carries the proof CrHash(F ⊕ "rr22/proof"), which R
//    can compute only for an item it evaluated itself (the list shows it
//    T, not F), so S refuses (DataLoss) a claimed match R cannot back: S's
//    result is X ∩ Y' for a subset Y' of R's effective set. R can still
//    leave matches out, having seen X ∩ Y (as it can always abort after
//    learning its output: two-party protocols cannot be fair). Running
//    the OPRF both ways would double the cost and give the same guarantee
//    (the second OPRF sender chooses its set after learning the first
//    result), so we do not; a user who needs S's result to be complete
//    relative to a committed set must not rely on R's honesty, whatever
//    the protocol.
//    Item hashing: the key s of the item hash is the XOR of the header
//    seeds, each committed before either is opened, so a rushing peer
//    cannot choose it; the argument treats AES under s as an ideal cipher. A malicious peer
//    that knows s can build colliding items of its own (CBC-MAC under a
//    known key is not collision resistant), which only lets one of its
//    keys stand for several of its own items, within the set-size slack
//    above; it cannot make an honest item collide without knowing it.
//
// What each party learns (n_R, n_S, the parameters and the roles are
// public to both): R learns X ∩ Y (as indices into its items) and nothing
// about X \ Y; S learns nothing about Y beyond n_R when it does not
// receive, and exactly X ∩ Y (as indices into its items) when it does.
// Count mode (PsiOutput::kCardinality): after the headers the two run
// PSI with secret-shared output (psi/shared_output_psi.h; the OPRF
// receiver R is its cuckoo-hashing receiver) and end with additive shares
// of |X ∩ Y| modulo 2^64; each side then sends its 8-byte share to the
// other if the other receives (both at once when both receive). A
// receiving side learns |X ∩ Y| and the set sizes, nothing else — not
// which items match; a non-receiving side learns the set sizes only. The
// messages are in docs/wire/rr22-psi.md, the costs in
// psi/shared_output_psi.h and docs/protocols/rr22-psi.md.
//
// Rounds (flights): headers (both at once); the seed openings (both at
// once); the silent VOLE's flights; R
// → S the OKVS seed and P ⊕ C; S → R the F list; R → S the matched
// positions (both-receive mode only). Malicious mode adds S → R the
// commitment (with the VOLE's first flight), the VOLE's four check
// flights, and S → R the opening (with the F list): four flights more.
// Bytes sent, besides 4-byte frames: R: 69 (header) + 16 (seed opening) +
// 16 (OKVS seed) +
// 16·m + the VOLE receiver's bytes (+ 8 + 4·|X ∩ Y| when S receives);
// S: 69 + 16 + L·n_S + the VOLE sender's bytes. m ≈ 1.28·n_R with the default
// bins (okvs/okvs.h); the VOLE is about 0.37 MB in all at m ≈ 2^20.
// Memory per item: R about 16·(m/n_R)·3 + 96 bytes (P, A, C, keys, h,
// outputs, the sorted list), S about 16·(m/n_R)·n_R/n_S + 96 per item
// (B, keys, h, outputs, the sorted list), plus one received chunk.
// Work: OKVS encode (R, on its own thread while the VOLE runs, as volePSI
// overlaps them) and decode (both), n + m GF(2^128) products (S), AES for
// hashing, spread over `num_threads` threads.
// Measured (bench/psi_bench.cc BM_Rr22Psi, both parties in one process on
// 2 cores, both receiving, one size per process): n = 2^20 a side in
// 0.26-0.30 s, R 22.68 MB (P ⊕ C 21.49 MB, positions 1.05 MB, VOLE
// 0.14 MB), S 10.71 MB (L = 10: 10.49 MB, VOLE 0.22 MB), 33.39 MB in all;
// 2^22 in 1.0-1.7 s (136.9 MB, peak RSS about 1.0 GB); 2^24 in 5-9 s
// (546.9 MB, peak RSS 3.6 GB for the process, of which about 1.07 GB
// is the benchmark's two input vectors; the silent VOLE truncates its long
// vectors in place rather than copying their prefix). Fresh-page faults dominated
// before the big vectors asked for transparent huge pages; timings vary
// by up to 2x from run to run on this machine.
// Malicious (BM_Rr22PsiMalicious, only R receiving, 2^20 a side, minimum
// of 6 runs while other builds loaded the 2 cores to a load average of
// about 6): 0.43 s, R 21.64 MB, S 17.00 MB (16-byte values), 38.64 MB in
// all, about 1.1x the core time of semi-honest; both receiving
// (BM_Rr22PsiMaliciousBoth) R 26.88 MB (20 bytes per match), 43.88 MB.
#ifndef LIAISON_PSI_RR22_PSI_H_
#define LIAISON_PSI_RR22_PSI_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "absl/types/span.h"
#include "crypto/prng.h"
#include "net/channel.h"
#include "okvs/okvs.h"
#include "psi/psi.h"

namespace liaison::psi {

// Rr22Role is a side's role in the OPRF; see the file comment.
enum class Rr22Role { kAuto, kOprfReceiver, kOprfSender };

struct Rr22PsiParams {
  PsiOutput output = PsiOutput::kIntersection;
  bool i_receive = true;      // this side learns the result
  bool peer_receives = true;  // the other side learns the result
  // role must be kAuto or agree with the recipients: a side that receives
  // alone is the OPRF receiver. Two explicit roles must differ.
  Rr22Role role = Rr22Role::kAuto;
  int num_threads = 0;  // 0: all hardware threads
  // chunk_len is the number of blocks of P ⊕ C, F values or positions per
  // message this side sends. The peer may use another value.
  size_t chunk_len = size_t{1} << 16;
  // okvs_bin_items is the OKVS's expected items per bin
  // (okvs::OkvsParams::ForItems); both sides must agree.
  uint64_t okvs_bin_items = okvs::kDefaultBinItems;
  // max_peer_items bounds the set size we accept from the peer: the OPRF
  // sender allocates 16·m bytes for the VOLE on the peer's word.
  uint64_t max_peer_items = uint64_t{1} << 28;
  // malicious selects the malicious-secure variant (see the file comment);
  // both sides must agree, which the header checks before any VOLE
  // traffic (FailedPrecondition).
  bool malicious = false;
  ProgressFn progress;  // optional
};

// Rr22Psi is one side of the protocol; both sides run the same code with
// mirrored `i_receive` / `peer_receives`.
class Rr22Psi {
 public:
  static constexpr std::string_view kProtocolName = "rr22-psi";
  // kProtocolVersion 2 added the security byte to the header, 3 the seed
  // commitment (the seed itself follows in its own message).
  static constexpr uint32_t kProtocolVersion = 3;

  // AnnouncedSetSize returns the set size a peer's first message (its
  // header) announces, or nullopt if it is not a well-formed header of this
  // version (the protocol then refuses it itself).
  static std::optional<uint64_t> AnnouncedSetSize(ByteSpan header);

  explicit Rr22Psi(Rr22PsiParams params) : params_(std::move(params)) {}

  // Run executes the protocol over `channel` with this side's `items`, which
  // must be distinct (the caller deduplicates canonical values); `prng`
  // supplies all of this side's randomness. If either set is empty both
  // sides return an empty result after the headers. On success the result
  // of a receiving side lists, in increasing order, the indices of `items`
  // in the intersection; in count mode it has intersection_size only.
  // Errors: InvalidArgument for duplicate items ("rr22-psi items must be
  // distinct", okvs::IsDuplicateKeysError), and, each with its own message,
  // for more than 2^32 - 1 items, nobody
  // receiving, a role that contradicts the recipients, or a chunk length
  // that does not fit the channel; FailedPrecondition when the peer runs
  // another version or disagrees on the security model, the output, the
  // recipients, the roles or the OKVS bins, or announces more than
  // max_peer_items items (all before any VOLE message); DataLoss when the
  // peer's messages are malformed or of the wrong length, its F list is
  // not sorted, or its positions are out of range or not increasing, and
  // in malicious mode when the peer fails a VOLE check, opens w
  // differently from its commitment or reports a match without its proof
  // (each a possible attack); transport errors (Unavailable,
  // DeadlineExceeded) as the channel gives them. A damaged but well-formed P ⊕ C (a flipped
  // byte) cannot be detected by this semi-honest protocol: P ⊕ C is
  // uniformly random, and the damage only makes matches go missing; the
  // transport (TLS) is what guarantees integrity.
  absl::StatusOr<PsiResult> Run(net::Channel& channel,
                                absl::Span<const std::string> items,
                                crypto::Prng& prng) const;

 private:
  Rr22PsiParams params_;
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_RR22_PSI_H_
