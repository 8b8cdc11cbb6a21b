// The node-to-node protocol: how one node offers a job to another over the
// mutually authenticated TLS channel (net/tls_channel.h), how the responder
// answers from its own policy before any protocol message, and how both end a
// run with a transcript hash and signed receipts. docs/wire/node-peer.md is
// the message grammar; this header is the code's view of it.
//
// Flow (I = initiator, R = responder), every message one channel frame:
//   I -> R  offer     job id, alliance, question, protocol, result_to,
//                     initiator set size, requested dataset, profile, version,
//                     I's build digest, security model
//   R -> I  verdict   accept (with R's set size) | pending (manual approval
//                     or busy: ask again later) | refuse (code + reason);
//                     every verdict carries R's build digest
//   I -> R  go | abort  (I checks R's set size and build against its own policy)
//   ...     the session handshake and PSI (session::RunPsiJob)
//   I <-> R result    each side's salted commitment to what it learned
//   I <-> R receipt   each side's signed receipt (audit.h) over the job id,
//                     params digest, transcript hash and result digest
// The transcript hash covers every frame from the offer to the last PSI
// message, so both sides compute the same value (TranscriptChannel).
//
// Nothing here touches the store or the config file; the daemon
// (daemon.h) decides and records.
#ifndef LIAISON_NODE_PEER_PROTOCOL_H_
#define LIAISON_NODE_PEER_PROTOCOL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/build_info.h"
#include "crypto/hash.h"
#include "net/channel.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/config.h"
#include "session/handshake.h"

