// liaison normalize: what each record of a file becomes under the profile,
// and the records it rejects, with line number and reason (the first
// kRejectsShown on the terminal, every one in the --rejects file). Text
// from the file is printed escaped (base/escape.h).
#include <cstdio>
#include <memory>
#include <string>

#include "base/escape.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "data/output.h"
#include "data/profile.h"

namespace liaison::cli {

int RunNormalize(const NormalizeOptions& opts) {
  absl::StatusOr<data::InputSpec> spec = ToInputSpec(opts.input);
  if (!spec.ok()) return ReportError("normalize", spec.status());
  const data::Profile& profile = data::Profile::V1();

  std::unique_ptr<data::ResultWriter> writer;
  if (!opts.output.empty()) {
    absl::StatusOr<std::unique_ptr<data::ResultWriter>> w = data::ResultWriter::Create(opts.output);
    if (!w.ok()) return ReportError("normalize", w.status());
    writer = *std::move(w);
  }

  std::printf("# profile %s v%d (sha256 %s)\n", std::string(profile.name()).c_str(),
              profile.version(), profile.digest().c_str());
  std::printf("%-6s %-7s %-40s %s\n", "line", "type", "value", "raw");
  uint64_t accepted = 0;
  std::vector<data::Reject> rejects;
  absl::Status write_status;
  absl::Status s = data::ReadInput(
      *spec, profile,
      [&](data::Record&& r) {
        ++accepted;
        std::printf("%-6llu %-7s %-40s %s\n", static_cast<unsigned long long>(r.line),
                    std::string(data::TypeName(r.item.type)).c_str(),
                    EscapeNonPrintable(r.item.value).c_str(),
                    r.raw == r.item.value ? "" : EscapeNonPrintable(r.raw).c_str());
        if (writer && write_status.ok()) write_status = writer->Write(r);
      },
      [&](data::Reject&& r) { rejects.push_back(std::move(r)); });
  if (!s.ok()) return ReportError("normalize", s);
  if (!write_status.ok()) return ReportError("normalize", write_status);

  if (!rejects.empty()) {
    std::printf("\n# rejected %zu record(s):\n", rejects.size());
    std::fputs(RejectListText(rejects, "", opts.rejects_path).c_str(), stdout);
  }
  if (!opts.rejects_path.empty()) {
    absl::Status w = WriteRejects(opts.rejects_path, rejects);
    if (!w.ok()) return ReportError("normalize", w);
  }
  std::printf("\n# %llu accepted, %zu rejected\n", static_cast<unsigned long long>(accepted),
              rejects.size());
  if (accepted == 0) {
    return ReportError("normalize", absl::InvalidArgumentError(
                                        StrCat(opts.input.path, " has no valid record")));
  }
  if (opts.strict && !rejects.empty()) {
    return ReportError("normalize", absl::InvalidArgumentError(StrCat(
                                        rejects.size(), " record(s) rejected (--strict)")));
  }
  if (writer) {
    absl::Status c = writer->Commit();
    if (!c.ok()) return ReportError("normalize", c);
  }
  return kExitOk;
}

int RunProfile() {
  const data::Profile& profile = data::Profile::V1();
  std::printf("# profile %s v%d\n# digest sha256 %s\n\n", std::string(profile.name()).c_str(),
              profile.version(), profile.digest().c_str());
  std::fwrite(profile.definition().data(), 1, profile.definition().size(), stdout);
  if (!profile.definition().empty() && profile.definition().back() != '\n') std::fputc('\n', stdout);
  return kExitOk;
}

}  // namespace liaison::cli
