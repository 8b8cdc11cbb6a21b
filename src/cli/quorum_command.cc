// liaison quorum: one member of a quorum job among the members of a
// parties file, over a mesh of mutually authenticated TLS channels. Reads
// and normalises the input, connects to every other member
// (session/mesh.h), runs the job (session/quorum_job.h), writes this
// member's qualifying records atomically (with --count-only: the count as
// JSON; with --reveal all, also the others' qualifying items to --others),
// and prints a one-line summary.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/atomic_file.h"
#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/json_file.h"
#include "cli/progress.h"
#include "crypto/prng.h"
#include "data/output.h"
#include "dp/rational.h"
#include "net/identity.h"
#include "session/dp_result.h"
#include "session/mesh.h"
#include "session/parties.h"
#include "session/quorum_job.h"

namespace liaison::cli {
namespace {

// ApplyVariantFlags sets the count-only, DP and reveal parameters from the
// flags; InvalidArgument names the flag at fault.
absl::Status ApplyVariantFlags(const QuorumOptions& opts, session::QuorumJobParams& params) {
  params.count_only = opts.count_only;
  if (!opts.epsilon.empty() || !opts.delta.empty()) {
    if (!opts.count_only) {
      return absl::InvalidArgumentError(
          "--epsilon and --delta are for --count-only: differential privacy cannot hide an "
          "exact item list");
    }
    if (opts.epsilon.empty()) return absl::InvalidArgumentError("--delta needs --epsilon");
    psi::DpAggregateSpec spec;
    spec.kind = psi::AggregateKind::kCount;
    LIAISON_ASSIGN_OR_RETURN(spec.epsilon, dp::ParsePositive("--epsilon", opts.epsilon));
    if (!opts.delta.empty()) {
      LIAISON_ASSIGN_OR_RETURN(spec.delta, dp::ParseProbability("--delta", opts.delta));
    }
    params.dp = std::move(spec);
  }
  const bool all = opts.reveal == "all";
  if (!all && opts.reveal != "holders") {
    return absl::InvalidArgumentError("--reveal: holders or all");
  }
  if (all && opts.count_only) {
    return absl::InvalidArgumentError("--reveal all and --count-only exclude each other");
  }
  if (all && opts.hide_count) {
    return absl::InvalidArgumentError(
        "--reveal all shows which members hold each qualifying item: it cannot --hide-count");
  }
  if (all != !opts.others_path.empty()) {
    return absl::InvalidArgumentError(
        "--reveal all needs --others FILE for the qualifying items this member does not hold "
        "(and --others needs --reveal all)");
  }
  params.reveal = all ? mpsi::QuorumReveal::kAll : mpsi::QuorumReveal::kHolders;
  return absl::OkStatus();
}

// WriteOthers writes the qualifying items we do not hold: a header line,
// then one "item,holders" line each, the item as 32 hex digits (the bytes
// of session::QuorumItems' value).
absl::Status WriteOthers(AtomicFile& file, const session::QuorumJobResult& r) {
  LIAISON_RETURN_IF_ERROR(file.Write("item,holders\n"));
  for (size_t i = 0; i < r.other_items.size(); ++i) {
    uint8_t bytes[16];
    r.other_items[i].ToBytes(bytes);
    LIAISON_RETURN_IF_ERROR(
        file.Write(StrCat(ToHex(ByteSpan(bytes, sizeof(bytes))), ",", r.other_holders[i], "\n")));
  }
  return file.Commit();
}

}  // namespace

int RunQuorum(const QuorumOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  auto fail = [](const absl::Status& s) { return ReportError("quorum", s); };

  absl::StatusOr<data::InputSpec> spec = ToInputSpec(opts.input);
  if (!spec.ok()) return fail(spec.status());
  absl::StatusOr<std::vector<session::Party>> parties = session::LoadParties(opts.parties_path);
  if (!parties.ok()) return fail(parties.status());
  const int n = static_cast<int>(parties->size());
  session::QuorumJobParams params;
  params.threshold = opts.threshold;
  params.show_count = !opts.hide_count;
  if (opts.max_peer_items > 0) params.max_peer_set_size = opts.max_peer_items;
  if (opts.threads > 0) params.num_threads = opts.threads;
  if (absl::Status s = ApplyVariantFlags(opts, params); !s.ok()) return fail(s);
  if (absl::Status s = session::ValidateQuorumParams(parties->size(), params); !s.ok()) {
    return fail(absl::InvalidArgumentError(
        StrCat(opts.count_only ? "--count-only: " : "--threshold: ", std::string(s.message()))));
  }
  absl::StatusOr<net::Identity> identity = net::Identity::Load(opts.identity_dir);
  if (!identity.ok()) return fail(identity.status());
  absl::StatusOr<int> me = session::FindMe(*parties, opts.me, identity->fingerprint());
  if (!me.ok()) return fail(me.status());

  // Read and normalise the input before touching the network.
  absl::StatusOr<session::RecordSet> set =
      LoadRecords(*spec, "quorum", opts.quiet, opts.rejects_path);
  if (!set.ok()) return fail(set.status());

  // Open the result files first, so an unwritable path fails before the
  // other members are involved; they only appear at their paths once
  // complete.
  std::unique_ptr<data::ResultWriter> writer;
  std::unique_ptr<AtomicFile> count_file, others_file;
  if (opts.count_only) {
    absl::StatusOr<std::unique_ptr<AtomicFile>> f = AtomicFile::Create(opts.output);
    if (!f.ok()) return fail(f.status());
    count_file = *std::move(f);
  } else {
    data::ResultWriterOptions out_options;
    out_options.format = data::FormatForPath(opts.output) == data::Format::kJsonLines
                             ? data::Format::kJsonLines
                             : data::Format::kCsv;
    if (!opts.hide_count) out_options.extra_columns = {"holders"};
    absl::StatusOr<std::unique_ptr<data::ResultWriter>> w =
        data::ResultWriter::Create(opts.output, out_options);
    if (!w.ok()) return fail(w.status());
    writer = *std::move(w);
  }
  if (!opts.others_path.empty()) {
    absl::StatusOr<std::unique_ptr<AtomicFile>> f = AtomicFile::Create(opts.others_path);
    if (!f.ok()) return fail(f.status());
    others_file = *std::move(f);
  }

  // The noise is drawn before any member is contacted: the samplers' time
  // depends on the value drawn, and nothing a peer can time may.
  crypto::Prng prng = crypto::Prng::FromOsEntropy();
  mpsi::QuorumNoise noise;
  if (params.dp) {
    absl::StatusOr<mpsi::QuorumNoise> drawn = mpsi::QuorumNoise::Draw(*params.dp, prng);
    if (!drawn.ok()) return fail(drawn.status());
    noise = *std::move(drawn);
  }

  Progress progress(!opts.quiet);
  progress.Status(StrCat("connecting to the other ", n - 1, " members"));
  session::MeshOptions mesh_options;
  mesh_options.setup_timeout = absl::Seconds(opts.timeout_seconds);
  mesh_options.io_timeout = absl::Seconds(std::max(opts.timeout_seconds, 60.0));
  mesh_options.on_refused = [&](std::string_view reason) {
    progress.Clear();
    std::fprintf(stderr, "liaison quorum: %s\n", std::string(reason).c_str());
  };
  absl::StatusOr<std::vector<std::unique_ptr<net::Channel>>> mesh =
      session::ConnectMesh(*parties, *me, *identity, mesh_options);
  if (!mesh.ok()) {
    progress.Clear();
    return fail(mesh.status());
  }
  std::vector<net::Channel*> channels;
  for (const auto& c : *mesh) channels.push_back(c.get());

  params.progress = [&](std::string_view phase, uint64_t done, uint64_t total) {
    progress.Update(phase, done, total);
  };
  absl::StatusOr<session::QuorumJobResult> result =
      session::RunQuorumJob(channels, *me, *parties, params, *set, prng, std::move(noise));
  for (net::Channel* c : channels) {
    if (c != nullptr) c->Close();
  }
  progress.Clear();
  if (!result.ok()) return fail(result.status());

  if (count_file != nullptr) {
    nlohmann::json j = session::QuorumCountJson(*result->count, result->threshold, n);
    j["items"] = set->keys.size();
    j["set_sizes"] = result->set_sizes;
    if (absl::Status s = CommitJson(*count_file, j); !s.ok()) return fail(s);
  } else {
    for (size_t i = 0; i < result->rows.size(); ++i) {
      const int64_t holders = result->holders[i];
      absl::Status s = writer->Write(set->records[result->rows[i]],
                                     opts.hide_count ? absl::Span<const int64_t>()
                                                     : absl::MakeConstSpan(&holders, 1));
      if (!s.ok()) return fail(s);
    }
    if (absl::Status s = writer->Commit(); !s.ok()) return fail(s);
  }
  if (others_file != nullptr) {
    if (absl::Status s = WriteOthers(*others_file, *result); !s.ok()) return fail(s);
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> sizes;
  for (int j = 0; j < n; ++j) {
    if (j != *me) sizes.push_back(StrCat((*parties)[j].name, " ", result->set_sizes[j]));
  }
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.2f", seconds);
  std::string outcome;
  if (result->count) {
    outcome = StrCat(result->count->mechanism ? "noised count of " : "", result->count->estimate,
                     " distinct items held by at least ", result->threshold, " of ", n,
                     result->count->mechanism
                         ? StrCat(" (", result->count->num_noises, " other members' noises)")
                         : "",
                     " (to ", opts.output, ")");
  } else {
    outcome = StrCat(result->num_qualifying, " distinct held by at least ", result->threshold,
                     " of ", n, " (", result->rows.size(), " rows to ", opts.output, ")");
    if (others_file != nullptr) {
      outcome += StrCat(", ", result->other_items.size(), " held by others only (to ",
                        opts.others_path, ")");
    }
  }
  if (!opts.quiet) {
    std::fputs(StrCat("liaison quorum: read ", set->records.size() + set->num_rejected,
                      " records, ", set->num_rejected, " rejected, ", set->keys.size(),
                      " distinct; ", n - 1, " peers (", StrJoin(sizes, ", "),
                      " distinct); ", outcome, "; sent ", HumanBytes(result->bytes_sent),
                      ", received ",
                      HumanBytes(result->bytes_received), "; ", secs, " s\n")
                   .c_str(),
               stdout);
  }
  return kExitOk;
}

}  // namespace liaison::cli