namespace liaison::node {

// kPeerProtocolVersion is the "v" of every control message.
inline constexpr int kPeerProtocolVersion = 1;
// kMaxControlMessageLen bounds an offer, verdict, go/abort, result or
// receipt message; a longer one is DataLoss.
inline constexpr size_t kMaxControlMessageLen = 16 * 1024;

// Refusal codes, as carried in verdicts and aborts and recorded by both
// sides ("<code>: <reason>" in the job's error).
inline constexpr char kRefusePeerNotInAlliance[] = "peer_not_in_alliance";
inline constexpr char kRefuseDatasetNotAllowed[] = "dataset_not_allowed";
inline constexpr char kRefuseQuestionNotAllowed[] = "question_not_allowed";
inline constexpr char kRefuseProtocolNotAllowed[] = "protocol_not_allowed";
inline constexpr char kRefuseSetSize[] = "set_size_out_of_bounds";
inline constexpr char kRefuseRateLimited[] = "rate_limited";
inline constexpr char kRefuseProfileMismatch[] = "profile_mismatch";
inline constexpr char kRefuseSoftware[] = "software_incompatible";
inline constexpr char kRefuseBuildNotAllowed[] = "build_not_allowed";
inline constexpr char kRefuseByAnalyst[] = "refused_by_analyst";
inline constexpr char kRefuseApprovalExpired[] = "approval_expired";
inline constexpr char kRefuseDuplicateJob[] = "duplicate_job";
inline constexpr char kRefuseDatasetUnavailable[] = "dataset_unavailable";
inline constexpr char kRefuseUnsupported[] = "unsupported";
inline constexpr char kRefuseDpParameters[] = "dp_parameters_invalid";
inline constexpr char kRefusePrivacyBudget[] = "privacy_budget_exhausted";
inline constexpr char kRefuseItemBudget[] = "item_budget_exhausted";
// kPendingPreparing is the pending verdict of a responder that must
// prepare a job (draw a noised job's noise) with no channel open: the
// initiator asks again after the verdict's retry_after_seconds.
inline constexpr char kPendingPreparing[] = "preparing";
inline constexpr char kRefuseOfferChanged[] = "offer_changed";
inline constexpr char kRefuseSecurityMismatch[] = "security_mismatch";
inline constexpr char kRefuseSecurityUnavailable[] = "security_unavailable";

// An offer says who receives the result (session::ResultTo) from the
// initiator's view, in the words of the two roles: OfferResultToName is
// "initiator" for kMe, "responder" for kPeer and "both"; ParseOfferResultTo
// its inverse (InvalidArgument for anything else).
std::string_view OfferResultToName(session::ResultTo r);
absl::StatusOr<session::ResultTo> ParseOfferResultTo(std::string_view s);

// OfferDp is the differential-privacy part of a count or sum offer, as
// exact decimal or rational strings (dp/rational.h); node/dp_jobs.h turns
// it into a psi::DpAggregateSpec. Public parameters only.
struct OfferDp {
  std::string epsilon;
  std::string delta;          // "" for the discrete Laplace mechanism
  std::string count_epsilon;  // sum only; "" for no noised count
  std::string bounds;         // sum only: "LO:HI"
  // values names the side that brings the values of a sum: "initiator" or
  // "responder" ("" for a count).
  std::string values;
};

// JobOffer is what the initiator proposes.
struct JobOffer {
  std::string job_id;    // "job_" and 32 hex digits
  std::string alliance;
  std::string question;  // "match", "count" or "sum"
  std::string protocol;  // "rr22" or "ecdh"
  // result_to is from the initiator's view: kMe is the initiator.
  session::ResultTo result_to = session::ResultTo::kMe;
  uint64_t set_size = 0;  // the initiator's distinct items
  // peer_dataset names the responder's dataset to match against; empty
  // lets the responder use the first one its alliance maps to this peer.
  std::string peer_dataset;
  std::string profile_name;
  uint32_t profile_version = 0;
  std::string profile_digest;  // 64 hex
  std::string software_version;
  // build is the initiator's build digest ("sha256:" and 64 hex digits, or
  // "" if unknown; base/build_info.h); by default this executable's.
  std::string build = BuildDigestOrEmpty();
  // dp is set exactly for count and sum offers (RecvOffer checks it).
  std::optional<OfferDp> dp;
  // security is the adversary model the job runs in; it must be the one the
  // responder's own policy gives the job (node/policy.h, SecurityFor).
  session::Security security = session::Security::kSemiHonest;
};

enum class VerdictKind { kAccept, kPending, kRefuse };

// Verdict is the responder's answer to an offer.
struct Verdict {
  VerdictKind kind = VerdictKind::kRefuse;
  std::string code;    // refusals and pending: a code above, or "awaiting_approval" / "busy"
  std::string reason;  // one line for people; never items
  uint64_t set_size = 0;  // accept: the responder's distinct items
  uint32_t retry_after_seconds = 0;  // pending
  // build is the responder's build digest, in every verdict (as in
  // JobOffer::build); by default this executable's.
  std::string build = BuildDigestOrEmpty();
};

// Go is the initiator's last word before the PSI: proceed, or abort with a
// refusal code (the responder's set size is outside the initiator's bounds,
// its build is not one the alliance requires, ...).
struct Go {
  bool proceed = true;
  std::string code;
  std::string reason;
};

// Send* / Recv* exchange one control message. Recv* return DataLoss for a
// malformed message (wrong type, missing or mistyped field, over
// kMaxControlMessageLen, a bad job id or build digest), and the channel's
// errors otherwise.
absl::Status SendOffer(net::Channel& channel, const JobOffer& offer);
absl::StatusOr<JobOffer> RecvOffer(net::Channel& channel);
// ParseOffer reads an offer already received (the first frame of a
// connection, whose type the listener looked at), as RecvOffer does.
absl::StatusOr<JobOffer> ParseOffer(ByteSpan raw);
absl::Status SendVerdict(net::Channel& channel, const Verdict& verdict);
absl::StatusOr<Verdict> RecvVerdict(net::Channel& channel);
absl::Status SendGo(net::Channel& channel, const Go& go);
absl::StatusOr<Go> RecvGo(net::Channel& channel);

// CanonicalOffer is the canonical JSON text of every parameter of `offer`
// (the offer message without "type" and "v", keys in order, no spaces): two
// offers are the same offer exactly when their canonical forms are equal
// byte for byte. The responder stores it when it admits an offer, compares
// a repeated offer's with it, and runs the job from it.
std::string CanonicalOffer(const JobOffer& offer);

// ParseCanonicalOffer reads CanonicalOffer's output back, with RecvOffer's
// checks (DataLoss if malformed).
absl::StatusOr<JobOffer> ParseCanonicalOffer(std::string_view json);

// OfferChanges names the parameters in which `offered` differs from
// `admitted`, for a person ("dp.epsilon, set_size"); "" if none.
std::string OfferChanges(const JobOffer& admitted, const JobOffer& offered);

// SessionProtocol maps a job's protocol ("rr22", "ecdh") to the session's
// protocol name ("rr22-psi", "ecdh-psi").
std::string SessionProtocol(std::string_view protocol);

// OfferParamsJson returns the canonical job parameters both sides agree on
// once the responder accepted: job id, alliance, question, protocol,
// result_to, security model, both set sizes, profile digest, both
// fingerprints, both build digests (the offer's and `responder_build`) and,
// for count and sum, the DP parameters. Its ParamsDigest is the
// params_digest of the receipts, so each side's receipt signs the builds
// both announced.
std::string OfferParamsJson(const JobOffer& offer, uint64_t responder_set_size,
                            std::string_view initiator_fingerprint,
                            std::string_view responder_fingerprint,
                            std::string_view responder_build);

// TranscriptChannel wraps a channel and hashes every frame it carries, as
// it travels (u32 big-endian length, then the payload), one SHA-256 per
// direction, until Seal is called. The wrapped channel must outlive it; it
// is used by one thread at a time, like any Channel.
class TranscriptChannel final : public net::Channel {
 public:
  TranscriptChannel(net::Channel& inner, bool initiator);
  ~TranscriptChannel() override;

