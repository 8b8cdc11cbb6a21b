#include "session/handshake.h"

#include <charconv>
#include <optional>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "dp/rational.h"

namespace liaison::session {
namespace {

constexpr uint32_t kMagic = 0x4e534c4c;  // "LLSN" little-endian: liaison session
constexpr uint8_t kOfferTag = 1;
constexpr uint8_t kVerdictTag = 2;

Bytes EncodeOffer(const Offer& o) {
  ByteWriter w;
  w.U32(kMagic);
  w.U8(kOfferTag);
  w.String(o.protocol);
  w.U32(o.protocol_version);
  w.String(o.mode);
  w.String(o.profile_name);
  w.U32(o.profile_version);
  w.String(o.profile_digest);
  w.U64(o.set_size);
  w.U8(static_cast<uint8_t>(o.result_to));
  w.String(o.software_version);
  w.U8(static_cast<uint8_t>(o.security));
  w.U8(o.dp ? 1 : 0);
  if (o.dp) {
    w.String(o.dp->mechanism);
    w.String(o.dp->epsilon);
    w.String(o.dp->delta);
    w.String(o.dp->count_epsilon);
    w.U64(static_cast<uint64_t>(o.dp->lo));
    w.U64(static_cast<uint64_t>(o.dp->hi));
    w.U8(o.dp->has_values ? 1 : 0);
  }
  w.String(o.build);
  return w.Take();
}

absl::Status ExpectHeader(ByteReader& r, uint8_t tag, std::string_view what) {
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32("session magic"));
  if (magic != kMagic) {
    return absl::DataLossError("the peer is not speaking the liaison session protocol");
  }
  LIAISON_ASSIGN_OR_RETURN(uint8_t got, r.U8("session message tag"));
  if (got != tag) {
    return absl::DataLossError(StrCat("expected the peer's ", what, ", got message tag ",
                                      static_cast<int>(got)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Offer> DecodeOffer(ByteSpan msg) {
  ByteReader r(msg);
  LIAISON_RETURN_IF_ERROR(ExpectHeader(r, kOfferTag, "session offer"));
  Offer o;
  LIAISON_ASSIGN_OR_RETURN(o.protocol, r.String("protocol name", 64));
  LIAISON_ASSIGN_OR_RETURN(o.protocol_version, r.U32("protocol version"));
  LIAISON_ASSIGN_OR_RETURN(o.mode, r.String("mode", 64));
  LIAISON_ASSIGN_OR_RETURN(o.profile_name, r.String("profile name", 128));
  LIAISON_ASSIGN_OR_RETURN(o.profile_version, r.U32("profile version"));
  LIAISON_ASSIGN_OR_RETURN(o.profile_digest, r.String("profile digest", 128));
  LIAISON_ASSIGN_OR_RETURN(o.set_size, r.U64("set size"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t result_to, r.U8("result recipients"));
  if (result_to > static_cast<uint8_t>(ResultTo::kPeer)) {
    return absl::DataLossError("session offer names unknown result recipients");
  }
  o.result_to = static_cast<ResultTo>(result_to);
  LIAISON_ASSIGN_OR_RETURN(o.software_version, r.String("software version", 64));
  LIAISON_ASSIGN_OR_RETURN(uint8_t security, r.U8("security model"));
  if (security > static_cast<uint8_t>(Security::kMalicious)) {
    return absl::DataLossError("session offer names an unknown security model");
  }
  o.security = static_cast<Security>(security);
  LIAISON_ASSIGN_OR_RETURN(uint8_t has_dp, r.U8("differential privacy flag"));
  if (has_dp > 1) return absl::DataLossError("session offer has a malformed DP flag");
  if (has_dp == 1) {
    DpOffer dp;
    LIAISON_ASSIGN_OR_RETURN(dp.mechanism, r.String("DP mechanism", 64));
    LIAISON_ASSIGN_OR_RETURN(dp.epsilon, r.String("epsilon", 256));
    LIAISON_ASSIGN_OR_RETURN(dp.delta, r.String("delta", 256));
    LIAISON_ASSIGN_OR_RETURN(dp.count_epsilon, r.String("count epsilon", 256));
    LIAISON_ASSIGN_OR_RETURN(uint64_t lo, r.U64("value bound lo"));
    LIAISON_ASSIGN_OR_RETURN(uint64_t hi, r.U64("value bound hi"));
    dp.lo = static_cast<int64_t>(lo);
    dp.hi = static_cast<int64_t>(hi);
    LIAISON_ASSIGN_OR_RETURN(uint8_t has_values, r.U8("value side"));
    if (has_values > 1) return absl::DataLossError("session offer has a malformed value side");
    dp.has_values = has_values == 1;
    o.dp = std::move(dp);
  }
  LIAISON_ASSIGN_OR_RETURN(o.build, r.String("build digest", 128));
  if (!o.build.empty() && !IsBuildDigest(o.build)) {
    return absl::DataLossError("session offer has a malformed build digest");
  }
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("session offer"));
  return o;
}

// EncodeVerdict sends `verdict`'s code with `reason` (the verdict's own
// message when empty).
Bytes EncodeVerdict(const absl::Status& verdict, std::string_view reason = {}) {
  ByteWriter w;
  w.U32(kMagic);
  w.U8(kVerdictTag);
  w.U8(static_cast<uint8_t>(verdict.code()));
  w.String(reason.empty() ? std::string(verdict.message()) : std::string(reason));
  return w.Take();
}

// DecodeVerdict returns the peer's verdict as a status, or an error if the
// message itself is malformed.
absl::StatusOr<absl::Status> DecodeVerdict(ByteSpan msg) {
  ByteReader r(msg);
  LIAISON_RETURN_IF_ERROR(ExpectHeader(r, kVerdictTag, "session verdict"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t code, r.U8("verdict code"));
  LIAISON_ASSIGN_OR_RETURN(std::string reason, r.String("verdict reason", 1024));
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("session verdict"));
  if (code == 0) return absl::OkStatus();
  if (code != static_cast<uint8_t>(absl::StatusCode::kFailedPrecondition) &&
      code != static_cast<uint8_t>(absl::StatusCode::kPermissionDenied)) {
    code = static_cast<uint8_t>(absl::StatusCode::kFailedPrecondition);
  }
  return absl::Status(static_cast<absl::StatusCode>(code),
                      StrCat("the peer refused the session: ", reason));
}

// Recipients describes, from our side's view, who a side's choice sends the
// result to.
std::string_view Recipients(ResultTo ours) {
  switch (ours) {
    case ResultTo::kBoth: return "both sides";
    case ResultTo::kMe: return "us only";
    case ResultTo::kPeer: return "the peer only";
  }
  return "?";
}

// FromPeerView turns the peer's choice into our point of view.
ResultTo FromPeerView(ResultTo theirs) {
  switch (theirs) {
    case ResultTo::kBoth: return ResultTo::kBoth;
    case ResultTo::kMe: return ResultTo::kPeer;
    case ResultTo::kPeer: return ResultTo::kMe;
  }
  return theirs;
}

std::string ProfileLabel(const Offer& o) {
  return StrCat(o.profile_name, " v", o.profile_version, " (sha256 ",
                o.profile_digest.substr(0, 16), "…)");
}

std::string DpLabel(const std::optional<DpOffer>& dp) {
  if (!dp) return "no differential privacy (exact result)";
  return StrCat(dp->mechanism, " epsilon=", dp::RationalTextForPeople(dp->epsilon),
                dp->delta.empty() ? std::string()
                                  : StrCat(" delta=", dp::RationalTextForPeople(dp->delta)));
}

std::string OrNone(const std::string& s) { return s.empty() ? std::string("none") : s; }

// CheckDp returns the first difference in the DP parameters, or a value
// side that does not work (both, neither, or the values side alone
// receiving).
absl::Status CheckDp(const Offer& mine, const Offer& peer) {
  if (mine.dp.has_value() != peer.dp.has_value() ||
      (mine.dp && (mine.dp->mechanism != peer.dp->mechanism ||
                   mine.dp->epsilon != peer.dp->epsilon || mine.dp->delta != peer.dp->delta))) {
    return absl::FailedPreconditionError(
        StrCat("differential privacy differs: we asked for ", DpLabel(mine.dp),
               ", the peer asked for ", DpLabel(peer.dp)));
  }
  if (!mine.dp) return absl::OkStatus();
  const DpOffer& a = *mine.dp;
  const DpOffer& b = *peer.dp;
  if (a.count_epsilon != b.count_epsilon) {
    return absl::FailedPreconditionError(
        StrCat("the noised count's epsilon differs: ours ",
               OrNone(dp::RationalTextForPeople(a.count_epsilon)), ", the peer's ",
               OrNone(dp::RationalTextForPeople(b.count_epsilon))));
  }
  if (mine.mode != "sum") {
    if (a.has_values || b.has_values) {
      return absl::FailedPreconditionError("a count takes no values, but one side brings them");
    }
    return absl::OkStatus();
  }
  if (a.lo != b.lo || a.hi != b.hi) {
    return absl::FailedPreconditionError(StrCat("value bounds differ: ours ", a.lo, ":", a.hi,
                                                ", the peer's ", b.lo, ":", b.hi));
  }
  if (a.has_values == b.has_values) {
    return absl::FailedPreconditionError(
        a.has_values ? "both sides bring values (--value-column/--value-field); exactly one must"
                     : "neither side brings values (--value-column/--value-field); one must");
  }
  const bool values_side_alone =
      a.has_values ? mine.result_to == ResultTo::kMe : mine.result_to == ResultTo::kPeer;
  if (values_side_alone) {
    return absl::FailedPreconditionError(
        "the sum must go to the side without values, or to both (--result-to)");
  }
  return absl::OkStatus();
}

// Check returns the first difference between the two offers as a status with
// one line a person can act on.
absl::Status Check(const Offer& mine, const Offer& peer) {
  if (mine.protocol != peer.protocol) {
    return absl::FailedPreconditionError(StrCat("protocol differs: we run ", mine.protocol,
                                                ", the peer runs ", peer.protocol));
  }
  if (mine.protocol_version != peer.protocol_version) {
    return absl::FailedPreconditionError(
        StrCat("protocol version differs: we run ", mine.protocol, " v",
               mine.protocol_version, ", the peer runs v", peer.protocol_version));
  }
  if (mine.security != peer.security) {
    return absl::FailedPreconditionError(
        StrCat("security model differs: we asked for ", SecurityName(mine.security),
               ", the peer asked for ", SecurityName(peer.security)));
  }
  if (mine.mode != peer.mode) {
    return absl::FailedPreconditionError(StrCat("mode differs: we asked for ", mine.mode,
                                                ", the peer asked for ", peer.mode));
  }
  if (mine.profile_name != peer.profile_name ||
      mine.profile_version != peer.profile_version ||
      mine.profile_digest != peer.profile_digest) {
    return absl::FailedPreconditionError(
        StrCat("normalisation profile differs: ours is ", ProfileLabel(mine),
               ", the peer's is ", ProfileLabel(peer)));
  }
  if (FromPeerView(peer.result_to) != mine.result_to) {
    return absl::FailedPreconditionError(
        StrCat("result recipients differ: we asked for the result to go to ",
               Recipients(mine.result_to), ", the peer asked for it to go to ",
               Recipients(FromPeerView(peer.result_to))));
  }
  LIAISON_RETURN_IF_ERROR(CheckDp(mine, peer));
  if (!CompatibleSoftware(mine.software_version, peer.software_version)) {
    return absl::FailedPreconditionError(
        StrCat("software versions are not compatible: we run liaison ",
               mine.software_version, ", the peer runs ", peer.software_version));
  }
  if (mine.expected_peer_set_size && peer.set_size != *mine.expected_peer_set_size) {
    return absl::PermissionDeniedError(StrCat("the peer announced ", *mine.expected_peer_set_size,
                                              " items in its offer and brings ", peer.set_size));
  }
  if (peer.set_size > mine.max_peer_set_size) {
    return absl::PermissionDeniedError(
        StrCat("the peer's set of ", peer.set_size, " items exceeds our limit of ",
               mine.max_peer_set_size));
  }
  return absl::OkStatus();
}

// BuildRefusal is a refusal of the peer's build: the status this side
// returns, and the reason it tells the peer, phrased for the peer.
struct BuildRefusal {
  absl::Status status;
  std::string reason_for_peer;
};

// CheckBuild refuses the peer's build when `mine.require_build` is set and
// does not list it.
std::optional<BuildRefusal> CheckBuild(const Offer& mine, const Offer& peer) {
  if (mine.require_build.empty()) return std::nullopt;
  for (const std::string& b : mine.require_build) {
    if (!peer.build.empty() && b == peer.build) return std::nullopt;
  }
  const size_t n = mine.require_build.size();
  const std::string list = StrCat(n, n == 1 ? " build" : " builds");
  if (peer.build.empty()) {
    return BuildRefusal{
        absl::PermissionDeniedError(StrCat(
            "the peer announced no build digest; we require one of ", list, " (require_build)")),
        StrCat("we announced no build digest (we could not read our executable); it requires "
               "one of ", list)};
  }
  return BuildRefusal{
      absl::PermissionDeniedError(StrCat("the peer runs build ", peer.build,
                                         ", not one of the ", list, " we require (require_build)")),
      StrCat("our build ", peer.build, " is not one of the ", list, " it requires")};
}

std::optional<std::pair<int, int>> MajorMinor(std::string_view v) {
  int major = 0, minor = 0;
  const char* p = v.data();
  const char* end = v.data() + v.size();
  auto r1 = std::from_chars(p, end, major);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.') return std::nullopt;
  auto r2 = std::from_chars(r1.ptr + 1, end, minor);
  if (r2.ec != std::errc()) return std::nullopt;
  return std::make_pair(major, minor);
}

}  // namespace

bool CompatibleSoftware(std::string_view a, std::string_view b) {
  auto va = MajorMinor(a);
  auto vb = MajorMinor(b);
  if (!va || !vb) return false;
  if (va->first != vb->first) return false;
  return va->first != 0 || va->second == vb->second;
}

absl::StatusOr<Agreed> Handshake(net::Channel& channel, const Offer& mine) {
  LIAISON_RETURN_IF_ERROR(channel.Send(EncodeOffer(mine)));
  LIAISON_ASSIGN_OR_RETURN(Bytes peer_msg, net::RecvAtMost(channel, kMaxHandshakeMessageLen));
  absl::StatusOr<Offer> peer = DecodeOffer(peer_msg);
  absl::Status verdict = peer.ok() ? Check(mine, *peer)
                                   : absl::FailedPreconditionError(
                                         "the session offer received was malformed");
  // The build is checked last: a policy of this side, after everything both
  // sides must agree on.
  std::string reason_for_peer;
  if (verdict.ok()) {
    if (std::optional<BuildRefusal> refused = CheckBuild(mine, *peer)) {
      verdict = refused->status;
      reason_for_peer = refused->reason_for_peer;
    }
  }
  // When we refuse, our reason is what matters: the peer may already have
  // refused and hung up, so a failure to deliver the verdict is not reported.
  absl::Status sent = channel.Send(EncodeVerdict(verdict, reason_for_peer));
  if (!peer.ok()) return peer.status();
  if (!verdict.ok()) return verdict;
  LIAISON_RETURN_IF_ERROR(sent);
  LIAISON_ASSIGN_OR_RETURN(Bytes verdict_msg,
                           net::RecvAtMost(channel, kMaxHandshakeMessageLen));
  LIAISON_ASSIGN_OR_RETURN(absl::Status peer_verdict, DecodeVerdict(verdict_msg));
  if (!peer_verdict.ok()) return peer_verdict;

  Agreed agreed;
  agreed.peer = *std::move(peer);
  agreed.i_receive = mine.result_to != ResultTo::kPeer;
  agreed.peer_receives = mine.result_to != ResultTo::kMe;
  return agreed;
}

}  // namespace liaison::session
