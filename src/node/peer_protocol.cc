#include "node/peer_protocol.h"

#include <algorithm>
#include <set>
#include <vector>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "data/profile.h"
#include "node/internal/control_message.h"
#include "node/internal/util.h"
#include "psi/ecdh_psi.h"
#include "psi/rr22_psi.h"
#include "session/handshake.h"
#include "session/psi_job.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::BuildField;
using internal::MessageOf;
using internal::RecvJson;
using internal::SendJson;
using internal::Str;
using internal::Uint;

constexpr char kTranscriptContext[] = "liaison-transcript-v1\n";
constexpr char kResultContext[] = "liaison-result-v1\n";
constexpr char kResultPairContext[] = "liaison-result-pair-v1\n";

Json DpJson(const OfferDp& dp) {
  return Json{{"epsilon", dp.epsilon},
              {"delta", dp.delta},
              {"count_epsilon", dp.count_epsilon},
              {"bounds", dp.bounds},
              {"values", dp.values}};
}

// OfferFields is every parameter of an offer as a JSON object: the offer
// message without "type" and "v". Its dump is the offer's canonical form
// (nlohmann orders an object's keys).
Json OfferFields(const JobOffer& o) {
  Json m = Json::object();
  m["job_id"] = o.job_id;
  m["alliance"] = o.alliance;
  m["question"] = o.question;
  m["protocol"] = o.protocol;
  m["result_to"] = OfferResultToName(o.result_to);
  m["set_size"] = o.set_size;
  m["peer_dataset"] = o.peer_dataset;
  m["profile"] = Json{{"name", o.profile_name},
                      {"version", o.profile_version},
                      {"digest", o.profile_digest}};
  m["software_version"] = o.software_version;
  m["build"] = o.build;
  if (o.dp) m["dp"] = DpJson(*o.dp);
  m["security"] = session::SecurityName(o.security);
  return m;
}

// OfferFromJson reads an offer's fields (the offer message, or its stored
// canonical form); DataLoss for anything malformed.
absl::StatusOr<JobOffer> OfferFromJson(const Json& v) {
  JobOffer o;
  LIAISON_ASSIGN_OR_RETURN(o.job_id, Str(v, "job_id"));
  if (o.job_id.size() != 36 || o.job_id.rfind("job_", 0) != 0 ||
      !internal::IsLowerHex(std::string_view(o.job_id).substr(4), 32)) {
    return absl::DataLossError("the offer's job_id is not job_ and 32 hex digits");
  }
  LIAISON_ASSIGN_OR_RETURN(o.alliance, Str(v, "alliance"));
  LIAISON_ASSIGN_OR_RETURN(o.question, Str(v, "question"));
  LIAISON_ASSIGN_OR_RETURN(o.protocol, Str(v, "protocol"));
  LIAISON_ASSIGN_OR_RETURN(std::string result_to, Str(v, "result_to"));
  absl::StatusOr<session::ResultTo> rt = ParseOfferResultTo(result_to);
  if (!rt.ok()) return absl::DataLossError(std::string(rt.status().message()));
  o.result_to = *rt;
  LIAISON_ASSIGN_OR_RETURN(o.set_size, Uint(v, "set_size"));
  LIAISON_ASSIGN_OR_RETURN(o.peer_dataset, Str(v, "peer_dataset"));
  auto profile = v.find("profile");
  if (profile == v.end() || !profile->is_object()) {
    return absl::DataLossError("the offer has no profile object");
  }
  LIAISON_ASSIGN_OR_RETURN(o.profile_name, Str(*profile, "name"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t pv, Uint(*profile, "version"));
  o.profile_version = static_cast<uint32_t>(std::min<uint64_t>(pv, UINT32_MAX));
  LIAISON_ASSIGN_OR_RETURN(o.profile_digest, Str(*profile, "digest"));
  LIAISON_ASSIGN_OR_RETURN(o.software_version, Str(v, "software_version"));
  LIAISON_ASSIGN_OR_RETURN(o.build, BuildField(v));
  LIAISON_ASSIGN_OR_RETURN(std::string security, Str(v, "security", 16));
  absl::StatusOr<session::Security> sec = session::ParseSecurity(security);
  if (!sec.ok()) return absl::DataLossError(std::string(sec.status().message()));
  o.security = *sec;
  // Names go into our audit records and job rows: keep them plain.
  for (const std::string* name : {&o.alliance, &o.question, &o.protocol}) {
    if (!IsValidName(*name)) return absl::DataLossError("the offer holds a malformed name");
  }
  if (!o.peer_dataset.empty() && !IsValidName(o.peer_dataset)) {
    return absl::DataLossError("the offer holds a malformed dataset name");
  }
  auto dp = v.find("dp");
  const bool aggregate = o.question == "count" || o.question == "sum";
  if (aggregate != (dp != v.end())) {
    return absl::DataLossError("a count or sum offer, and only those, carries dp parameters");
  }
  if (aggregate) {
    if (!dp->is_object()) return absl::DataLossError("the offer's dp is not an object");
    OfferDp d;
    LIAISON_ASSIGN_OR_RETURN(d.epsilon, Str(*dp, "epsilon", 64));
    LIAISON_ASSIGN_OR_RETURN(d.delta, Str(*dp, "delta", 64));
    LIAISON_ASSIGN_OR_RETURN(d.count_epsilon, Str(*dp, "count_epsilon", 64));
    LIAISON_ASSIGN_OR_RETURN(d.bounds, Str(*dp, "bounds", 64));
    LIAISON_ASSIGN_OR_RETURN(d.values, Str(*dp, "values", 16));
    if (!d.values.empty() && d.values != "initiator" && d.values != "responder") {
      return absl::DataLossError("the offer's dp.values is not initiator or responder");
    }
    o.dp = std::move(d);
  }
  return o;
}

}  // namespace

