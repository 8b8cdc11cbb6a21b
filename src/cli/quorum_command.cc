// liaison quorum: one member of a quorum job among the members of a
// parties file, over a mesh of mutually authenticated TLS channels. Reads
// and normalises the input, connects to every other member
// (session/mesh.h), runs the job (session/quorum_job.h), writes this
// member's qualifying records atomically, and prints a one-line summary.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/progress.h"
#include "crypto/prng.h"
#include "data/output.h"
#include "net/identity.h"
#include "session/mesh.h"
#include "session/parties.h"
#include "session/quorum_job.h"

namespace liaison::cli {

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
  if (absl::Status s = session::ValidateQuorumParams(parties->size(), params); !s.ok()) {
    return fail(absl::InvalidArgumentError(StrCat("--threshold: ", std::string(s.message()))));
  }
  absl::StatusOr<net::Identity> identity = net::Identity::Load(opts.identity_dir);
  if (!identity.ok()) return fail(identity.status());
  absl::StatusOr<int> me = session::FindMe(*parties, opts.me, identity->fingerprint());
  if (!me.ok()) return fail(me.status());

  // Read and normalise the input before touching the network.
  absl::StatusOr<session::RecordSet> set =
      LoadRecords(*spec, "quorum", opts.quiet, opts.rejects_path);
  if (!set.ok()) return fail(set.status());

  // Open the result file first, so an unwritable path fails before the
  // other members are involved; it only appears at its path once complete.
  data::ResultWriterOptions out_options;
  out_options.format = data::FormatForPath(opts.output) == data::Format::kJsonLines
                           ? data::Format::kJsonLines
                           : data::Format::kCsv;
  if (!opts.hide_count) out_options.extra_columns = {"holders"};
  absl::StatusOr<std::unique_ptr<data::ResultWriter>> writer =
      data::ResultWriter::Create(opts.output, out_options);
  if (!writer.ok()) return fail(writer.status());

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
  crypto::Prng prng = crypto::Prng::FromOsEntropy();
  absl::StatusOr<session::QuorumJobResult> result =
      session::RunQuorumJob(channels, *me, *parties, params, *set, prng);
  for (net::Channel* c : channels) {
    if (c != nullptr) c->Close();
  }
  progress.Clear();
  if (!result.ok()) return fail(result.status());

  for (size_t i = 0; i < result->rows.size(); ++i) {
    const int64_t holders = result->holders[i];
    absl::Status s = (*writer)->Write(set->records[result->rows[i]],
                                      opts.hide_count ? absl::Span<const int64_t>()
                                                      : absl::MakeConstSpan(&holders, 1));
    if (!s.ok()) return fail(s);
  }
  if (absl::Status s = (*writer)->Commit(); !s.ok()) return fail(s);

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> sizes;
  for (int j = 0; j < n; ++j) {
    if (j != *me) sizes.push_back(StrCat((*parties)[j].name, " ", result->set_sizes[j]));
  }
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.2f", seconds);
  if (!opts.quiet) {
    std::fputs(StrCat("liaison quorum: read ", set->records.size() + set->num_rejected,
                      " records, ", set->num_rejected, " rejected, ", set->keys.size(),
                      " distinct; ", n - 1, " peers (", StrJoin(sizes, ", "),
                      " distinct); ", result->num_qualifying, " distinct held by at least ",
                      result->threshold, " of ", n, " (", result->rows.size(), " rows to ",
                      opts.output, "); sent ", HumanBytes(result->bytes_sent), ", received ",
                      HumanBytes(result->bytes_received), "; ", secs, " s\n")
                   .c_str(),
               stdout);
  }
  return kExitOk;
}

}  // namespace liaison::cli
