#include "node/quorum_protocol.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/config.h"
#include "node/internal/control_message.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

using internal::Bool;
using internal::BuildField;
using internal::Json;
using internal::MessageOf;
using internal::RecvJson;
using internal::SendJson;
using internal::Str;
using internal::Uint;

constexpr char kTranscriptsContext[] = "liaison-quorum-transcripts-v1\n";

bool IsJobId(std::string_view id) {
  return id.size() == 36 && id.rfind("job_", 0) == 0 && internal::IsLowerHex(id.substr(4), 32);
}

bool IsFingerprint(std::string_view f) {
  return f.size() == 71 && f.rfind("sha256:", 0) == 0 && internal::IsLowerHex(f.substr(7), 64);
}

Json OfferFields(const QuorumOffer& o) {
  Json participants = Json::array();
  for (const QuorumMember& m : o.participants) {
    participants.push_back(Json{{"name", m.name}, {"fingerprint", m.fingerprint}});
  }
  return Json{{"job_id", o.job_id},
              {"alliance", o.alliance},
              {"question", "quorum"},
              {"protocol", kQuorumJobProtocol},
              {"participants", std::move(participants)},
              {"initiator", o.initiator},
              {"threshold", o.threshold},
              {"hide_count", o.hide_count},
              {"set_size", o.set_size},
              {"profile", Json{{"name", o.profile_name},
                               {"version", o.profile_version},
                               {"digest", o.profile_digest}}},
              {"software_version", o.software_version},
              {"build", o.build}};
}

absl::StatusOr<QuorumOffer> OfferFromJson(const Json& v) {
  QuorumOffer o;
  LIAISON_ASSIGN_OR_RETURN(o.job_id, Str(v, "job_id"));
  if (!IsJobId(o.job_id)) {
    return absl::DataLossError("the quorum offer's job_id is not job_ and 32 hex digits");
  }
  LIAISON_ASSIGN_OR_RETURN(o.alliance, Str(v, "alliance"));
  if (!IsValidName(o.alliance)) return absl::DataLossError("the quorum offer's alliance is malformed");
  LIAISON_ASSIGN_OR_RETURN(std::string question, Str(v, "question"));
  LIAISON_ASSIGN_OR_RETURN(std::string protocol, Str(v, "protocol"));
  if (question != "quorum" || protocol != kQuorumJobProtocol) {
    return absl::DataLossError(
        StrCat("a quorum offer asks the question quorum on ", kQuorumJobProtocol));
  }
  auto ps = v.find("participants");
  if (ps == v.end() || !ps->is_array() || ps->size() < 3 || ps->size() > kMaxQuorumMembers) {
    return absl::DataLossError(StrCat("the quorum offer's participants are not a list of 3 to ",
                                      kMaxQuorumMembers));
  }
  std::set<std::string> names, keys;
  for (const Json& p : *ps) {
    if (!p.is_object()) return absl::DataLossError("a participant is not an object");
    QuorumMember m;
    LIAISON_ASSIGN_OR_RETURN(m.name, Str(p, "name", 64));
    LIAISON_ASSIGN_OR_RETURN(m.fingerprint, Str(p, "fingerprint", 80));
    if (!IsValidName(m.name)) return absl::DataLossError("a participant's name is malformed");
    if (!IsFingerprint(m.fingerprint)) {
      return absl::DataLossError(StrCat("participant ", m.name, "'s fingerprint is malformed"));
    }
    if (!names.insert(m.name).second || !keys.insert(m.fingerprint).second) {
      return absl::DataLossError(StrCat("participant ", m.name, " is listed twice"));
    }
    o.participants.push_back(std::move(m));
  }
  const uint64_t n = o.participants.size();
  LIAISON_ASSIGN_OR_RETURN(uint64_t initiator, Uint(v, "initiator"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t threshold, Uint(v, "threshold"));
  if (initiator >= n) return absl::DataLossError("the quorum offer's initiator is out of range");
  if (threshold < 1 || threshold > n) {
    return absl::DataLossError("the quorum offer's threshold is not between 1 and n");
  }
  o.initiator = static_cast<uint32_t>(initiator);
  o.threshold = static_cast<uint32_t>(threshold);
  LIAISON_ASSIGN_OR_RETURN(o.hide_count, Bool(v, "hide_count"));
  LIAISON_ASSIGN_OR_RETURN(o.set_size, Uint(v, "set_size"));
  auto profile = v.find("profile");
  if (profile == v.end() || !profile->is_object()) {
    return absl::DataLossError("the quorum offer has no profile object");
  }
  LIAISON_ASSIGN_OR_RETURN(o.profile_name, Str(*profile, "name"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t pv, Uint(*profile, "version"));
  o.profile_version = static_cast<uint32_t>(std::min<uint64_t>(pv, UINT32_MAX));
  LIAISON_ASSIGN_OR_RETURN(o.profile_digest, Str(*profile, "digest"));
  LIAISON_ASSIGN_OR_RETURN(o.software_version, Str(v, "software_version"));
  LIAISON_ASSIGN_OR_RETURN(o.build, BuildField(v));
  return o;
}

}  // namespace

absl::Status SendQuorumOffer(net::Channel& channel, const QuorumOffer& offer) {
  Json m = OfferFields(offer);
  m.update(MessageOf("quorum_offer"));
  return SendJson(channel, m);
}

absl::StatusOr<QuorumOffer> ParseQuorumOffer(ByteSpan raw) {
  LIAISON_ASSIGN_OR_RETURN(Json v, internal::ParseJson(raw, "quorum_offer"));
  return OfferFromJson(v);
}

std::string CanonicalQuorumOffer(const QuorumOffer& offer) { return OfferFields(offer).dump(); }

absl::StatusOr<QuorumOffer> ParseCanonicalQuorumOffer(std::string_view json) {
  Json v = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) {
    return absl::DataLossError("a stored quorum offer is not a JSON object");
  }
  return OfferFromJson(v);
}