std::string_view OfferResultToName(session::ResultTo r) {
  switch (r) {
    case session::ResultTo::kMe: return "initiator";
    case session::ResultTo::kPeer: return "responder";
    case session::ResultTo::kBoth: return "both";
  }
  return "initiator";
}

absl::StatusOr<session::ResultTo> ParseOfferResultTo(std::string_view s) {
  for (session::ResultTo r :
       {session::ResultTo::kMe, session::ResultTo::kPeer, session::ResultTo::kBoth}) {
    if (s == OfferResultToName(r)) return r;
  }
  return absl::InvalidArgumentError(
      StrCat("\"", s, "\" is not a result_to (initiator, responder or both)"));
}

absl::Status SendOffer(net::Channel& channel, const JobOffer& o) {
  Json m = OfferFields(o);
  m.update(MessageOf("offer"));
  return SendJson(channel, m);
}

absl::StatusOr<JobOffer> RecvOffer(net::Channel& channel) {
  LIAISON_ASSIGN_OR_RETURN(Json v, RecvJson(channel, "offer"));
  return OfferFromJson(v);
}

absl::StatusOr<JobOffer> ParseOffer(ByteSpan raw) {
  LIAISON_ASSIGN_OR_RETURN(Json v, internal::ParseJson(raw, "offer"));
  return OfferFromJson(v);
}

std::string CanonicalOffer(const JobOffer& offer) { return OfferFields(offer).dump(); }

absl::StatusOr<JobOffer> ParseCanonicalOffer(std::string_view json) {
  Json v = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) {
    return absl::DataLossError("a stored offer is not a JSON object");
  }
  return OfferFromJson(v);
}

std::string OfferChanges(const JobOffer& admitted, const JobOffer& offered) {
  const Json a = OfferFields(admitted), b = OfferFields(offered);
  std::vector<std::string> changed;
  auto compare = [&](const Json& x, const Json& y, const std::string& prefix, auto& self) -> void {
    std::set<std::string> keys;
    for (auto it = x.begin(); it != x.end(); ++it) keys.insert(it.key());
    for (auto it = y.begin(); it != y.end(); ++it) keys.insert(it.key());
    for (const std::string& k : keys) {
      const bool in_x = x.contains(k), in_y = y.contains(k);
      if (in_x && in_y && x[k].is_object() && y[k].is_object()) {
        self(x[k], y[k], prefix + k + ".", self);
      } else if (in_x != in_y || x[k] != y[k]) {
        changed.push_back(prefix + k);
      }
    }
  };
  compare(a, b, "", compare);
  std::string out;
  for (const std::string& c : changed) out += (out.empty() ? "" : ", ") + c;
  return out;
}

absl::Status SendVerdict(net::Channel& channel, const Verdict& v) {
  Json m = MessageOf("verdict");
  m["verdict"] = v.kind == VerdictKind::kAccept    ? "accept"
                 : v.kind == VerdictKind::kPending ? "pending"
                                                   : "refuse";
  m["code"] = v.code;
  m["reason"] = v.reason;
  m["set_size"] = v.set_size;
  m["retry_after_seconds"] = v.retry_after_seconds;
  m["build"] = v.build;
  return SendJson(channel, m);
}

