// Fuzz target: the node-to-node protocol's messages (node/peer_protocol.h)
// — offer, verdict, go, result (commitment) and receipt — with one side
// played against a scripted peer whose messages come from the fuzz input.
// The first byte picks the side under test: bit 0 clear, the responder (it
// decodes the offer, checks it against a fixed policy with
// CheckOfferPolicy, answers, decodes go, the commitment and the receipt);
// set, the initiator (it decodes the verdict, the commitment and the
// receipt). Bit 1 makes the honest initiator of the recorded seeds ask for
// an alliance the responder does not have, so a seed covers the refusal.
// The PSI between go and the commitments is left out: its messages are
// fuzzed by the protocol targets (rr22_psi, ecdh_psi).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "data/profile.h"
#include "fuzz_support.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/config.h"
#include "node/peer_protocol.h"
#include "node/policy.h"

namespace {

namespace node = liaison::node;
using liaison::net::Channel;
using liaison::net::Identity;

constexpr char kJobId[] = "job_0123456789abcdef0123456789abcdef";
constexpr uint64_t kSetSize = 3;
// Fixed builds, so that recorded seeds do not depend on the fuzz binary;
// the responder's alliance requires the initiator's.
const std::string kInitiatorBuild = "sha256:" + std::string(64, '1');
const std::string kResponderBuild = "sha256:" + std::string(64, '2');

// Parties are the two fixed identities and the responder's config, made once.
struct Parties {
  Identity initiator;
  Identity responder;
  node::Config config;
};

Identity MakeIdentity() {
  char tmpl[] = "/tmp/liaison-peer-fuzz-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) std::abort();
  const std::string dir = std::string(tmpl) + "/id";
  if (!liaison::net::GenerateIdentity(dir).ok()) std::abort();
  absl::StatusOr<Identity> id = Identity::Load(dir);
  std::filesystem::remove_all(tmpl);
  if (!id.ok()) std::abort();
  return *std::move(id);
}

const Parties& GetParties() {
  static const Parties* parties = [] {
    auto* p = new Parties{MakeIdentity(), MakeIdentity(), {}};
    const std::string toml = liaison::StrCat(R"([node]
name = "responder"
peer_listen = "127.0.0.1:7400"
rest_listen = "127.0.0.1:7480"
[peers.init]
address = "127.0.0.1:7401"
fingerprint = ")", p->initiator.fingerprint(), R"("
[datasets.ind]
file = "ind.txt"
tlp = "amber"
[alliances.fin]
members = ["init"]
questions = ["match"]
protocols = ["rr22", "ecdh"]
max_set_size = 1000
jobs_per_hour_per_peer = 100
approval = "auto"
tlp_ceiling = "amber"
require_build = [")", kInitiatorBuild, R"("]
[alliances.fin.datasets]
init = ["ind"]
)");
    absl::StatusOr<node::Config> config = node::ParseConfig(toml, "fuzz.toml", "/nonexistent");
    if (!config.ok()) std::abort();
    p->config = *std::move(config);
    return p;
  }();
  return *parties;
}

const liaison::data::Profile& Profile() { return liaison::data::Profile::V1(); }

// Finish runs the end of a job both sides share: seal the transcript,
// exchange commitments (to "none", with a fixed salt: deterministic) and
// receipts.
absl::Status Finish(node::TranscriptChannel& ch, bool initiator, const node::JobOffer& offer,
                    uint64_t responder_set_size, const std::string& responder_build) {
  const Parties& p = GetParties();
  const Identity& me = initiator ? p.initiator : p.responder;
  const Identity& peer = initiator ? p.responder : p.initiator;
  const std::string transcript = ch.Seal();
  const liaison::Bytes salt(32, 0);
  const std::string mine = node::ResultCommitment(salt, "none");
  LIAISON_ASSIGN_OR_RETURN(std::string theirs, node::ExchangeCommitments(ch, mine));
  const std::string digest =
      initiator ? node::ResultDigest(mine, theirs) : node::ResultDigest(theirs, mine);
  LIAISON_ASSIGN_OR_RETURN(
      std::string params_digest,
      node::ParamsDigest(node::OfferParamsJson(offer, responder_set_size,
                                               p.initiator.fingerprint(),
                                               p.responder.fingerprint(), responder_build)));
  return node::ExchangeReceipts(ch, me, peer.fingerprint(), offer.job_id, params_digest,
                                transcript, digest)
      .status();
}

absl::Status RunResponder(Channel& raw) {
  const Parties& p = GetParties();
  node::TranscriptChannel ch(raw, /*initiator=*/false);
  LIAISON_ASSIGN_OR_RETURN(node::JobOffer offer, node::RecvOffer(ch));
  node::PolicyDecision decision =
      node::CheckOfferPolicy(p.config, p.config.peers.at("init"), offer, Profile());
  node::Verdict v;
  v.build = kResponderBuild;
  if (!decision.refusal_code.empty()) {
    v.code = decision.refusal_code;
    v.reason = decision.reason;
    return node::SendVerdict(ch, v);
  }
  v.kind = node::VerdictKind::kAccept;
  v.set_size = kSetSize;
  LIAISON_RETURN_IF_ERROR(node::SendVerdict(ch, v));
  LIAISON_ASSIGN_OR_RETURN(node::Go go, node::RecvGo(ch));
  if (!go.proceed) return absl::OkStatus();
  return Finish(ch, /*initiator=*/false, offer, kSetSize, v.build);
}

absl::Status RunInitiator(Channel& raw, bool unknown_alliance) {
  node::TranscriptChannel ch(raw, /*initiator=*/true);
  node::JobOffer offer;
  offer.job_id = kJobId;
  offer.alliance = unknown_alliance ? "elsewhere" : "fin";
  offer.question = "match";
  offer.protocol = "rr22";
  offer.result_to = liaison::session::ResultTo::kBoth;
  offer.set_size = kSetSize;
  offer.profile_name = std::string(Profile().name());
  offer.profile_version = static_cast<uint32_t>(Profile().version());
  offer.profile_digest = Profile().digest();
  offer.software_version = liaison::kVersion;
  offer.build = kInitiatorBuild;
  // The responder's policy runs a match on rr22 malicious (SecurityFor).
  offer.security = liaison::session::Security::kMalicious;
  LIAISON_RETURN_IF_ERROR(node::SendOffer(ch, offer));
  LIAISON_ASSIGN_OR_RETURN(node::Verdict v, node::RecvVerdict(ch));
  if (v.kind != node::VerdictKind::kAccept) return absl::OkStatus();
  LIAISON_RETURN_IF_ERROR(node::SendGo(ch, node::Go{}));
  return Finish(ch, /*initiator=*/true, offer, v.set_size, v.build);
}

absl::Status Side(Channel& ch, uint8_t config) {
  return (config & 1) ? RunInitiator(ch, (config & 2) != 0) : RunResponder(ch);
}

void Peer(Channel& ch, uint8_t config) {
  (void)((config & 1) ? RunResponder(ch) : RunInitiator(ch, (config & 2) != 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::RunScripted(data, size, Side);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return liaison::fuzz::RecordSeeds({0, 1, 2}, Side, Peer);
}