absl::Status SendQuorumSizes(net::Channel& channel, const QuorumSizes& sizes) {
  Json m = MessageOf("quorum_sizes");
  m["set_sizes"] = sizes.set_sizes;
  m["builds"] = sizes.builds;
  return SendJson(channel, m);
}

absl::StatusOr<SizesOrGo> RecvSizesOrGo(net::Channel& channel, size_t num_participants) {
  absl::StatusOr<Bytes> raw = net::RecvAtMost(channel, kMaxControlMessageLen);
  if (absl::IsDataLoss(raw.status())) {
    return absl::DataLossError(StrCat("the initiator's message: ", std::string(raw.status().message())));
  }
  if (!raw.ok()) return raw.status();
  LIAISON_ASSIGN_OR_RETURN(std::string type, internal::TypeOf(*raw));
  SizesOrGo out;
  if (type == "go") {
    LIAISON_ASSIGN_OR_RETURN(Json m, internal::ParseJson(*raw, "go"));
    LIAISON_ASSIGN_OR_RETURN(out.go.proceed, Bool(m, "proceed"));
    LIAISON_ASSIGN_OR_RETURN(out.go.code, Str(m, "code", 64));
    LIAISON_ASSIGN_OR_RETURN(out.go.reason, Str(m, "reason", 1024));
    if (out.go.proceed) return absl::DataLossError("a go before the quorum sizes");
    return out;
  }
  LIAISON_ASSIGN_OR_RETURN(Json v, internal::ParseJson(*raw, "quorum_sizes"));
  auto sizes = v.find("set_sizes");
  auto builds = v.find("builds");
  if (sizes == v.end() || builds == v.end() || !sizes->is_array() || !builds->is_array() ||
      sizes->size() != num_participants || builds->size() != num_participants) {
    return absl::DataLossError(
        StrCat("the quorum sizes are not ", num_participants, " set sizes and builds"));
  }
  QuorumSizes q;
  for (size_t i = 0; i < num_participants; ++i) {
    const Json& s = (*sizes)[i];
    const Json& b = (*builds)[i];
    if (!s.is_number_unsigned()) return absl::DataLossError("a quorum set size is not a count");
    if (!b.is_string() || (!b.get_ref<const std::string&>().empty() &&
                           !IsBuildDigest(b.get_ref<const std::string&>()))) {
      return absl::DataLossError("a quorum build is not a build digest");
    }
    q.set_sizes.push_back(s.get<uint64_t>());
    q.builds.push_back(b.get<std::string>());
  }
  out.sizes = std::move(q);
  return out;
}

absl::Status SendQuorumAbort(net::Channel& channel, const QuorumAbort& abort) {
  Json m = MessageOf("quorum_abort");
  m["job_id"] = abort.job_id;
  m["code"] = abort.code;
  m["reason"] = abort.reason;
  return SendJson(channel, m);
}

absl::StatusOr<QuorumAbort> ParseQuorumAbort(ByteSpan raw) {
  LIAISON_ASSIGN_OR_RETURN(Json v, internal::ParseJson(raw, "quorum_abort"));
  QuorumAbort a;
  LIAISON_ASSIGN_OR_RETURN(a.job_id, Str(v, "job_id"));
  if (!IsJobId(a.job_id)) return absl::DataLossError("the abort's job_id is malformed");
  LIAISON_ASSIGN_OR_RETURN(a.code, Str(v, "code", 64));
  LIAISON_ASSIGN_OR_RETURN(a.reason, Str(v, "reason", 1024));
  return a;
}