absl::StatusOr<Verdict> RecvVerdict(net::Channel& channel) {
  LIAISON_ASSIGN_OR_RETURN(Json m, RecvJson(channel, "verdict"));
  Verdict v;
  LIAISON_ASSIGN_OR_RETURN(std::string kind, Str(m, "verdict"));
  if (kind == "accept") {
    v.kind = VerdictKind::kAccept;
  } else if (kind == "pending") {
    v.kind = VerdictKind::kPending;
  } else if (kind == "refuse") {
    v.kind = VerdictKind::kRefuse;
  } else {
    return absl::DataLossError("the verdict is not accept, pending or refuse");
  }
  LIAISON_ASSIGN_OR_RETURN(v.code, Str(m, "code", 64));
  LIAISON_ASSIGN_OR_RETURN(v.reason, Str(m, "reason", 1024));
  LIAISON_ASSIGN_OR_RETURN(v.set_size, Uint(m, "set_size"));
  LIAISON_ASSIGN_OR_RETURN(uint64_t retry, Uint(m, "retry_after_seconds"));
  v.retry_after_seconds = static_cast<uint32_t>(std::min<uint64_t>(retry, 86400));
  LIAISON_ASSIGN_OR_RETURN(v.build, BuildField(m));
  return v;
}

absl::Status SendGo(net::Channel& channel, const Go& go) {
  Json m = MessageOf("go");
  m["proceed"] = go.proceed;
  m["code"] = go.code;
  m["reason"] = go.reason;
  return SendJson(channel, m);
}

absl::StatusOr<Go> RecvGo(net::Channel& channel) {
  LIAISON_ASSIGN_OR_RETURN(Json m, RecvJson(channel, "go"));
  Go go;
  auto p = m.find("proceed");
  if (p == m.end() || !p->is_boolean()) return absl::DataLossError("go without proceed");
  go.proceed = p->get<bool>();
  LIAISON_ASSIGN_OR_RETURN(go.code, Str(m, "code", 64));
  LIAISON_ASSIGN_OR_RETURN(go.reason, Str(m, "reason", 1024));
  return go;
}

std::string SessionProtocol(std::string_view protocol) {
  absl::StatusOr<session::Protocol> p = session::ParseProtocol(protocol);
  return std::string(session::ProtocolSessionName(p.ok() ? *p : session::Protocol::kRr22));
}

std::string OfferParamsJson(const JobOffer& offer, uint64_t responder_set_size,
                            std::string_view initiator_fingerprint,
                            std::string_view responder_fingerprint,
                            std::string_view responder_build) {
  Json p{{"job_id", offer.job_id},
         {"alliance", offer.alliance},
         {"question", offer.question},
         {"protocol", offer.protocol},
         {"result_to", OfferResultToName(offer.result_to)},
         {"security", session::SecurityName(offer.security)},
         {"initiator_set_size", offer.set_size},
         {"responder_set_size", responder_set_size},
         {"profile_digest", offer.profile_digest},
         {"initiator", initiator_fingerprint},
         {"responder", responder_fingerprint},
         {"initiator_build", offer.build},
         {"responder_build", responder_build}};
  if (offer.dp) p["dp"] = DpJson(*offer.dp);
  return p.dump();
}

TranscriptChannel::TranscriptChannel(net::Channel& inner, bool initiator)
    : inner_(inner), initiator_(initiator) {
  set_max_message_len(inner.max_message_len());
}

TranscriptChannel::~TranscriptChannel() = default;

void TranscriptChannel::Hash(bool sent, ByteSpan message) {
  if (sealed_) return;
  uint8_t header[net::kFrameHeaderLen];
  const uint32_t len = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) header[i] = static_cast<uint8_t>(len >> (24 - 8 * i));
  crypto::Sha256Hasher& h = sent ? sent_hash_ : received_hash_;
  h.Update(ByteSpan(header, sizeof(header)));
  h.Update(message);
  (sent ? sent_len_ : received_len_) += sizeof(header) + message.size();
}

absl::Status TranscriptChannel::DoSend(ByteSpan message) {
  LIAISON_RETURN_IF_ERROR(inner_.Send(message));
  Hash(/*sent=*/true, message);
  return absl::OkStatus();
}

