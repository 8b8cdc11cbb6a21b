#include "session/quorum_job.h"

#include <chrono>
#include <optional>
#include <utility>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "base/version.h"
#include "crypto/hash.h"
#include "dp/rational.h"
#include "mpsi/mpsi.h"
#include "mpsi/quorum.h"
#include "session/handshake.h"

namespace liaison::session {
namespace {

// Each message opens with its own magic number (little-endian ASCII).
constexpr uint32_t kTermsMagic = 0x54514c4c;    // "LLQT": liaison quorum terms
constexpr uint32_t kVerdictMagic = 0x56514c4c;  // "LLQV": liaison quorum verdict

// Terms is what one member proposes; everything but set_size, build and
// software_version must be equal at every member.
struct Terms {
  std::string protocol;
  uint32_t protocol_version = 0;
  std::string software_version;
  std::string build;  // a claim, reported; "" when unknown
  uint32_t n = 0;
  uint32_t from = 0;  // the sender's party index
  std::string parties_digest;
  uint32_t threshold = 0;  // resolved: never 0
  bool show_count = true;
  bool count_only = false;
  bool reveal_all = false;
  std::string dp_mechanism;  // "" (none), "discrete_laplace", "discrete_gaussian"
  std::string dp_epsilon;    // exact rationals (dp::FormatRational), "" when none
  std::string dp_delta;
  std::string profile_name;
  uint32_t profile_version = 0;
  std::string profile_digest;
  uint64_t set_size = 0;
};

Bytes EncodeTerms(const Terms& t) {
  ByteWriter w;
  w.U32(kTermsMagic);
  w.String(t.protocol);
  w.U32(t.protocol_version);
  w.String(t.software_version);
  w.String(t.build);
  w.U32(t.n);
  w.U32(t.from);
  w.String(t.parties_digest);
  w.U32(t.threshold);
  w.U8(t.show_count ? 1 : 0);
  w.U8(t.count_only ? 1 : 0);
  w.U8(t.reveal_all ? 1 : 0);
  w.String(t.dp_mechanism);
  w.String(t.dp_epsilon);
  w.String(t.dp_delta);
  w.String(t.profile_name);
  w.U32(t.profile_version);
  w.String(t.profile_digest);
  w.U64(t.set_size);
  return w.Take();
}

absl::Status ExpectMagic(ByteReader& r, uint32_t magic, std::string_view what) {
  LIAISON_ASSIGN_OR_RETURN(uint32_t got, r.U32("quorum job magic"));
  if (got != magic) return absl::DataLossError(StrCat("expected the peer's ", what));
  return absl::OkStatus();
}

absl::StatusOr<Terms> DecodeTerms(ByteSpan msg) {
  ByteReader r(msg);
  LIAISON_RETURN_IF_ERROR(ExpectMagic(r, kTermsMagic, "quorum job terms"));
  Terms t;
  LIAISON_ASSIGN_OR_RETURN(t.protocol, r.String("protocol name", 64));
  LIAISON_ASSIGN_OR_RETURN(t.protocol_version, r.U32("protocol version"));
  LIAISON_ASSIGN_OR_RETURN(t.software_version, r.String("software version", 64));
  LIAISON_ASSIGN_OR_RETURN(t.build, r.String("build digest", 128));
  if (!t.build.empty() && !IsBuildDigest(t.build)) {
    return absl::DataLossError("quorum job terms with a malformed build digest");
  }
  LIAISON_ASSIGN_OR_RETURN(t.n, r.U32("number of members"));
  LIAISON_ASSIGN_OR_RETURN(t.from, r.U32("member index"));
  LIAISON_ASSIGN_OR_RETURN(t.parties_digest, r.String("parties digest", 128));
  LIAISON_ASSIGN_OR_RETURN(t.threshold, r.U32("threshold"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t show_count, r.U8("show count flag"));
  if (show_count > 1) return absl::DataLossError("quorum job terms with a malformed count flag");
  t.show_count = show_count == 1;
  LIAISON_ASSIGN_OR_RETURN(uint8_t count_only, r.U8("count-only flag"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t reveal_all, r.U8("reveal flag"));
  if (count_only > 1 || reveal_all > 1) {
    return absl::DataLossError("quorum job terms with a malformed output or reveal flag");
  }
  t.count_only = count_only == 1;
  t.reveal_all = reveal_all == 1;
  LIAISON_ASSIGN_OR_RETURN(t.dp_mechanism, r.String("DP mechanism", 64));
  LIAISON_ASSIGN_OR_RETURN(t.dp_epsilon, r.String("DP epsilon", 256));
  LIAISON_ASSIGN_OR_RETURN(t.dp_delta, r.String("DP delta", 256));
  LIAISON_ASSIGN_OR_RETURN(t.profile_name, r.String("profile name", 128));
  LIAISON_ASSIGN_OR_RETURN(t.profile_version, r.U32("profile version"));
  LIAISON_ASSIGN_OR_RETURN(t.profile_digest, r.String("profile digest", 128));
  LIAISON_ASSIGN_OR_RETURN(t.set_size, r.U64("set size"));
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("quorum job terms"));
  return t;
}

Bytes EncodeVerdict(const absl::Status& verdict) {
  ByteWriter w;
  w.U32(kVerdictMagic);
  w.U8(static_cast<uint8_t>(verdict.code()));
  w.String(std::string(verdict.message()).substr(0, 1024));
  return w.Take();
}

// DecodeVerdict returns member `who`'s verdict as a status, or an error if
// the message itself is malformed.
absl::StatusOr<absl::Status> DecodeVerdict(ByteSpan msg, std::string_view who) {
  ByteReader r(msg);
  LIAISON_RETURN_IF_ERROR(ExpectMagic(r, kVerdictMagic, "quorum job verdict"));
  LIAISON_ASSIGN_OR_RETURN(uint8_t code, r.U8("verdict code"));
  LIAISON_ASSIGN_OR_RETURN(std::string reason, r.String("verdict reason", 1024));
  LIAISON_RETURN_IF_ERROR(r.ExpectEnd("quorum job verdict"));
  if (code == 0) return absl::OkStatus();
  if (code != static_cast<uint8_t>(absl::StatusCode::kPermissionDenied)) {
    code = static_cast<uint8_t>(absl::StatusCode::kFailedPrecondition);
  }
  return absl::Status(static_cast<absl::StatusCode>(code),
                      StrCat("member ", who, " refused the job: ", reason));
}

std::string ProfileText(const Terms& t) {
  return StrCat(t.profile_name, " v", t.profile_version, " (sha256 ",
                t.profile_digest.substr(0, 16), "…)");
}

std::string CountText(bool show_count) {
  return show_count ? "the holder counts shown" : "the holder counts hidden";
}

std::string OutputText(bool count_only) {
  return count_only ? "only the count of qualifying items" : "the qualifying items";
}

std::string RevealText(bool reveal_all) {
  return reveal_all ? "reveal = all" : "reveal = holders";
}

std::string DpText(const Terms& t) {
  if (t.dp_mechanism.empty()) return "no noise";
  return StrCat(t.dp_mechanism, " with epsilon = ", t.dp_epsilon,
                t.dp_delta.empty() ? "" : StrCat(", delta = ", t.dp_delta));
}

// Check returns the first difference between our terms (we are `us`) and
// member `them`'s, in words that read the same at every member.
absl::Status Check(const Terms& mine, std::string_view us, const Terms& theirs,
                   std::string_view them, uint32_t expected_from, uint64_t max_set_size) {
  auto differs = [&](std::string_view what, const std::string& ours, const std::string& its) {
    return absl::FailedPreconditionError(
        StrCat(what, " differs: ", us, " asks for ", ours, ", ", them, " for ", its));
  };
  if (mine.protocol != theirs.protocol || mine.protocol_version != theirs.protocol_version) {
    return differs("the protocol", StrCat(mine.protocol, " v", mine.protocol_version),
                   StrCat(theirs.protocol, " v", theirs.protocol_version));
  }
  if (!CompatibleSoftware(mine.software_version, theirs.software_version)) {
    return absl::FailedPreconditionError(
        StrCat("software versions are not compatible: ", us, " runs liaison ",
               mine.software_version, ", ", them, " runs ", theirs.software_version));
  }
  if (mine.n != theirs.n || mine.parties_digest != theirs.parties_digest) {
    return absl::FailedPreconditionError(
        StrCat("the members differ: ", us, "'s parties file lists ", mine.n, " (",
               mine.parties_digest.substr(0, 23), "…), ", them, "'s lists ", theirs.n, " (",
               theirs.parties_digest.substr(0, 23),
               "…); every member needs the same names and keys in the same order"));
  }
  if (theirs.from != expected_from) {
    return absl::DataLossError(StrCat(them, " says it is member ", theirs.from, ", not ",
                                      expected_from));
  }
  if (mine.threshold != theirs.threshold) {
    return differs("the threshold", StrCat("t = ", mine.threshold),
                   StrCat("t = ", theirs.threshold));
  }
  if (mine.show_count != theirs.show_count) {
    return differs("showing the counts", CountText(mine.show_count),
                   CountText(theirs.show_count));
  }
  if (mine.count_only != theirs.count_only) {
    return differs("the output", OutputText(mine.count_only), OutputText(theirs.count_only));
  }
  if (mine.reveal_all != theirs.reveal_all) {
    return differs("who learns the qualifying items", RevealText(mine.reveal_all),
                   RevealText(theirs.reveal_all));
  }
  if (mine.dp_mechanism != theirs.dp_mechanism || mine.dp_epsilon != theirs.dp_epsilon ||
      mine.dp_delta != theirs.dp_delta) {
    return differs("the DP noise", DpText(mine), DpText(theirs));
  }
  if (mine.profile_name != theirs.profile_name ||
      mine.profile_version != theirs.profile_version ||
      mine.profile_digest != theirs.profile_digest) {
    return differs("the normalisation profile", ProfileText(mine), ProfileText(theirs));
  }
  if (theirs.set_size > max_set_size) {
    return absl::PermissionDeniedError(StrCat(them, "'s set of ", theirs.set_size,
                                              " items exceeds ", us, "'s limit of ",
                                              max_set_size));
  }
  return absl::OkStatus();
}

// SendToAll sends `msg` to every member but us, also after a send failed
// (a member that refused the job may have hung up already, and the others
// must still hear from us), and returns the first failure.
absl::Status SendToAll(absl::Span<net::Channel* const> channels, int me, ByteSpan msg) {
  absl::Status first;
  for (size_t j = 0; j < channels.size(); ++j) {
    if (static_cast<int>(j) == me) continue;
    absl::Status s = channels[j]->Send(msg);
    if (first.ok()) first = s;
  }
  return first;
}

void CloseAll(absl::Span<net::Channel* const> channels) {
  for (net::Channel* c : channels) {
    if (c != nullptr) c->Close();
  }
}

absl::Status CheckArguments(absl::Span<net::Channel* const> channels, int me,
                            absl::Span<const Party> parties, const QuorumJobParams& params) {
  const int n = static_cast<int>(parties.size());
  if (n < 2 || n > mpsi::kMaxParties || static_cast<int>(channels.size()) != n || me < 0 ||
      me >= n) {
    return absl::InvalidArgumentError(StrCat("member ", me, " of ", parties.size(),
                                             " with ", channels.size(), " channels"));
  }
  for (int j = 0; j < n; ++j) {
    if ((channels[j] == nullptr) != (j == me)) {
      return absl::InvalidArgumentError(
          StrCat("the channel list must hold a channel to every member but us (member ", j, ")"));
    }
  }
  return ValidateQuorumParams(parties.size(), params);
}

}  // namespace

absl::Status ValidateQuorumParams(size_t num_members, const QuorumJobParams& params) {
  const int n = static_cast<int>(num_members);
  if (params.threshold < 0 || params.threshold > n) {
    return absl::InvalidArgumentError(
        StrCat("threshold ", params.threshold, " outside 1..", n, " (the number of members)"));
  }
  if (params.threshold != 0 && params.threshold < n && n > mpsi::kMaxQuorumParties) {
    return absl::InvalidArgumentError(
        StrCat("a threshold below the number of members needs at most ",
               mpsi::kMaxQuorumParties, " members, not ", n));
  }
  if (params.profile == nullptr) return absl::InvalidArgumentError("no normalisation profile");
  if (!params.expected_set_sizes.empty() && params.expected_set_sizes.size() != num_members) {
    return absl::InvalidArgumentError("expected_set_sizes needs one size a member");
  }
  const int t = params.threshold == 0 ? n : params.threshold;
  const int max_counting = t == 1 ? mpsi::kMaxQuorumParties - 1 : mpsi::kMaxQuorumParties;
  if (params.count_only && n > max_counting) {
    return absl::InvalidArgumentError(StrCat("counting with t = ", t, " needs at most ",
                                             max_counting, " members, not ", n));
  }
  if (params.dp && !params.count_only) {
    return absl::InvalidArgumentError(
        "differential privacy is for the count only: it cannot hide an exact item list");
  }
  if (params.dp) LIAISON_RETURN_IF_ERROR(mpsi::QuorumNoise::Calibrate(*params.dp).status());
  if (params.reveal == mpsi::QuorumReveal::kAll && params.count_only) {
    return absl::InvalidArgumentError("revealing the qualifying items and counting only exclude "
                                      "each other");
  }
  if (params.reveal == mpsi::QuorumReveal::kAll && !params.show_count) {
    return absl::InvalidArgumentError(
        "revealing the qualifying items to all shows who holds them: counts cannot be hidden");
  }
  return absl::OkStatus();
}

std::vector<crypto::Block> QuorumItems(absl::Span<const std::string> keys,
                                       std::string_view job_digest, int num_threads) {
  ByteWriter prefix;
  prefix.String("liaison quorum item v1");
  prefix.String(job_digest);
  const Bytes head = prefix.Take();
  std::vector<crypto::Block> items(keys.size());
  ParallelFor(keys.size(), num_threads, 4096, [&](size_t begin, size_t end) {
    Bytes buf = head;
    for (size_t i = begin; i < end; ++i) {
      buf.resize(head.size());
      ByteWriter w;
      w.String(keys[i]);
      const Bytes& k = w.bytes();
      buf.insert(buf.end(), k.begin(), k.end());
      items[i] = crypto::Block::FromBytes(crypto::Sha256(buf).data());
    }
  });
  return items;
}

absl::StatusOr<std::vector<uint64_t>> AgreeOnQuorumJob(absl::Span<net::Channel* const> channels,
                                                       int me, absl::Span<const Party> parties,
                                                       const QuorumJobParams& params,
                                                       uint64_t set_size) {
  LIAISON_RETURN_IF_ERROR(CheckArguments(channels, me, parties, params));
  const int n = static_cast<int>(parties.size());
  Terms mine;
  mine.protocol = kQuorumProtocolName;
  mine.protocol_version = kQuorumProtocolVersion;
  mine.software_version = kVersion;
  mine.build = BuildDigestOrEmpty();
  mine.n = static_cast<uint32_t>(n);
  mine.from = static_cast<uint32_t>(me);
  mine.parties_digest = PartiesDigest(parties);
  mine.threshold = static_cast<uint32_t>(params.threshold == 0 ? n : params.threshold);
  mine.show_count = params.show_count;
  mine.count_only = params.count_only;
  mine.reveal_all = params.reveal == mpsi::QuorumReveal::kAll;
  if (params.dp) {
    mine.dp_mechanism = params.dp->delta ? "discrete_gaussian" : "discrete_laplace";
    mine.dp_epsilon = dp::FormatRational(params.dp->epsilon);
    if (params.dp->delta) mine.dp_delta = dp::FormatRational(*params.dp->delta);
  }
  mine.profile_name = std::string(params.profile->name());
  mine.profile_version = static_cast<uint32_t>(params.profile->version());
  mine.profile_digest = params.profile->digest();
  mine.set_size = set_size;

  // Flight 1: our terms to everyone, then everyone's terms. Send never
  // waits for the peer's Recv, so no order of members can deadlock.
  const Bytes encoded = EncodeTerms(mine);
  absl::Status sent = SendToAll(channels, me, encoded);
  std::vector<uint64_t> set_sizes(n, 0);
  set_sizes[me] = set_size;
  absl::Status finding;  // our first objection to any member
  for (int j = 0; j < n; ++j) {
    if (j == me) continue;
    LIAISON_ASSIGN_OR_RETURN(Bytes msg, net::RecvAtMost(*channels[j], kMaxQuorumTermsLen));
    absl::StatusOr<Terms> theirs = DecodeTerms(msg);
    absl::Status s = theirs.ok() ? Check(mine, parties[me].name, *theirs, parties[j].name,
                                         static_cast<uint32_t>(j), params.max_peer_set_size)
                                 : theirs.status();
    if (theirs.ok()) set_sizes[j] = theirs->set_size;
    if (s.ok() && !params.expected_set_sizes.empty() &&
        theirs->set_size != params.expected_set_sizes[j]) {
      s = absl::PermissionDeniedError(StrCat(parties[j].name, " brings ", theirs->set_size,
                                             " items, not the ", params.expected_set_sizes[j],
                                             " it announced"));
    }
    if (finding.ok() && !s.ok()) {
      finding = s.code() == absl::StatusCode::kDataLoss
                    ? absl::DataLossError(StrCat("the job terms from member ", parties[j].name,
                                                 ": ", std::string(s.message())))
                    : s;
    }
  }

  // Flight 2: our verdict on all of them to everyone, then everyone's.
  absl::Status said = finding;
  if (finding.code() == absl::StatusCode::kDataLoss) {
    said = absl::FailedPreconditionError(finding.message());
  }
  absl::Status verdict_sent = SendToAll(channels, me, EncodeVerdict(said));
  if (sent.ok()) sent = verdict_sent;
  // A member that objected has its own reason; everyone else reports the
  // first objection received, in member order, before any transport error:
  // a member that objected hangs up once its verdict is sent, so that our
  // verdict may not reach it, nor other members' reach us after it.
  if (!finding.ok()) return finding;
  absl::Status refusal, broken = sent;
  for (int j = 0; j < n; ++j) {
    if (j == me) continue;
    absl::StatusOr<Bytes> msg = net::RecvAtMost(*channels[j], kMaxQuorumTermsLen);
    absl::StatusOr<absl::Status> theirs =
        msg.ok() ? DecodeVerdict(*msg, parties[j].name) : msg.status();
    if (!theirs.ok()) {
      if (broken.ok()) broken = theirs.status();
    } else if (refusal.ok()) {
      refusal = *theirs;
    }
  }
  LIAISON_RETURN_IF_ERROR(refusal);
  LIAISON_RETURN_IF_ERROR(broken);
  return set_sizes;
}

absl::StatusOr<QuorumJobResult> RunQuorumJob(absl::Span<net::Channel* const> channels, int me,
                                             absl::Span<const Party> parties,
                                             const QuorumJobParams& params, const RecordSet& set,
                                             crypto::Prng& prng, mpsi::QuorumNoise noise) {
  LIAISON_RETURN_IF_ERROR(CheckArguments(channels, me, parties, params));
  if (params.dp.has_value() != noise.drawn()) {
    return absl::InvalidArgumentError(
        params.dp ? "a DP count needs its noise drawn before the mesh is connected "
                    "(mpsi::QuorumNoise::Draw)"
                  : "noise given for a job without differential privacy");
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t sent0 = 0, received0 = 0;
  for (net::Channel* c : channels) {
    if (c == nullptr) continue;
    sent0 += c->bytes_sent();
    received0 += c->bytes_received();
  }
  const int n = static_cast<int>(parties.size());
  QuorumJobResult out;
  out.threshold = params.threshold == 0 ? n : params.threshold;
  absl::StatusOr<std::vector<uint64_t>> sizes =
      AgreeOnQuorumJob(channels, me, parties, params, set.keys.size());
  if (!sizes.ok()) {
    CloseAll(channels);
    return sizes.status();
  }
  out.set_sizes = *std::move(sizes);

  mpsi::QuorumParams qp;
  qp.threshold = out.threshold;
  qp.show_count = params.show_count;
  qp.count_only = params.count_only;
  qp.dp = params.dp;
  qp.reveal = params.reveal;
  qp.num_threads = params.num_threads;
  qp.max_peer_items = params.max_peer_set_size;
  qp.progress = params.progress;
  const std::vector<crypto::Block> items =
      QuorumItems(set.keys, PartiesDigest(parties), params.num_threads);
  auto finish = [&]() {
    for (net::Channel* c : channels) {
      if (c == nullptr) continue;
      out.bytes_sent += c->bytes_sent();
      out.bytes_received += c->bytes_received();
    }
    out.bytes_sent -= sent0;
    out.bytes_received -= received0;
    out.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (params.count_only) {
    absl::StatusOr<mpsi::QuorumCount> count =
        mpsi::Quorum(qp).Count(me, channels, items, std::move(noise), prng);
    if (!count.ok()) {
      CloseAll(channels);
      return count.status();
    }
    out.count = *std::move(count);
    finish();
    return out;
  }
  absl::StatusOr<mpsi::QuorumOutput> got = mpsi::Quorum(qp).Run(me, channels, items, prng);
  if (!got.ok()) {
    CloseAll(channels);
    return got.status();
  }
  if (got->holders.size() != got->indices.size()) {
    CloseAll(channels);
    return absl::InternalError("the quorum protocol returned unequal result lists");
  }

  // Map the qualifying keys back to every record holding them.
  constexpr uint32_t kNotQualifying = UINT32_MAX;
  std::vector<uint32_t> key_holders(set.keys.size(), kNotQualifying);
  for (size_t i = 0; i < got->indices.size(); ++i) {
    if (got->indices[i] >= set.keys.size()) {
      CloseAll(channels);
      return absl::InternalError("the quorum protocol returned an index outside our items");
    }
    key_holders[got->indices[i]] = got->holders[i];
  }
  out.num_qualifying = got->indices.size();
  for (size_t r = 0; r < set.records.size(); ++r) {
    const uint32_t h = key_holders[set.record_key[r]];
    if (h == kNotQualifying) continue;
    out.rows.push_back(r);
    out.holders.push_back(h);
  }
  out.other_items = std::move(got->others);
  out.other_holders = std::move(got->others_holders);
  finish();
  return out;
}

}  // namespace liaison::session