absl::Status SendJoin(net::Channel& channel, std::string_view job_id, uint32_t from) {
  Json m = MessageOf("join");
  m["job_id"] = job_id;
  m["from"] = from;
  return SendJson(channel, m);
}

absl::StatusOr<Join> ParseJoin(ByteSpan raw) {
  LIAISON_ASSIGN_OR_RETURN(Json v, internal::ParseJson(raw, "join"));
  Join j;
  LIAISON_ASSIGN_OR_RETURN(j.job_id, Str(v, "job_id"));
  if (!IsJobId(j.job_id)) return absl::DataLossError("the join's job_id is malformed");
  LIAISON_ASSIGN_OR_RETURN(uint64_t from, Uint(v, "from"));
  if (from >= kMaxQuorumMembers) return absl::DataLossError("the join's index is out of range");
  j.from = static_cast<uint32_t>(from);
  return j;
}

std::string QuorumParamsJson(const QuorumOffer& offer, const QuorumSizes& sizes) {
  Json p = OfferFields(offer);
  p.erase("set_size");
  p.erase("software_version");
  p.erase("build");
  p["set_sizes"] = sizes.set_sizes;
  p["builds"] = sizes.builds;
  return p.dump();
}

std::string QuorumTranscriptHash(const std::vector<std::string>& channel_hashes) {
  crypto::Sha256Hasher h;
  h.Update(kTranscriptsContext);
  for (const std::string& c : channel_hashes) {
    h.Update(c.empty() ? std::string_view("-") : std::string_view(c));
    h.Update("\n");
  }
  crypto::Digest256 d = h.Finish();
  return ToHex(d);
}

absl::Status SendQuorumReceipt(net::Channel& channel, const Receipt& receipt,
                               const std::vector<std::string>& channel_hashes) {
  Json m = MessageOf("quorum_receipt");
  Json r = Json::parse(ReceiptJson(receipt), nullptr, /*allow_exceptions=*/false);
  if (!r.is_object()) return absl::InternalError("our own receipt is not a JSON object");
  m["receipt"] = std::move(r);
  m["channel_hashes"] = channel_hashes;
  return SendJson(channel, m);
}

absl::StatusOr<QuorumReceiptOf> RecvQuorumReceipt(net::Channel& channel, size_t num_participants,
                                                  uint32_t from, uint32_t me,
                                                  std::string_view fingerprint,
                                                  std::string_view job_id,
                                                  std::string_view params_digest,
                                                  std::string_view our_channel_hash) {
  LIAISON_ASSIGN_OR_RETURN(Json v, RecvJson(channel, "quorum_receipt"));
  auto r = v.find("receipt");
  auto hashes = v.find("channel_hashes");
  if (r == v.end() || !r->is_object()) {
    return absl::DataLossError("quorum receipt message without a receipt");
  }
  if (hashes == v.end() || !hashes->is_array() || hashes->size() != num_participants) {
    return absl::DataLossError(
        StrCat("the quorum receipt does not hold ", num_participants, " channel hashes"));
  }
  QuorumReceiptOf out;
  for (size_t i = 0; i < num_participants; ++i) {
    const Json& h = (*hashes)[i];
    if (!h.is_string()) return absl::DataLossError("a channel hash is not a string");
    const std::string& s = h.get_ref<const std::string&>();
    if (i == from ? !s.empty() : !internal::IsLowerHex(s, 64)) {
      return absl::DataLossError("a channel hash is not 64 hex digits (or empty at its sender)");
    }
    out.channel_hashes.push_back(s);
  }
  LIAISON_ASSIGN_OR_RETURN(out.receipt, ParseReceiptJson(r->dump()));
  LIAISON_RETURN_IF_ERROR(VerifyReceipt(out.receipt));
  const Receipt& got = out.receipt;
  if (got.peer_fingerprint != fingerprint) {
    return absl::DataLossError("the receipt is signed by another key than the participant's");
  }
  if (got.job_id != job_id || got.params_digest != params_digest) {
    return absl::DataLossError("the receipt covers another job or other parameters than ours");
  }
  if (got.transcript_hash != QuorumTranscriptHash(out.channel_hashes)) {
    return absl::DataLossError("the receipt's transcript hash is not that of its channel hashes");
  }
  if (out.channel_hashes[me] != our_channel_hash) {
    return absl::DataLossError("the receipt's hash of our channel differs from ours");
  }
  if (!internal::IsLowerHex(got.result_digest, 64)) {
    return absl::DataLossError("the receipt's result digest is not 64 hex digits");
  }
  return out;
}

}  // namespace liaison::node