absl::StatusOr<Bytes> TranscriptChannel::DoRecv(size_t max_len) {
  // This one message's bound; the inner channel keeps its own for sends.
  LIAISON_ASSIGN_OR_RETURN(Bytes m, net::RecvAtMost(inner_, max_len));
  Hash(/*sent=*/false, m);
  return m;
}

std::string TranscriptChannel::Seal() {
  sealed_ = true;
  crypto::Digest256 sent = sent_hash_.Finish();
  crypto::Digest256 received = received_hash_.Finish();
  const crypto::Digest256& ir = initiator_ ? sent : received;
  const crypto::Digest256& ri = initiator_ ? received : sent;
  const uint64_t n_ir = initiator_ ? sent_len_ : received_len_;
  const uint64_t n_ri = initiator_ ? received_len_ : sent_len_;
  auto u64 = [](uint64_t n) {
    std::string b(8, '\0');
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(n >> (56 - 8 * i));
    return b;
  };
  crypto::Sha256Hasher t;
  t.Update(kTranscriptContext);
  t.Update(u64(n_ir));
  t.Update(ByteSpan(ir.data(), ir.size()));
  t.Update(u64(n_ri));
  t.Update(ByteSpan(ri.data(), ri.size()));
  crypto::Digest256 d = t.Finish();
  return ToHex(d);
}

std::string ResultCommitment(ByteSpan salt, std::string_view content) {
  crypto::Sha256Hasher h;
  h.Update(kResultContext);
  h.Update(salt);
  h.Update(content);
  crypto::Digest256 d = h.Finish();
  return ToHex(d);
}

std::string ResultDigest(std::string_view initiator_commitment,
                         std::string_view responder_commitment) {
  crypto::Sha256Hasher h;
  h.Update(kResultPairContext);
  h.Update(initiator_commitment);
  h.Update(responder_commitment);
  crypto::Digest256 d = h.Finish();
  return ToHex(d);
}

absl::StatusOr<std::string> ExchangeCommitments(net::Channel& channel,
                                                std::string_view own_commitment) {
  Json m = MessageOf("result");
  m["commitment"] = own_commitment;
  LIAISON_RETURN_IF_ERROR(SendJson(channel, m));
  LIAISON_ASSIGN_OR_RETURN(Json v, RecvJson(channel, "result"));
  LIAISON_ASSIGN_OR_RETURN(std::string c, Str(v, "commitment"));
  if (!internal::IsLowerHex(c, 64)) {
    return absl::DataLossError("the peer's result commitment is not 64 hex digits");
  }
  return c;
}

absl::StatusOr<Receipt> ExchangeReceipts(net::Channel& channel, const net::Identity& identity,
                                         std::string_view peer_fingerprint,
                                         std::string_view job_id,
                                         std::string_view params_digest,
                                         std::string_view transcript_hash,
                                         std::string_view result_digest) {
  LIAISON_ASSIGN_OR_RETURN(
      Receipt mine, SignReceipt(identity, job_id, params_digest, transcript_hash, result_digest));
  Json m = MessageOf("receipt");
  Json receipt = Json::parse(ReceiptJson(mine), nullptr, /*allow_exceptions=*/false);
  if (!receipt.is_object()) return absl::InternalError("our own receipt is not a JSON object");
  m["receipt"] = std::move(receipt);
  LIAISON_RETURN_IF_ERROR(SendJson(channel, m));
  LIAISON_ASSIGN_OR_RETURN(Json v, RecvJson(channel, "receipt"));
  auto r = v.find("receipt");
  if (r == v.end() || !r->is_object()) return absl::DataLossError("receipt message without a receipt");
  LIAISON_ASSIGN_OR_RETURN(Receipt theirs, ParseReceiptJson(r->dump()));
  LIAISON_RETURN_IF_ERROR(VerifyReceipt(theirs));
  if (theirs.peer_fingerprint != peer_fingerprint) {
    return absl::DataLossError("the peer's receipt is signed by another key than the peer's");
  }
  if (theirs.job_id != job_id || theirs.params_digest != params_digest ||
      theirs.transcript_hash != transcript_hash || theirs.result_digest != result_digest) {
    return absl::DataLossError(
        "the peer's receipt covers other values than ours (job, parameters, transcript or "
        "result digest differ)");
  }
  return theirs;
}

}  // namespace liaison::node