  void Close() override { inner_.Close(); }
  void SetTimeout(absl::Duration timeout) override { inner_.SetTimeout(timeout); }

  // Seal stops hashing and returns the transcript hash (64 hex):
  //   SHA-256("liaison-transcript-v1\n" || u64be(n_IR) || H_IR ||
  //           u64be(n_RI) || H_RI)
  // where H_IR is SHA-256 of the frames initiator -> responder and n_IR
  // their byte count (likewise R -> I). Both sides get the same value.
  // Later messages still pass through, unhashed. Call it once.
  std::string Seal();

 protected:
  absl::Status DoSend(ByteSpan message) override;
  absl::StatusOr<Bytes> DoRecv(size_t max_len) override;

 private:
  void Hash(bool sent, ByteSpan message);

  net::Channel& inner_;
  bool initiator_;
  bool sealed_ = false;
  crypto::Sha256Hasher sent_hash_, received_hash_;
  uint64_t sent_len_ = 0, received_len_ = 0;
};

// ResultCommitment returns SHA-256("liaison-result-v1\n" || salt || content)
// as 64 hex: a commitment to what this side learned (`content` is the
// canonical result, or "none" for a side that learns nothing). The salt (32
// random bytes, kept with the result) stops a side that did not receive the
// result from confirming a guess of it; the receiver can open the commitment
// to a third party later.
std::string ResultCommitment(ByteSpan salt, std::string_view content);

// ResultDigest combines both sides' commitments into the result_digest of
// the receipts: SHA-256("liaison-result-pair-v1\n" || c_I || c_R), 64 hex.
std::string ResultDigest(std::string_view initiator_commitment,
                         std::string_view responder_commitment);

// ExchangeCommitments sends ours and returns the peer's (64 hex).
absl::StatusOr<std::string> ExchangeCommitments(net::Channel& channel,
                                                std::string_view own_commitment);

// ExchangeReceipts signs our receipt over (job id, params digest, transcript
// hash, result digest), sends it, and returns the peer's after checking it:
// it verifies, it is signed by `peer_fingerprint`'s key, and it covers the
// same four values. DataLoss otherwise.
absl::StatusOr<Receipt> ExchangeReceipts(net::Channel& channel, const net::Identity& identity,
                                         std::string_view peer_fingerprint,
                                         std::string_view job_id,
                                         std::string_view params_digest,
                                         std::string_view transcript_hash,
                                         std::string_view result_digest);

}  // namespace liaison::node

#endif  // LIAISON_NODE_PEER_PROTOCOL_H_
