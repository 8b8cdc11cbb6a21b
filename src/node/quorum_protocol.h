// The node-to-node messages of an n-party quorum job (docs/wire/node-peer.md,
// "Quorum jobs"; docs/protocols/quorum.md, section 8), over the same peer
// port and pinned TLS as the two-party offers (node/peer_protocol.h).
//
// Flow (I = the initiator, P = each other participant), every message one
// frame:
//   I -> P  quorum_offer  job id, alliance, the ordered participants (names
//                         as I knows them, with their key fingerprints),
//                         threshold, hide_count, I's set size, profile,
//                         software version and build
//   P -> I  verdict       accept (with P's set size) | pending | refuse
//   I -> P  quorum_sizes  once every participant accepted: every
//                         participant's set size and build
//   P -> I  verdict       accept (P checked every size and build against
//                         its own policy and reserved its budgets) | refuse
//   I -> P  go | abort    go once all accepted; otherwise abort with
//                         "participant <name> refused: <code>: <reason>"
// Then the channels of the other pairs: for participants a < b (neither
// the initiator), b dials a's peer port and sends
//   b -> a  join          job id, b's index
// and a accepts it only from the participant at that index of a job it
// accepted, over TLS pinned to that participant's key. The initiator's
// offer channels carry its own pairs. session::RunQuorumJob runs on the
// mesh, every channel wrapped in a TranscriptChannel (the lower index as
// its "initiator", and the offer's sender on I's channels); then each
// participant sends every other its signed receipt and its per-channel
// transcript hashes (quorum_receipt), and checks each one it receives.
#ifndef LIAISON_NODE_QUORUM_PROTOCOL_H_
#define LIAISON_NODE_QUORUM_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/build_info.h"
#include "base/bytes.h"
#include "net/channel.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/peer_protocol.h"

namespace liaison::node {

// kQuorumJobProtocol is the protocol name of a quorum job (its offers,
// job rows and params).
inline constexpr char kQuorumJobProtocol[] = "quorum-v1";

// Refusal codes of quorum offers, beside those of node/peer_protocol.h.
inline constexpr char kRefuseQuorumBounds[] = "quorum_out_of_bounds";
inline constexpr char kRefuseHideCountRequired[] = "hide_count_required";

// QuorumMember is one participant as the offer names it.
struct QuorumMember {
  std::string name;         // as the initiator's config names it
  std::string fingerprint;  // canonical "sha256:" and 64 hex
};

struct QuorumOffer {
  std::string job_id;
  std::string alliance;
  // participants are in party order; initiator is the initiator's index.
  std::vector<QuorumMember> participants;
  uint32_t initiator = 0;
  uint32_t threshold = 0;
  bool hide_count = false;
  uint64_t set_size = 0;  // the initiator's distinct items
  std::string profile_name;
  uint32_t profile_version = 0;
  std::string profile_digest;
  std::string software_version;
  std::string build = BuildDigestOrEmpty();
};

// QuorumSizes is what the initiator tells every participant once all
// accepted: set_sizes[i] and builds[i] are participant i's (its own
// included).
struct QuorumSizes {
  std::vector<uint64_t> set_sizes;
  std::vector<std::string> builds;
};

// Send* / Parse* / Recv* exchange the messages above. Parse and Recv
// return DataLoss for a malformed message: a wrong type or version, a
// missing or mistyped field, a bad job id, name, fingerprint or build, a
// duplicate participant, fewer than 3 or more than kMaxQuorumMembers
// participants, an initiator or threshold out of range, sizes of another
// count than the participants.
absl::Status SendQuorumOffer(net::Channel& channel, const QuorumOffer& offer);
absl::StatusOr<QuorumOffer> ParseQuorumOffer(ByteSpan raw);
absl::Status SendQuorumSizes(net::Channel& channel, const QuorumSizes& sizes);
// SizesOrGo is what a participant reads after its first accepting verdict:
// the sizes (every participant accepted) or a go with proceed false (the
// job is aborted, or, with code kGoRetry, must wait for a participant's
// approval: the participant keeps the job queued and answers the next
// offer).
inline constexpr char kGoRetry[] = "retry";
struct SizesOrGo {
  std::optional<QuorumSizes> sizes;
  Go go;
};
absl::StatusOr<SizesOrGo> RecvSizesOrGo(net::Channel& channel, size_t num_participants);
absl::Status SendJoin(net::Channel& channel, std::string_view job_id, uint32_t from);
struct Join {
  std::string job_id;
  uint32_t from = 0;
};
absl::StatusOr<Join> ParseJoin(ByteSpan raw);

// A quorum_abort is the first and only message of a connection from the
// initiator to a participant whose verdict was pending when another
// participant refused: the job ends there too, refused with `code` and
// `reason`.
struct QuorumAbort {
  std::string job_id;
  std::string code;
  std::string reason;
};
absl::Status SendQuorumAbort(net::Channel& channel, const QuorumAbort& abort);
absl::StatusOr<QuorumAbort> ParseQuorumAbort(ByteSpan raw);

// CanonicalQuorumOffer is the canonical JSON of every parameter of the
// offer (as CanonicalOffer for two parties); a participant stores it when it
// admits the offer and runs the job from it. ParseCanonicalQuorumOffer
// reads it back (DataLoss if malformed).
std::string CanonicalQuorumOffer(const QuorumOffer& offer);
absl::StatusOr<QuorumOffer> ParseCanonicalQuorumOffer(std::string_view json);

// QuorumParamsJson is the canonical parameters every participant agrees on
// once the job goes: the offer's fields and every participant's set size and
// build. Its ParamsDigest is the params_digest of every receipt.
std::string QuorumParamsJson(const QuorumOffer& offer, const QuorumSizes& sizes);

// QuorumTranscriptHash combines a participant's per-channel transcript
// hashes (64 hex each, in party order, "" at its own index) into the
// transcript_hash its receipt signs: SHA-256 of
// "liaison-quorum-transcripts-v1\n" and each hash, or "-" for its own
// index, one per line; 64 hex.
std::string QuorumTranscriptHash(const std::vector<std::string>& channel_hashes);

// QuorumReceiptOf is a receipt a participant received: the signed receipt
// and the per-channel hashes it signs.
struct QuorumReceiptOf {
  Receipt receipt;
  std::vector<std::string> channel_hashes;
};

// SendQuorumReceipt sends our receipt and our per-channel hashes.
absl::Status SendQuorumReceipt(net::Channel& channel, const Receipt& receipt,
                               const std::vector<std::string>& channel_hashes);

// RecvQuorumReceipt receives participant `from`'s receipt (of a job of
// `num_participants`, we being `me`) and checks it: it verifies, it is
// signed by `fingerprint`'s key, it is for `job_id` and `params_digest`,
// its transcript hash is QuorumTranscriptHash of the hashes sent with it,
// and the hash it gives for its channel with us is `our_channel_hash`.
// DataLoss naming what differs otherwise.
absl::StatusOr<QuorumReceiptOf> RecvQuorumReceipt(net::Channel& channel, size_t num_participants,
                                                  uint32_t from, uint32_t me,
                                                  std::string_view fingerprint,
                                                  std::string_view job_id,
                                                  std::string_view params_digest,
                                                  std::string_view our_channel_hash);

}  // namespace liaison::node

#endif  // LIAISON_NODE_QUORUM_PROTOCOL_H_
