// liaison psi: one side of a private match with a peer, over mutually
// authenticated TLS. Reads and normalises the input, connects (or waits for
// the peer), runs the session, writes the result atomically, and prints a
// one-line summary.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "base/atomic_file.h"
#include "base/build_info.h"
#include "base/escape.h"
#include "base/status.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_file.h"
#include "cli/input_options.h"
#include "cli/progress.h"
#include "crypto/prng.h"
#include "data/output.h"
#include "dp/rational.h"
#include "net/identity.h"
#include "net/host_port.h"
#include "net/tls_channel.h"
#include "session/dp_result.h"
#include "session/job_params.h"
#include "session/psi_job.h"
#include "session/record_set.h"

namespace liaison::cli {
namespace {

absl::StatusOr<std::unique_ptr<net::Channel>> OpenChannel(const PsiOptions& opts,
                                                          const net::TlsOptions& tls) {
  const absl::Duration timeout = absl::Seconds(opts.timeout_seconds);
  if (!opts.connect.empty()) {
    LIAISON_ASSIGN_OR_RETURN(net::HostPort hp, net::ParseHostPort(opts.connect));
    return net::TlsConnect(hp.host, hp.port, tls);
  }
  LIAISON_ASSIGN_OR_RETURN(net::HostPort hp, net::ParseHostPort(opts.listen));
  LIAISON_ASSIGN_OR_RETURN(auto listener, net::TlsListener::Listen(hp.host, hp.port, tls));
  // A connection from anyone but the pinned peer (or one that fails its
  // handshake) is refused, and we keep waiting for the right one until the
  // timeout.
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last_refusal;
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::StatusOr<std::unique_ptr<net::Channel>> ch = listener->Accept(left);
    if (ch.ok()) return ch;
    if (ch.status().code() == absl::StatusCode::kDeadlineExceeded) break;
    const absl::StatusCode c = ch.status().code();
    if (c != absl::StatusCode::kPermissionDenied && c != absl::StatusCode::kUnavailable &&
        c != absl::StatusCode::kDataLoss) {
      return ch.status();  // the listener itself failed
    }
    last_refusal = ch.status();
    std::fprintf(stderr, "liaison psi: refused a connection: %s\n",
                 std::string(ch.status().message()).c_str());
  }
  if (!last_refusal.ok()) {
    return absl::PermissionDeniedError(
        StrCat("the expected peer never connected within ", opts.timeout_seconds,
               " s; last refused connection: ", std::string(last_refusal.message())));
  }
  return absl::DeadlineExceededError(
      StrCat("no peer connected to ", opts.listen, " within ", opts.timeout_seconds, " s"));
}

absl::Status WriteCountResult(const std::string& path, const session::PsiJobResult& r,
                              uint64_t distinct) {
  nlohmann::json j = {{"mode", "count"},
                      {"intersection_size", r.intersection_size},
                      {"items", distinct},
                      {"peer_items", r.agreed.peer.set_size}};
  return WriteJsonAtomically(path, j);
}

// DpSpecFor returns the DP parameters of the flags, or nullopt for the
// exact modes. InvalidArgument names the flag at fault.
absl::StatusOr<std::optional<psi::DpAggregateSpec>> DpSpecFor(const PsiOptions& opts) {
  const bool sum = opts.mode == "sum";
  const bool has_values = !opts.value_column.empty() || !opts.value_field.empty();
  if (!sum && (has_values || !opts.bounds.empty() || !opts.count_epsilon.empty())) {
    return absl::InvalidArgumentError(
        "--value-column, --value-field, --bounds and --count-epsilon are for --mode sum");
  }
  if (opts.epsilon.empty()) {
    if (sum) return absl::InvalidArgumentError("--mode sum needs --epsilon (and --bounds)");
    if (!opts.delta.empty()) return absl::InvalidArgumentError("--delta needs --epsilon");
    return std::optional<psi::DpAggregateSpec>();
  }
  if (opts.mode == "match") {
    return absl::InvalidArgumentError(
        "--epsilon is for --mode count or sum: differential privacy cannot hide an exact "
        "match list");
  }
  psi::DpAggregateSpec spec;
  spec.kind = sum ? psi::AggregateKind::kSum : psi::AggregateKind::kCount;
  LIAISON_ASSIGN_OR_RETURN(spec.epsilon, dp::ParsePositive("--epsilon", opts.epsilon));
  if (!opts.delta.empty()) {
    LIAISON_ASSIGN_OR_RETURN(spec.delta, dp::ParseProbability("--delta", opts.delta));
  }
  if (sum) {
    if (opts.bounds.empty()) return absl::InvalidArgumentError("--mode sum needs --bounds LO:HI");
    LIAISON_ASSIGN_OR_RETURN(auto bounds, session::ParseBounds("--bounds", opts.bounds));
    spec.lo = bounds.first;
    spec.hi = bounds.second;
    if (!opts.value_column.empty() && !opts.value_field.empty()) {
      return absl::InvalidArgumentError("give one of --value-column (CSV) or --value-field (JSON)");
    }
    if (!opts.count_epsilon.empty()) {
      LIAISON_ASSIGN_OR_RETURN(spec.count_epsilon,
                               dp::ParsePositive("--count-epsilon", opts.count_epsilon));
    }
  }
  LIAISON_RETURN_IF_ERROR(psi::CalibrateAggregate(spec).status());
  return std::optional<psi::DpAggregateSpec>(std::move(spec));
}

std::string ReleaseText(std::string_view what, const psi::Release& r) {
  return StrCat("noised ", what, " ", r.estimate, " (95% interval [", r.ci95_lo, ", ", r.ci95_hi,
                "], ", r.report.mechanism, ", ", r.report.cost_for_people, ")");
}

// PeerBuildText is the peer's build digest for the summary line, or
// "unknown" when it announced none.
std::string PeerBuildText(const std::string& build) {
  return build.empty() ? std::string("unknown") : build;
}

}  // namespace

absl::StatusOr<std::string> ProtocolFor(const PsiOptions& opts) {
  if (opts.protocol.empty()) {
    return std::string(session::ProtocolSessionName(session::JobParams().protocol));
  }
  absl::StatusOr<session::Protocol> p = session::ParseProtocol(opts.protocol);
  if (!p.ok()) {
    return absl::InvalidArgumentError(StrCat("--protocol: unknown protocol '",
                                             EscapeNonPrintable(opts.protocol),
                                             "'; give rr22 (the default) or ecdh"));
  }
  return std::string(session::ProtocolSessionName(*p));
}

int RunPsi(const PsiOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  auto fail = [](const absl::Status& s) { return ReportError("psi", s); };

  absl::StatusOr<data::InputSpec> spec = ToInputSpec(opts.input);
  if (!spec.ok()) return fail(spec.status());
  absl::StatusOr<session::ResultTo> result_to = session::ParseResultTo(opts.result_to);
  if (!result_to.ok()) return fail(result_to.status());
  absl::StatusOr<session::Security> security = session::ParseSecurity(opts.security);
  if (!security.ok()) return fail(security.status());
  absl::StatusOr<std::string> peer_fp = net::NormalizeFingerprint(opts.peer);
  if (!peer_fp.ok()) return fail(peer_fp.status());
  std::vector<std::string> require_build;
  for (const std::string& b : opts.require_build) {
    absl::StatusOr<std::string> parsed = ParseBuildDigest(b);
    if (!parsed.ok()) {
      return fail(absl::InvalidArgumentError(
          StrCat("--require-build: ", std::string(parsed.status().message()))));
    }
    require_build.push_back(*std::move(parsed));
  }
  absl::StatusOr<std::optional<psi::DpAggregateSpec>> dp_spec = DpSpecFor(opts);
  if (!dp_spec.ok()) return fail(dp_spec.status());
  const bool dp_mode = dp_spec->has_value();
  // count_mode: any result that is a number, not rows (exact or noised).
  const bool count_mode = opts.mode == "count" || opts.mode == "sum";
  absl::StatusOr<std::string> protocol = ProtocolFor(opts);
  if (!protocol.ok()) return fail(protocol.status());
  // The flags are the job's fields; the job is checked as every interface's
  // jobs are (session/job_params.h): no DP on ecdh, malicious only where a
  // variant exists, a malicious noised result to one side only.
  absl::StatusOr<session::Question> question = session::ParseQuestion(opts.mode);
  if (!question.ok()) return fail(question.status());
  session::JobParams job;
  job.question = *question;
  job.protocol = *session::ParseProtocol(*protocol);
  job.result_to = *result_to;
  job.security = *security;
  if (dp_mode) job.dp = {opts.epsilon, opts.delta, opts.count_epsilon, opts.bounds};
  if (absl::Status s = session::ValidateJobParams(job); !s.ok()) return fail(s);
  if (dp_mode) {
    (*dp_spec)->malicious = *security == session::Security::kMalicious;
    if (absl::Status s = psi::CalibrateAggregate(**dp_spec).status(); !s.ok()) return fail(s);
  }
  if (dp_mode && (*dp_spec)->kind == psi::AggregateKind::kSum &&
      *result_to == session::ResultTo::kMe &&
      !(opts.value_column.empty() && opts.value_field.empty())) {
    return fail(absl::InvalidArgumentError(
        "--result-to me on the side with values: the sum must go to the side without values, "
        "or to both"));
  }
  spec->value_column = opts.value_column;
  spec->value_field = opts.value_field;
  const bool i_receive = *result_to != session::ResultTo::kPeer;
  if (!i_receive && !opts.output.empty()) {
    return fail(absl::InvalidArgumentError(
        "--output given, but with --result-to peer this side receives no result"));
  }

  absl::StatusOr<net::Identity> identity = net::Identity::Load(opts.identity_dir);
  if (!identity.ok()) return fail(identity.status());

  // Read and normalise the input before touching the network.
  absl::StatusOr<session::RecordSet> set =
      LoadRecords(*spec, "psi", opts.quiet, opts.rejects_path);
  if (!set.ok()) return fail(set.status());

  // Open the result file first, so an unwritable path fails before the
  // peer is involved; it only appears at its path once complete.
  std::unique_ptr<data::ResultWriter> writer;
  if (i_receive && !count_mode && !opts.output.empty()) {
    absl::StatusOr<std::unique_ptr<data::ResultWriter>> w = data::ResultWriter::Create(opts.output);
    if (!w.ok()) return fail(w.status());
    writer = *std::move(w);
  }

  // The noise is drawn before the channel exists: the samplers' running
  // time depends on the value drawn, and nothing the peer can time may.
  crypto::Prng prng = crypto::Prng::FromOsEntropy();
  psi::AggregateNoise dp_noise;
  if (dp_mode) {
    absl::StatusOr<psi::AggregateNoise> drawn = psi::AggregateNoise::Draw(**dp_spec, prng);
    if (!drawn.ok()) return fail(drawn.status());
    dp_noise = *std::move(drawn);
  }

  Progress progress(!opts.quiet);
  progress.Status(opts.connect.empty() ? "waiting for the peer" : "connecting to the peer");
  net::TlsOptions tls;
  tls.identity = &*identity;
  tls.peer_fingerprint = *peer_fp;
  tls.connect_timeout = absl::Seconds(opts.timeout_seconds);
  tls.io_timeout = absl::Seconds(std::max(opts.timeout_seconds, 60.0));
  absl::StatusOr<std::unique_ptr<net::Channel>> channel = OpenChannel(opts, tls);
  if (!channel.ok()) {
    progress.Clear();
    return fail(channel.status());
  }

  session::PsiJobParams params;
  params.protocol = *protocol;
  params.output = count_mode ? psi::PsiOutput::kCardinality : psi::PsiOutput::kIntersection;
  params.dp = *dp_spec;
  params.result_to = *result_to;
  params.security = *security;
  if (opts.max_peer_items > 0) params.max_peer_set_size = opts.max_peer_items;
  params.require_build = require_build;
  params.num_threads = opts.threads;
  params.progress = [&](std::string_view phase, uint64_t done, uint64_t total) {
    progress.Update(phase, done, total);
  };
  absl::StatusOr<session::PsiJobResult> result = session::RunPsiJob(
      **channel, params, set->keys, prng, set->key_values, std::move(dp_noise));
  (*channel)->Close();
  progress.Clear();
  if (!result.ok()) return fail(result.status());

  // Write the result.
  std::vector<size_t> rows;
  if (result->received && !count_mode) {
    rows = set->RecordsOfKeys(result->matched_keys);
    if (writer) {
      for (size_t i : rows) {
        absl::Status s = writer->Write(set->records[i]);
        if (!s.ok()) return fail(s);
      }
      absl::Status s = writer->Commit();
      if (!s.ok()) return fail(s);
    } else {
      for (size_t i : rows) {
        const data::Record& r = set->records[i];
        std::printf("%s\t%s\n", std::string(data::TypeName(r.item.type)).c_str(),
                    EscapeNonPrintable(r.item.value).c_str());
      }
    }
  }
  nlohmann::json aggregate_json;
  if (result->received && result->aggregate) {
    aggregate_json = session::AggregateJson(*result->aggregate, opts.mode);
    aggregate_json["set_size"] = set->keys.size();
    aggregate_json["peer_set_size"] = result->agreed.peer.set_size;
  }
  if (result->received && count_mode && !opts.output.empty()) {
    absl::Status s = dp_mode ? WriteJsonAtomically(opts.output, aggregate_json)
                             : WriteCountResult(opts.output, *result, set->keys.size());
    if (!s.ok()) return fail(s);
  }

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string outcome;
  if (!result->received) {
    outcome = "the peer receives the result";
  } else if (result->aggregate) {
    const psi::PrivateAggregateResult& a = *result->aggregate;
    outcome = a.sum ? ReleaseText("sum", *a.sum) : ReleaseText("count", *a.count);
    if (a.sum && a.count) StrAppend(outcome, "; ", ReleaseText("count", *a.count));
  } else if (count_mode) {
    outcome = StrCat("intersection size ", result->intersection_size);
  } else {
    outcome = StrCat("matched ", result->intersection_size, " distinct (", rows.size(), " rows)");
  }
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.2f", seconds);
  std::string summary =
      StrCat("liaison psi: read ", set->records.size() + set->num_rejected, " records, ",
             set->num_rejected, " rejected, ", set->keys.size(), " distinct; peer had ",
             result->agreed.peer.set_size, " distinct; ", outcome, "; sent ",
             HumanBytes(result->bytes_sent), ", received ", HumanBytes(result->bytes_received),
             "; ", secs, " s; peer build ", PeerBuildText(result->agreed.peer.build), "\n");
  if (!opts.quiet) std::fputs(summary.c_str(), writer || count_mode || !result->received ? stdout : stderr);

  if (!opts.summary_json.empty()) {
    nlohmann::json j = {{"protocol", *protocol},
                        {"security", std::string(session::SecurityName(*security))},
                        {"mode", opts.mode},
                        {"records", set->records.size() + set->num_rejected},
                        {"rejected", set->num_rejected},
                        {"distinct", set->keys.size()},
                        {"peer_distinct", result->agreed.peer.set_size},
                        {"received", result->received},
                        {"intersection_size", result->intersection_size},
                        {"matched_rows", rows.size()},
                        {"bytes_sent", result->bytes_sent},
                        {"bytes_received", result->bytes_received},
                        {"seconds", seconds},
                        {"peer_fingerprint", *peer_fp},
                        {"peer_software_version", result->agreed.peer.software_version},
                        {"build", BuildDigestOrEmpty()},
                        {"peer_build", result->agreed.peer.build}};
    if (dp_mode) {
      j["protocol"] = std::string(psi::PrivateAggregate::kProtocolName);
      j.erase("intersection_size");
      j.erase("matched_rows");
      if (result->received) j["result"] = aggregate_json;
    }
    absl::StatusOr<std::unique_ptr<AtomicFile>> f = AtomicFile::Create(opts.summary_json);
    absl::Status s = f.ok() ? (*f)->Write(j.dump(2) + "\n") : f.status();
    if (s.ok()) s = (*f)->Commit();
    if (!s.ok()) return fail(s);
  }
  return kExitOk;
}

}  // namespace liaison::cli
